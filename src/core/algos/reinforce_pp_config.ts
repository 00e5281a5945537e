// REINFORCE++'s settings: the `optimizer` block of an experiment that runs it (OpenRLHF's `--advantage_estimator
// reinforce` and `reinforce_baseline`, beside its trainer reinforce_pp.ts).
// No tfjs here: the tab's page validates experiments without loading the models.
import * as v from 'valibot';
import { int, num } from '../experiment/fields';

export const ReinforcePpConfig = v.strictObject({
  /** REINFORCE++ (Hu 2025): per-token KL in the reward, returns whitened over the whole batch, PPO's clipped loss. */
  algo: v.literal('reinforce_pp'),
  lr: num(1e-7, 1),
  /** β of the per-token KL penalty r_t = −β·KL_t. */
  kl_coef: num(0, 1000),
  /** The per-token KL estimator of the penalty (OpenRLHF's `--kl_estimator`). */
  kl_estimator: v.optional(v.picklist(['k1', 'k2', 'k3']), 'k1'),
  /** REINFORCE++-baseline: each reward minus its group's mean before the KL penalty (needs k ≥ 2). */
  baseline: v.optional(v.boolean(), false),
  /** Samples per prompt (OpenRLHF's `n_samples_per_prompt`); the baseline's group. */
  k: v.optional(int(1, 256), 1),
  /** Samples per iteration (prompts × k). */
  batch_size: int(2, 4096),
  /** Passes over each batch with the clipped ratio. */
  epochs: v.optional(int(1, 64), 1),
  /** ε of the clipped ratio. */
  clip: v.optional(num(0, 10), 0.2),
  iterations: int(0, 100000),
});
export type ReinforcePpConfig = v.InferOutput<typeof ReinforcePpConfig>;
