// RLOO's settings: the `optimizer` block of an experiment that runs it (TRL's config beside its trainer, rloo.ts).
// No tfjs here: the tab's page validates experiments without loading the models.
import * as v from 'valibot';
import { int, num } from '../experiment/fields';

export const RlooConfig = v.strictObject({
  /** REINFORCE leave-one-out: k samples per prompt, each baselined by the mean reward of the other k − 1. */
  algo: v.literal('rloo'),
  lr: num(1e-7, 1),
  /** β of the sequence KL penalty in R_i = r_RM − β·Σ_t log(π/π_ref). */
  kl_coef: num(0, 1000),
  /** Samples per prompt (group size). */
  k: int(2, 256),
  /** Samples per iteration (prompts × k). */
  batch_size: int(2, 4096),
  iterations: int(0, 100000),
});
export type RlooConfig = v.InferOutput<typeof RlooConfig>;
