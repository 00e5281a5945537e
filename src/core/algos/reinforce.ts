// REINFORCE with a baseline for a KL-regularized reward (Williams 1992; the RLHF objective of Ziegler et al. 2019):
//   R(x) = r_RM(x) − kl_coef·(log π(x) − log π_ref(x)),   A = (R − mean R) / std R,
//   L = −E_x~π[A·log π(x)]    (A held constant: its gradient flows only through log π).
// The KL term in R makes E[∇L] the gradient of −(E[r_RM] − kl_coef·KL(π ‖ π_ref)). For a sequence, log π(x) is the
// sum of its tokens' log-probabilities. RLOO (rloo.ts) and GRPO (grpo.ts) change only the baseline.
import { tf, type Tensor } from '../tf';
import { readStacked, stepKeeping } from '../models/params';
import { mean } from '../models/reward_norm';
import { rowKl } from './kl';
import type { Rng } from '../rng';
import type { MetricRow } from '../checkpoint/record';
import type { ReinforceConfig } from './reinforce_config';
import type { PolicyTask, Rollout } from './policy_task';

/** One REINFORCE step: sample, R = r − β·KL per sample, whitened advantages, one gradient step. */
export async function reinforceIteration(task: PolicyTask, o: ReinforceConfig, rng: Rng): Promise<MetricRow> {
  const r = await task.rollout(o.batch_size, 1, rng);
  const logr = rowKl(r, 'k1');
  return reinforceStep(task, r, whitenedAdvantages(klPenalizedReward(r.score, logr, o.kl_coef)), o.kl_coef, logr);
}

/** One gradient step of the score-function estimator with one advantage per row, and the iteration's row. */
export async function reinforceStep(task: PolicyTask, r: Rollout, advantages: Float32Array, klCoef: number, logr: Float32Array): Promise<MetricRow> {
  const st = await readStacked([
    stepKeeping(task.policy.params, task.policy.opt, () => {
      const loss = sequenceLoss(task.forward(r, rowsOf(r)).logp, advantages, r);
      return { loss, stats: [loss] };
    }),
  ]);
  task.show?.(r, r.score);
  return { ...sampledRow(r, klCoef, logr), ...r.rmMetrics, 'loss/policy': st[0] };
}

export function klPenalizedReward(score: ArrayLike<number>, logr: ArrayLike<number>, klCoef: number): Float32Array {
  const out = new Float32Array(score.length);
  for (let i = 0; i < out.length; i++) out[i] = score[i] - klCoef * logr[i];
  return out;
}

/** Mean-baseline advantages, whitened per batch (std floor 1e-8). */
export function whitenedAdvantages(returns: ArrayLike<number>): Float32Array {
  const n = returns.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += returns[i];
  mean /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (returns[i] - mean) ** 2;
  const std = Math.sqrt(v / n);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (returns[i] - mean) / (std + 1e-8);
  return out;
}

export function reinforceLoss(logProb: Tensor, advantages: Tensor): Tensor {
  return tf.tidy(() => tf.neg(tf.mean(tf.mul(advantages, logProb))));
}

/**
 * −(1/B)·Σ_i A_i·Σ_t log π(a_t), the score-function estimator over rows: `logp` [B, ...rowShape], `advantages` one per
 * row. A row of one action is plain REINFORCE's −mean(A·log π).
 */
export function sequenceLoss(logp: Tensor, advantages: Float32Array, r: Pick<Rollout, 'B' | 'M' | 'mask'>): Tensor {
  return tf.tidy(() => {
    if (!r.mask) return reinforceLoss(logp, tf.tensor1d(advantages));
    const mask = tf.tensor2d(r.mask, [r.B, r.M]);
    return tf.div(tf.neg(tf.sum(tf.mul(tf.mul(logp, mask), tf.tensor2d(perPosition(advantages, r.M), [r.B, r.M])))), r.B);
  });
}

/** A value per row spread over the row's M positions: [B·M]. */
export function perPosition(perRow: ArrayLike<number>, M: number): Float32Array {
  const out = new Float32Array(perRow.length * M);
  for (let b = 0; b < perRow.length; b++) out.fill(perRow[b], b * M, (b + 1) * M);
  return out;
}

/** Every row of a rollout, in order. */
export function rowsOf(r: Rollout): number[] {
  return Array.from({ length: r.B }, (_, i) => i);
}

/**
 * What every sampled method logs (TRL's names): gold and the task's measures, the KL to π_ref (k1 and k3, per
 * sequence), β, the entropy and the KL-penalized reward r − β·KL.
 */
export function sampledRow(r: Rollout, klCoef: number, logr = rowKl(r, 'k1')): MetricRow {
  return {
    ...r.metrics,
    'objective/kl': mean(logr),
    'objective/kl_k3': mean(rowKl(r, 'k3')),
    'objective/kl_coef': klCoef,
    'objective/entropy': r.entropy ?? Number.NaN,
    'objective/rlhf_reward': mean(klPenalizedReward(r.score, logr, klCoef)),
  };
}
