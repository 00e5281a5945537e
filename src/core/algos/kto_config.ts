// KTO's settings: the `optimizer` block of an experiment that runs it (TRL's config beside its trainer, kto.ts).
// No tfjs here: the tab's page validates experiments without loading the models.
import * as v from 'valibot';
import { int, num } from '../experiment/fields';

export const KtoConfig = v.strictObject({
  /** Kahneman-Tversky optimization on the run's comparisons, each side a desirable or an undesirable completion (RLHF.md). */
  algo: v.literal('kto'),
  /** KTO's β (TRL's `beta`): how sharply the value function saturates around the reference point. */
  kl_coef: num(1e-6, 1000),
  /** λ_D: the weight of the desirable (chosen) completions' losses (TRL's `desirable_weight`). */
  desirable_weight: v.optional(num(0, 1000), 1),
  /** λ_U: the weight of the undesirable (rejected) completions' losses (TRL's `undesirable_weight`). */
  undesirable_weight: v.optional(num(0, 1000), 1),
  lr: num(1e-7, 1),
  /** Comparisons per gradient step: each gives one desirable and one undesirable completion. */
  batch_size: int(1, 4096),
  /** Samples drawn after each step to measure gold reward and KL. */
  eval_samples: v.optional(int(2, 4096), 32),
  /** Gradient steps per round, one metrics row each. */
  iterations: int(0, 100000),
});
export type KtoConfig = v.InferOutput<typeof KtoConfig>;
