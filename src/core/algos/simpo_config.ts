// SimPO's settings: the `optimizer` block of an experiment that runs it (TRL's config beside its trainer, simpo.ts).
// No tfjs here: the tab's page validates experiments without loading the models.
import * as v from 'valibot';
import { int, num } from '../experiment/fields';

export const SimpoConfig = v.strictObject({
  /** Simple preference optimization on the run's comparisons: no reward model, no reference model (RLHF.md). */
  algo: v.literal('simpo'),
  /** SimPO's β: the scale of the length-normalized reward β·log π(y)/|y| (TRL CPOConfig's `beta`; the paper uses 2–2.5). */
  beta: num(1e-6, 1000),
  /** SimPO's target reward margin γ (TRL's `simpo_gamma`): the chosen must beat the rejected by γ. */
  simpo_gamma: v.optional(num(0, 1000), 0.5),
  lr: num(1e-7, 1),
  /** Preference pairs per gradient step. */
  batch_size: int(1, 4096),
  /** Samples drawn after each step to measure gold reward and KL to the starting policy. */
  eval_samples: v.optional(int(2, 4096), 32),
  /** Gradient steps per round, one metrics row each. */
  iterations: int(0, 100000),
});
export type SimpoConfig = v.InferOutput<typeof SimpoConfig>;
