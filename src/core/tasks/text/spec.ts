// The text task's part of the Experiment: gold reward, prompts and sampling, the GPT policy, its optimizers and the
// rules that make prompts fit the model. No tfjs here.
import * as v from 'valibot';
import { num, int } from '../../experiment/fields';
import { TEXT_CONTEXT, unknownChars } from './vocab';
import type { TaskSpec } from '../registry';

const TextGold = v.variant('kind', [
  /** Σ AFINN-165 scores of the completion's words: cheerful beats gloomy. */
  v.strictObject({ kind: v.literal('sentiment') }),
  /** −|syllables of prompt + completion − target|: a line of `target` syllables (5 for a haiku's first line). */
  v.strictObject({ kind: v.literal('syllables'), target: int(1, 40) }),
  /** −|characters of the completion − target| / 5. */
  v.strictObject({ kind: v.literal('length'), target: int(1, 64) }),
  /** 1 when the completion contains the word, else 0. */
  v.strictObject({ kind: v.literal('keyword'), word: v.pipe(v.string(), v.regex(/^[a-z]+$/, 'lowercase letters a–z'), v.maxLength(24)) }),
]);

export const TextTask = v.strictObject({
  kind: v.literal('text'),
  /** The hidden gold reward simulated labelers follow. */
  gold: TextGold,
  /** Prefixes the policy completes; each iteration draws from them. Lowercase letters, space and !',-.? only. */
  prompts: v.pipe(v.array(v.pipe(v.string(), v.minLength(1), v.maxLength(24))), v.minLength(1), v.maxLength(64)),
  /** Characters sampled after the prompt at most (a completion also ends at a line break). */
  max_new_tokens: int(1, 46),
  /** Sampling temperature τ (log-probabilities are taken at the same τ). */
  temperature: v.optional(num(0.05, 5), 1),
  /** Sample among the k most likely characters only (0: all). */
  top_k: v.optional(int(0, 34), 0),
});

/** The text task's policy: the shipped base character GPT (public/text/base.json) plus a value head. */
export const GptPolicy = v.strictObject({
  kind: v.literal('gpt'),
});

export const textSpec = {
  sample: v.pipe(v.string(), v.maxLength(10_000)),
  models: ['reward_model', 'policy', 'reference'],
  task: TextTask,
  policy: GptPolicy,
  algos: ['ppo', 'dpo', 'simpo', 'orpo', 'kto', 'rloo', 'grpo', 'reinforce_pp', 'best_of_n'],
  name: 'text',
  title: (t) => `text, gold ${t.gold.kind}`,
  preference: (_t, label, chosen, rejected) => ({ prompt: label.prompt ?? '', chosen: String(chosen), rejected: String(rejected) }),
  check: (e, task) => {
    const out: string[] = [];
    task.prompts.forEach((p, i) => {
      const bad = unknownChars(p);
      if (bad.length) {
        out.push(
          `task.prompts[${i}]: ${JSON.stringify(p)} has characters outside the vocabulary (${bad.map((c) => JSON.stringify(c)).join(', ')}); ` +
            `use lowercase letters a–z, space and !',-.?`,
        );
      }
      if (1 + p.length + task.max_new_tokens > TEXT_CONTEXT) {
        out.push(
          `task.prompts[${i}]: ${p.length} characters plus max_new_tokens ${task.max_new_tokens} do not fit the model's ` +
            `context of ${TEXT_CONTEXT} (shorten the prompt or lower max_new_tokens to ${TEXT_CONTEXT - 1 - p.length})`,
        );
      }
    });
    if (e.reward_model.ensemble > 1) {
      out.push(`reward_model.ensemble: the text task trains one GPT reward model; set it to 1 (ensembles run on the landscape and control tasks)`);
    }
    return out;
  },
} satisfies TaskSpec<v.InferOutput<typeof TextTask>>;
