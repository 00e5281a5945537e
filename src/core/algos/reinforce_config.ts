// REINFORCE's settings: the `optimizer` block of an experiment that runs it (TRL's config beside its trainer, reinforce.ts).
// No tfjs here: the tab's page validates experiments without loading the models.
import * as v from 'valibot';
import { int, num } from '../experiment/fields';

export const ReinforceConfig = v.strictObject({
  /** REINFORCE with a mean baseline on R = r_RM(x) − kl_coef·log(π(x)/π_ref(x)). */
  algo: v.literal('reinforce'),
  lr: num(1e-7, 1),
  /** β of the KL penalty to the initial policy. */
  kl_coef: num(0, 1000),
  /** Samples per policy iteration. */
  batch_size: int(2, 8192),
  /** Policy iterations per round. */
  iterations: int(0, 100000),
});
export type ReinforceConfig = v.InferOutput<typeof ReinforceConfig>;
