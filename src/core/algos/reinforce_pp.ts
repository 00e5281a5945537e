// REINFORCE++ (Hu 2025, arXiv:2501.03262; OpenRLHF's `reinforce` and `reinforce_baseline` advantage estimators): no
// critic, PPO's tricks kept. Per token t of completion i (γ = 1):
//   r_t = −β·KL_t, plus the reward on the last token      (REINFORCE++-baseline: the reward minus its group's mean)
//   G_t = Σ_{s ≥ t} r_s                                    (the return to go)
//   A_t = (G_t − mean G) / std G                          over every token of the batch (global normalization)
//   L = −E_t[min(ρA, clip(ρ, 1 ± ε)A)]                   over every token of the batch, `epochs` passes
// The group-mean baseline removes the prompt's difficulty; the global std keeps the scale of GRPO's per-group one
// without its bias toward groups that nearly tie (std ≈ 0).
import { tf, type Tensor } from '../tf';
import { readStacked, stepKeeping } from '../models/params';
import { mean } from '../models/reward_norm';
import { perTokenKl, ppoPolicyLoss, whiten } from './ppo';
import { checkGroups } from './rloo';
import { rowsOf, sampledRow } from './reinforce';
import { completionLengths, fracZeroStd, lengthsByAdvantage } from './grpo';
import type { Rng } from '../rng';
import type { MetricRow } from '../checkpoint/record';
import type { ReinforcePpConfig } from './reinforce_pp_config';
import type { PolicyTask, Rollout } from './policy_task';

/** One REINFORCE++ iteration: sample, per-token KL-penalized returns, batch-whitened advantages, clipped steps. */
export async function reinforcePpIteration(task: PolicyTask, o: ReinforcePpConfig, rng: Rng): Promise<MetricRow> {
  const r = await task.rollout(o.batch_size, o.k, rng);
  if (!r.refLogp) throw new Error('REINFORCE++ needs a reference policy for its KL penalty');
  const rewards = o.baseline ? groupCentered(r.score, o.k) : r.score;
  const advantages = whiten(reinforcePpReturns(r, rewards, o.kl_coef, o.kl_estimator), r.mask ?? undefined);
  const shape = [r.B, ...r.rowShape];
  const stats: Tensor[] = Array.from({ length: o.epochs }, () =>
    tf.tidy(() => {
      const [adv, old] = [advantages, r.logp].map((a) => tf.tensor(a, shape));
      const mask = r.mask ? tf.tensor(r.mask, shape) : tf.onesLike(adv);
      return stepKeeping(task.policy.params, task.policy.opt, () => {
        const pl = ppoPolicyLoss(task.forward(r, rowsOf(r)).logp, old, adv, mask, o.clip);
        return { loss: pl.policy, stats: [pl.policy, pl.clipfrac] };
      });
    }),
  );
  const st = await readStacked(stats);
  const avg = (j: number) => mean(Array.from({ length: o.epochs }, (_, i) => st[i * 2 + j]));
  task.show?.(r, r.score);
  const lengths = completionLengths(r);
  return {
    ...sampledRow(r, o.kl_coef),
    ...r.rmMetrics,
    'loss/policy': avg(0),
    'policy/clipfrac': avg(1),
    ...(o.k > 1 ? { frac_reward_zero_std: fracZeroStd(r.score, o.k) } : {}),
    ...(lengths ? lengthsByAdvantage(lengths, rowFirstAdvantage(advantages, r)) : {}),
  };
}

/** Each reward minus the mean of its group of k (REINFORCE++-baseline). */
export function groupCentered(rewards: ArrayLike<number>, k: number): Float32Array {
  checkGroups(rewards, k);
  const out = new Float32Array(rewards.length);
  for (let g = 0; g < rewards.length; g += k) {
    let sum = 0;
    for (let j = 0; j < k; j++) sum += rewards[g + j];
    for (let j = 0; j < k; j++) out[g + j] = rewards[g + j] - sum / k;
  }
  return out;
}

/**
 * G_t = Σ_{s ≥ t} r_s per row with r_s = −β·KL_s on each sampled position and the row's reward added on its last one
 * (OpenRLHF's compute_reward then get_cumulative_returns, γ = 1); 0 where the mask is 0.
 */
export function reinforcePpReturns(
  r: Pick<Rollout, 'B' | 'M' | 'mask' | 'logp' | 'refLogp'>,
  rewards: ArrayLike<number>,
  klCoef: number,
  estimator: ReinforcePpConfig['kl_estimator'],
): Float32Array {
  const out = new Float32Array(r.B * r.M);
  const kl = perTokenKl(r.logp, r.refLogp ?? r.logp, estimator);
  for (let b = 0; b < r.B; b++) {
    const at = (t: number) => !r.mask || r.mask[b * r.M + t] === 1;
    let last = r.M - 1;
    while (last > 0 && !at(last)) last--;
    let g = 0;
    for (let t = r.M - 1; t >= 0; t--) {
      if (!at(t)) continue;
      g += -klCoef * kl[b * r.M + t] + (t === last ? rewards[b] : 0);
      out[b * r.M + t] = g;
    }
  }
  return out;
}

/** Each row's advantage at its first sampled position: which side of the batch the completion fell on. */
function rowFirstAdvantage(advantages: Float32Array, r: Pick<Rollout, 'B' | 'M' | 'mask'>): Float32Array {
  return Float32Array.from({ length: r.B }, (_, b) => {
    for (let t = 0; t < r.M; t++) if (!r.mask || r.mask[b * r.M + t]) return advantages[b * r.M + t];
    return 0;
  });
}
