// ORPO's settings: the `optimizer` block of an experiment that runs it (TRL's config beside its trainer, orpo.ts).
// No tfjs here: the tab's page validates experiments without loading the models.
import * as v from 'valibot';
import { int, num } from '../experiment/fields';

export const OrpoConfig = v.strictObject({
  /** Odds ratio preference optimization: SFT on the chosen side plus an odds-ratio penalty; no reference model (RLHF.md). */
  algo: v.literal('orpo'),
  /** ORPO's λ, the weight of the odds-ratio term beside the NLL (TRL ORPOConfig's `beta`, default 0.1). */
  beta: num(0, 1000),
  lr: num(1e-7, 1),
  /** Preference pairs per gradient step. */
  batch_size: int(1, 4096),
  /** Samples drawn after each step to measure gold reward and KL to the starting policy. */
  eval_samples: v.optional(int(2, 4096), 32),
  /** Gradient steps per round, one metrics row each. */
  iterations: int(0, 100000),
});
export type OrpoConfig = v.InferOutput<typeof OrpoConfig>;
