// PPO's settings: the `optimizer` block of an experiment that runs it (TRL's config beside its trainer, ppo.ts).
// No tfjs here: the tab's page validates experiments without loading the models.
import * as v from 'valibot';
import { int, num } from '../experiment/fields';

export const PpoConfig = v.strictObject({
  /** PPO with a per-token KL penalty, a value head, GAE and clipped losses (RLHF.md). */
  algo: v.literal('ppo'),
  lr: num(1e-7, 1),
  /** β of the per-token KL penalty r_t = −β·KL_t (the starting β when adaptive). */
  kl_coef: num(0, 1000),
  /** Estimator of KL_t from log π − log π_ref: k1 (log-ratio) or k3 (never negative). */
  kl_estimator: v.optional(v.picklist(['k1', 'k3']), 'k1'),
  /** Adaptive KL controller: the KL per completion to steer toward (null: β stays fixed). */
  kl_target: v.optional(v.nullable(num(0.001, 1000)), null),
  /** Adaptive KL controller horizon, in samples. */
  kl_horizon: v.optional(int(1, 1e7), 10000),
  /** Completions sampled per iteration. */
  batch_size: int(2, 1024),
  /** Minibatches each batch is split into for the gradient steps. */
  minibatches: v.optional(int(1, 1024), 1),
  /** Passes over each batch. */
  epochs: v.optional(int(1, 64), 2),
  /** ε of the clipped ratio. */
  clip: v.optional(num(0, 10), 0.2),
  /** ε of the clipped value loss. */
  value_clip: v.optional(num(0, 1000), 0.2),
  /** Weight of the value loss beside the policy loss. */
  vf_coef: v.optional(num(0, 100), 0.1),
  /** Discount γ and GAE λ. */
  gamma: v.optional(num(0, 1), 1),
  lam: v.optional(num(0, 1), 0.95),
  /** Policy iterations per round. */
  iterations: int(0, 100000),
});
export type PpoConfig = v.InferOutput<typeof PpoConfig>;
