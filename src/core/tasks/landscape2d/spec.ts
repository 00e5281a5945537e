// The landscape task's part of the Experiment: the hidden landscape, the Gaussian-mixture policy, its optimizers and
// its cross-field rules. No tfjs here: the tab's page parses experiments without loading the models.
import * as v from 'valibot';
import { num, int } from '../../experiment/fields';
import type { TaskSpec } from '../registry';
import type { Experiment, ExperimentOf } from '../../experiment/parse';

export const LANDSCAPES = ['one-hill', 'two-hills', 'ridge'] as const;

export const LandscapeTask = v.strictObject({
  kind: v.literal('landscape2d'),
  /** The hidden gold reward over the plane. */
  landscape: v.picklist(LANDSCAPES),
});

export const MixturePolicy = v.strictObject({
  kind: v.literal('gaussian_mixture'),
  /** Number of Gaussian components of π(x). */
  components: int(1, 16),
  /** Where the policy starts: the mean of every component at step 0. */
  init_mean: v.tuple([num(-3, 3), num(-3, 3)]),
  /** Standard deviation of every component at step 0. */
  init_std: num(0.01, 3),
});

/** A landscape point as preference text: compact JSON, 6 decimals ("[0.123457,-1.5]"). */
export const pointText = (p: readonly number[]) => JSON.stringify(p.map((x) => Number(x.toFixed(6))));

/** How far from the origin a point of a comparison may lie (the plane the lab draws is ±3): imports and links alike. */
export const POINT_BOUND = 100;
const coordinate = v.pipe(v.number(), v.finite(), v.minValue(-POINT_BOUND), v.maxValue(POINT_BOUND));

/**
 * The settings that read a completion's text or ask a person about one (text only), refused on a task of points or
 * clips with what to do: a length-controlled reward model, and thumbs from a person (the tab rates completions).
 */
export function textOnlySettings(e: Experiment): string[] {
  const out: string[] = [];
  if (e.reward_model.length_control) out.push('reward_model.length_control: the length covariate is a text completion\'s length (text only); leave it out');
  if (e.schedule.feedback === 'thumbs' && e.labelers.some((l) => l.kind === 'human')) {
    out.push('schedule.feedback: the tab asks a person for thumbs on text completions only; use simulated labelers here, or a text task');
  }
  return out;
}

export const landscapeSpec = {
  sample: v.strictTuple([coordinate, coordinate]),
  models: ['reward_model', 'policy', 'reference'],
  task: LandscapeTask,
  policy: MixturePolicy,
  // No ORPO: its odds need a probability below 1, and a point's log-density can be above 0.
  algos: ['reinforce', 'dpo', 'simpo', 'kto', 'rloo', 'grpo', 'reinforce_pp', 'best_of_n'],
  name: 'landscape',
  title: (t) => `landscape ${t.landscape}`,
  // A point as compact JSON text, 6 decimals ("[0.123457,-1.5]"); the plane has no prompt.
  preference: (_t, _l, chosen, rejected) => ({ prompt: '', chosen: pointText(chosen as number[]), rejected: pointText(rejected as number[]) }),
  check: (e) => [
    ...textOnlySettings(e),
    ...e.labelers.flatMap((l, i) =>
      l.kind === 'simulated' && l.length_bias !== 0 ? [`labelers[${i}].length_bias: a length bias applies to text only; set it to 0`] : [],
    ),
    // Whatever the algorithm: a setting that needs completion lengths has none to read on the plane.
    ...('soft_punish_cache' in e.optimizer && e.optimizer.soft_punish_cache !== undefined
      ? ['optimizer.soft_punish_cache: the overlong punishment needs completions with lengths (text only); leave it out']
      : []),
  ],
} satisfies TaskSpec<v.InferOutput<typeof LandscapeTask>>;

/** An experiment of the landscape task (what its rules guarantee of it). */
export type LandscapeExperiment = ExperimentOf<'landscape2d'> & { policy: v.InferOutput<typeof MixturePolicy> };
