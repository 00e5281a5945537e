// Group relative policy optimization (Shao et al. 2024; RLHF.md): k samples per prompt, advantages normalized within
// the group, the clipped ratio of PPO over `epochs` passes, and the KL to π_ref as a loss term (k3, never negative):
//   A_i = (r_i − mean_group r) / (std_group r + ε)   on every token of sample i
//   L = −E[min(ρA, clip(ρ, 1 ± ε)A)] + β·E_t[e^(log π_ref − log π) − (log π_ref − log π) − 1]
import { tf } from '../tf';
import { readStacked, stepKeeping } from '../models/params';
import { mean } from '../models/reward_norm';
import { ppoPolicyLoss } from './ppo';
import { checkGroups } from './rloo';
import { perPosition, rowsOf, sampledRow } from './reinforce';
import type { Rng } from '../rng';
import type { MetricRow } from '../checkpoint/record';
import type { GrpoConfig } from './grpo_config';
import type { PolicyTask } from './policy_task';

/** One GRPO iteration: k samples per prompt, group-normalized advantages, `epochs` clipped steps with a k3 KL term. */
export async function grpoIteration(task: PolicyTask, o: GrpoConfig, rng: Rng): Promise<MetricRow> {
  const r = await task.rollout(o.batch_size, o.k, rng);
  if (!r.refLogp) throw new Error('GRPO needs a reference policy for its KL term');
  const advantages = perPosition(grpoAdvantages(r.score, o.k), r.M);
  const shape = [r.B, ...r.rowShape];
  const stats = Array.from({ length: o.epochs }, () =>
    tf.tidy(() => {
      const [adv, old, ref] = [advantages, r.logp, r.refLogp!].map((a) => tf.tensor(a, shape));
      const mask = r.mask ? tf.tensor(r.mask, shape) : null;
      return stepKeeping(task.policy.params, task.policy.opt, () => {
        const { logp } = task.forward(r, rowsOf(r));
        const pl = ppoPolicyLoss(logp, old, adv, mask ?? tf.onesLike(adv), o.clip);
        // k3 = e^(log π_ref − log π) − (log π_ref − log π) − 1, an unbiased KL estimate that is never negative.
        const d = tf.sub(ref, logp);
        const k3 = tf.sub(tf.sub(tf.exp(d), d), 1);
        const kl = mask ? tf.div(tf.sum(tf.mul(k3, mask)), tf.maximum(tf.sum(mask), 1)) : tf.mean(k3);
        return { loss: tf.add(pl.policy, tf.mul(kl, o.kl_coef)), stats: [pl.policy, pl.clipfrac] };
      });
    }),
  );
  const st = await readStacked(stats);
  task.show?.(r, r.score);
  return {
    ...sampledRow(r, o.kl_coef),
    ...r.rmMetrics,
    'loss/policy': mean(Array.from({ length: o.epochs }, (_, i) => st[i * 2])),
    'policy/clipfrac': mean(Array.from({ length: o.epochs }, (_, i) => st[i * 2 + 1])),
  };
}

/** A_i = (R_i − group mean) / (group std + ε), the std over the k samples with k − 1 in the denominator (torch.std, as TRL). */
export function grpoAdvantages(rewards: ArrayLike<number>, k: number, eps = 1e-4): Float32Array {
  checkGroups(rewards, k);
  const out = new Float32Array(rewards.length);
  for (let g = 0; g < rewards.length; g += k) {
    let sum = 0;
    for (let j = 0; j < k; j++) sum += rewards[g + j];
    const mean = sum / k;
    let v = 0;
    for (let j = 0; j < k; j++) v += (rewards[g + j] - mean) ** 2;
    const std = Math.sqrt(v / (k - 1));
    for (let j = 0; j < k; j++) out[g + j] = (rewards[g + j] - mean) / (std + eps);
  }
  return out;
}
