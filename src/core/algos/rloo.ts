// REINFORCE leave-one-out (Ahmadian et al. 2024; RLHF.md): k samples per prompt, each baselined by the mean reward
// of the other k − 1, on the KL-penalized sequence reward R_i = r_i − β·Σ_t log(π/π_ref):
//   A_i = R_i − (1/(k−1))·Σ_{j≠i} R_j,   L = −(1/B)·Σ_i A_i·Σ_t log π(a_t)   (one REINFORCE step).
// Groups are consecutive blocks of k in the batch.
import { rowKl } from './kl';
import { klPenalizedReward, reinforceStep } from './reinforce';
import type { Rng } from '../rng';
import type { MetricRow } from '../checkpoint/record';
import type { RlooConfig } from './rloo_config';
import type { PolicyTask } from './policy_task';

/** One RLOO iteration: k samples per prompt, leave-one-out advantages on R = r − β·KL, one gradient step. */
export async function rlooIteration(task: PolicyTask, o: RlooConfig, rng: Rng): Promise<MetricRow> {
  const r = await task.rollout(o.batch_size, o.k, rng);
  const logr = rowKl(r, 'k1');
  return reinforceStep(task, r, rlooAdvantages(klPenalizedReward(r.score, logr, o.kl_coef), o.k), o.kl_coef, logr);
}

export function checkGroups(rewards: ArrayLike<number>, k: number): void {
  if (k < 2 || rewards.length % k !== 0) throw new Error(`group size ${k} must be ≥ 2 and divide the batch of ${rewards.length}`);
}

/** A_i = R_i − mean of the other k − 1 rewards of its group = k/(k−1)·(R_i − group mean). */
export function rlooAdvantages(rewards: ArrayLike<number>, k: number): Float32Array {
  checkGroups(rewards, k);
  const out = new Float32Array(rewards.length);
  for (let g = 0; g < rewards.length; g += k) {
    let sum = 0;
    for (let j = 0; j < k; j++) sum += rewards[g + j];
    for (let j = 0; j < k; j++) out[g + j] = rewards[g + j] - (sum - rewards[g + j]) / (k - 1);
  }
  return out;
}
