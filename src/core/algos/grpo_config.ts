// GRPO's settings: the `optimizer` block of an experiment that runs it (TRL's config beside its trainer, grpo.ts).
// No tfjs here: the tab's page validates experiments without loading the models.
import * as v from 'valibot';
import { int, num } from '../experiment/fields';

export const GrpoConfig = v.strictObject({
  /** Group relative policy optimization: advantages normalized within each prompt's group, a k3 KL loss term. */
  algo: v.literal('grpo'),
  lr: num(1e-7, 1),
  /** β of the k3 KL term added to the loss. */
  kl_coef: num(0, 1000),
  /** Samples per prompt (group size). */
  k: int(2, 256),
  /** Samples per iteration (prompts × k). */
  batch_size: int(2, 4096),
  /** Passes over each batch, with the clipped ratio as in PPO. */
  epochs: v.optional(int(1, 64), 1),
  /** ε of the clipped ratio. */
  clip: v.optional(num(0, 10), 0.2),
  iterations: int(0, 100000),
});
export type GrpoConfig = v.InferOutput<typeof GrpoConfig>;
