// The pixels task's part of the Experiment: the gold reward its simulated labelers follow, their bias, the
// pictures asked for and the sampling temperature. Its policy is the lab's GPT (the text task's `gpt` policy
// block), started from the pixels base model (public/pixels/base.json). No tfjs here.
import * as v from 'valibot';
import { int, num } from '../../experiment/fields';
import { GptPolicy } from '../text/spec';
import { textOnlySettings } from '../landscape2d/spec';
import { COLOUR_NAMES, PIXELS, PROMPTS, SIZE } from './picture';
import type { TaskSpec } from '../registry';

const Colour = v.picklist(COLOUR_NAMES);

const PixelGold = v.variant('kind', [
  /** The share of each row's mirror pairs that hold one colour. */
  v.strictObject({ kind: v.literal('symmetry') }),
  /** The share of pixels of `colour`. */
  v.strictObject({ kind: v.literal('colour'), colour: Colour }),
  /** The mean luminance difference of neighbouring pixels. */
  v.strictObject({ kind: v.literal('contrast') }),
  /** The share of pixels equal to the class's template: "looks like a face". */
  v.strictObject({ kind: v.literal('template') }),
]);

/** What every simulated labeler adds to the gold reward: `weight` × mean luminance, or × the share of `colour`. */
const PixelBias = v.variant('kind', [
  v.strictObject({ kind: v.literal('brightness'), weight: num(-10, 10) }),
  v.strictObject({ kind: v.literal('colour'), colour: Colour, weight: num(-10, 10) }),
]);

export const PixelsTask = v.strictObject({
  kind: v.literal('pixels'),
  /** The hidden gold reward simulated labelers follow. */
  gold: PixelGold,
  /** The simulated labelers' bias beside the gold reward (none when absent). */
  bias: v.optional(PixelBias),
  /** The pictures asked for: "a face", "a house", "a tree", "a symbol". */
  prompts: v.pipe(v.array(v.picklist(PROMPTS)), v.minLength(1), v.maxLength(8)),
  /** Sampling temperature τ (log-probabilities are taken at the same τ). */
  temperature: v.optional(num(0.05, 5), 1),
  /** Sample among the k most likely colours only (0: all). */
  top_k: v.optional(int(0, 8), 0),
});

export const pixelsSpec = {
  sample: v.pipe(
    v.string(),
    v.check((s) => s.length === PIXELS && /^[0-7]*$/.test(s), `a picture of ${PIXELS} digits 0–7 (${SIZE} × ${SIZE}, row by row)`),
  ),
  models: ['reward_model', 'policy', 'reference'],
  task: PixelsTask,
  policy: GptPolicy,
  algos: ['ppo', 'dpo', 'simpo', 'orpo', 'kto', 'rloo', 'grpo', 'reinforce_pp', 'best_of_n'],
  name: 'pixels',
  title: (t) => `pixels, gold ${t.gold.kind}${t.bias ? `, labelers biased to ${t.bias.kind === 'colour' ? t.bias.colour : 'brightness'}` : ''}`,
  // A picture as its digits, row by row; the prompt is the class asked for.
  preference: (_t, label, chosen, rejected) => ({ prompt: label.prompt ?? '', chosen: String(chosen), rejected: String(rejected) }),
  check: (e) => [
    ...textOnlySettings(e),
    ...e.labelers.flatMap((l, i) =>
      l.kind === 'simulated' && l.length_bias !== 0
        ? [`labelers[${i}].length_bias: every picture has ${PIXELS} pixels, so a length bias means nothing here; set it to 0 (task.bias sets a brightness or colour bias)`]
        : [],
    ),
    ...('soft_punish_cache' in e.optimizer && e.optimizer.soft_punish_cache !== undefined
      ? ['optimizer.soft_punish_cache: every picture has the same length, so there is nothing overlong to punish; leave it out']
      : []),
    ...(e.reward_model.ensemble > 1
      ? ['reward_model.ensemble: the pixels task trains one GPT reward model; set it to 1 (ensembles run on the landscape and control tasks)']
      : []),
  ],
} satisfies TaskSpec<v.InferOutput<typeof PixelsTask>>;
