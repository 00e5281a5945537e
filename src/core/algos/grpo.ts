// Group relative policy optimization (Shao et al. 2024; RLHF.md): k samples per prompt, advantages normalized within
// the group, the clipped ratio of PPO over `epochs` passes, and the KL to π_ref as a loss term (k3, never negative):
//   A_i = (r_i − mean_group r) / (std_group r + ε)   on every token of sample i
//   L = −E[min(ρA, clip(ρ, 1 − ε_low, 1 + ε_high)A)] + β·E_t[e^(log π_ref − log π) − (log π_ref − log π) − 1]
// with TRL's variants as settings (grpo_config.ts): what divides r − mean (scale_rewards; Dr. GRPO divides by nothing),
// how tokens are averaged (loss_type; Dr. GRPO, DAPO), clip-higher (DAPO's ε_high > ε_low), one ratio per sequence
// (GSPO: ρ_i = exp(mean_t log(π/π_old))), CISPO's REINFORCE weighted by sg(min(ρ, ε_max)), DAPO's dynamic sampling
// and soft overlong punishment. TRL logs `frac_reward_zero_std` and `clip_ratio/{low,high,region}_mean`; so do we.
import { tf, type Tensor } from '../tf';
import { readStacked, stepKeeping } from '../models/params';
import { mean } from '../models/reward_norm';
import { checkGroups } from './rloo';
import { perPosition, rowsOf, sampledRow } from './reinforce';
import type { Rng } from '../rng';
import type { MetricRow } from '../checkpoint/record';
import type { GrpoConfig, GrpoLossType } from './grpo_config';
import type { PolicyTask, Rollout } from './policy_task';

/** One GRPO iteration: k samples per prompt, group-normalized advantages, `epochs` clipped steps with a k3 KL term. */
export async function grpoIteration(task: PolicyTask, o: GrpoConfig, rng: Rng): Promise<MetricRow> {
  const r = await task.rollout(o.batch_size, o.k, rng);
  if (!r.refLogp) throw new Error('GRPO needs a reference policy for its KL term');
  const lengths = completionLengths(r);
  if (o.soft_punish_cache !== undefined && (!lengths || !r.maxLength)) throw new Error('optimizer.soft_punish_cache needs completions with lengths (the text task)');
  const rewards = o.soft_punish_cache !== undefined ? softOverlongPunished(r.score, lengths!, r.maxLength!, o.soft_punish_cache) : r.score;
  const perRow = grpoAdvantages(rewards, o.k, o.scale_rewards);
  // Dynamic sampling (DAPO): a group whose rewards all tie teaches nothing; its rows are left out of the update.
  const rows = o.dynamic_sampling ? rowsOf(r).filter((b) => !tiedGroup(rewards, o.k, b)) : rowsOf(r);
  const advantages = perPosition(perRow, r.M);
  const shape = [rows.length, ...r.rowShape];
  const loss = lossOptions(o, r);
  const stats = rows.length === 0 ? [] : Array.from({ length: o.epochs }, () =>
    tf.tidy(() => {
      const [adv, old, ref] = [advantages, r.logp, r.refLogp!].map((a) => tf.tensor(gatherRows(a, rows, r), shape));
      const mask = r.mask ? tf.tensor(gatherRows(r.mask, rows, r), shape) : null;
      return stepKeeping(task.policy.params, task.policy.opt, () => {
        const { logp } = task.forward(r, rows);
        const l = grpoLoss(logp, old, ref, adv, mask, loss);
        return { loss: l.loss, stats: [l.policy, l.clipfrac, l.low, l.high, l.region] };
      });
    }),
  );
  const st = stats.length ? await readStacked(stats) : new Float32Array(0);
  const avg = (j: number) => mean(Array.from({ length: stats.length }, (_, i) => st[i * 5 + j]));
  task.show?.(r, r.score);
  // Where dynamic sampling left no group to learn from, nothing was updated and the row has no loss (not a NaN one,
  // which the runner would take for divergence).
  const update = stats.length === 0 ? {} : {
    'loss/policy': avg(0),
    'policy/clipfrac': avg(1),
    ...(o.loss_type === 'cispo' ? { cispo_clip_ratio: avg(3) } : { 'clip_ratio/low_mean': avg(2), 'clip_ratio/high_mean': avg(3), 'clip_ratio/region_mean': avg(4) }),
  };
  return {
    ...sampledRow(r, o.kl_coef),
    ...r.rmMetrics,
    ...update,
    frac_reward_zero_std: fracZeroStd(rewards, o.k),
    ...(lengths ? lengthsByAdvantage(lengths, perRow) : {}),
  };
}

/** r − group mean, divided by the group's std (k − 1 in the denominator, torch.std as TRL), the batch's, or nothing. */
export function grpoAdvantages(rewards: ArrayLike<number>, k: number, scale: GrpoConfig['scale_rewards'] = 'group', eps = 1e-4): Float32Array {
  checkGroups(rewards, k);
  const out = new Float32Array(rewards.length);
  const batchStd = scale === 'batch' ? sampleStd(rewards, 0, rewards.length) : 0;
  for (let g = 0; g < rewards.length; g += k) {
    let sum = 0;
    for (let j = 0; j < k; j++) sum += rewards[g + j];
    const mean = sum / k;
    if (scale === 'none') {
      for (let j = 0; j < k; j++) out[g + j] = rewards[g + j] - mean;
      continue;
    }
    let v = 0;
    for (let j = 0; j < k; j++) v += (rewards[g + j] - mean) ** 2;
    const std = scale === 'batch' ? batchStd : Math.sqrt(v / (k - 1));
    for (let j = 0; j < k; j++) out[g + j] = (rewards[g + j] - mean) / (std + eps);
  }
  return out;
}

/** What one loss needs beside its tensors: the variant, the clip range, the ratio's level, the KL's β. */
export interface GrpoLossOptions {
  loss_type: GrpoLossType;
  epsilon_low: number;
  epsilon_high: number;
  /** PPO's ε of `policy/clipfrac` (|ρ − 1| > clip). */
  clip: number;
  importance_sampling_level: 'token' | 'sequence';
  kl_coef: number;
  /** Dr. GRPO's constant: the most positions a completion may take (max_new_tokens; 1 for one action per row). */
  maxLength: number;
}

export function lossOptions(o: GrpoConfig, r: Pick<Rollout, 'M' | 'maxLength'>): GrpoLossOptions {
  return {
    loss_type: o.loss_type,
    epsilon_low: o.epsilon_low ?? o.clip,
    epsilon_high: o.epsilon_high ?? o.clip,
    clip: o.clip,
    importance_sampling_level: o.importance_sampling_level,
    kl_coef: o.kl_coef,
    maxLength: r.maxLength ?? r.M,
  };
}

export interface GrpoLosses {
  /** The whole loss: policy + β·KL. */
  loss: Tensor;
  /** The policy term (TRL's loss without β·KL). */
  policy: Tensor;
  /** Share of tokens with |ρ − 1| > clip (PPO's). */
  clipfrac: Tensor;
  /** TRL's clip_ratio/low_mean: ρ < 1 − ε_low where A < 0 (clipped from below). */
  low: Tensor;
  /** clip_ratio/high_mean: ρ > 1 + ε_high where A > 0; for CISPO, ρ > ε_max where A > 0 (TRL's cispo_clip_ratio). */
  high: Tensor;
  /** clip_ratio/region_mean: either. */
  region: Tensor;
}

/**
 * The GRPO family's loss on [rows, ...rowShape] tensors (mask null: every position is an action), as TRL's
 * `_compute_loss`: the importance weight per token or per sequence, the clipped surrogate (or CISPO's weighted
 * REINFORCE), plus β·k3 per token, aggregated by loss_type.
 */
export function grpoLoss(logp: Tensor, oldLogp: Tensor, refLogp: Tensor, advantages: Tensor, mask: Tensor | null, o: GrpoLossOptions): GrpoLosses {
  return tf.tidy(() => {
    const m = mask ?? tf.onesLike(advantages);
    const perSequence = o.importance_sampling_level === 'sequence' && logp.rank > 1;
    const logRatio = tf.sub(logp, oldLogp);
    // GSPO: log ρ_i = (1/|y_i|)·Σ_t log(π/π_old), the same for every token of completion i.
    const logWeight = perSequence ? tf.div(tf.sum(tf.mul(logRatio, m), -1, true), tf.maximum(tf.sum(m, -1, true), 1)) : logRatio;
    const ratio = tf.exp(logWeight);
    const agg = (x: Tensor) => aggregate(x, m, o.loss_type, o.maxLength);
    let policy: Tensor;
    if (o.loss_type === 'cispo') {
      // CISPO (MiniMax-M1): −sg(min(ρ, ε_max))·A·log π, every token keeps its gradient.
      policy = tf.neg(agg(tf.mul(tf.mul(stopGradient(tf.minimum(ratio, o.epsilon_high)), advantages), logp)));
    } else {
      const unclipped = tf.mul(ratio, advantages);
      const clipped = tf.mul(tf.clipByValue(ratio, 1 - o.epsilon_low, 1 + o.epsilon_high), advantages);
      policy = tf.neg(agg(tf.minimum(unclipped, clipped)));
    }
    // k3 = e^(log π_ref − log π) − (log π_ref − log π) − 1, an unbiased KL estimate that is never negative. One action
    // per row (no mask): every aggregation is the mean over rows.
    const d = tf.sub(refLogp, logp);
    const k3 = tf.sub(tf.sub(tf.exp(d), d), 1);
    const kl = mask ? agg(k3) : tf.mean(k3);
    // Clip statistics: over tokens, or over completions where the ratio is one per completion (TRL's masked_batch_mean).
    const share = (flag: Tensor) => (perSequence ? aggregate(tf.cast(flag, 'float32'), m, 'grpo', o.maxLength) : maskedMean(tf.cast(flag, 'float32'), m));
    const [neg, pos] = [tf.less(advantages, 0), tf.greater(advantages, 0)];
    const low = tf.logicalAnd(tf.less(ratio, 1 - o.epsilon_low), neg);
    const high = tf.logicalAnd(tf.greater(ratio, o.loss_type === 'cispo' ? o.epsilon_high : 1 + o.epsilon_high), pos);
    return {
      loss: tf.add(policy, tf.mul(kl, o.kl_coef)),
      policy,
      clipfrac: maskedMean(tf.cast(tf.greater(tf.abs(tf.sub(ratio, 1)), o.clip), 'float32'), m),
      low: share(low),
      high: share(high),
      region: share(tf.logicalOr(low, high)),
    };
  });
}

/**
 * Per-token values to one number, by TRL's loss_type: `grpo` Σ_t over each row / its tokens, then the mean over
 * rows; `bnpo`, `dapo` and `cispo` Σ over every token / the batch's tokens; `dr_grpo` Σ / (rows · maxLength). A row of
 * one action (rank 1) has a single token: all of them are the mean over rows.
 */
export function aggregate(x: Tensor, mask: Tensor, lossType: GrpoLossType, maxLength: number): Tensor {
  return tf.tidy(() => {
    if (x.rank > 1 && lossType === 'grpo') return tf.mean(tf.div(tf.sum(tf.mul(x, mask), -1), tf.maximum(tf.sum(mask, -1), 1)));
    if (x.rank > 1 && lossType === 'dr_grpo') return tf.div(tf.sum(tf.mul(x, mask)), x.shape[0] * maxLength);
    return maskedMean(x, mask);
  });
}

function maskedMean(x: Tensor, mask: Tensor): Tensor {
  return tf.div(tf.sum(tf.mul(x, mask)), tf.maximum(tf.sum(mask), 1));
}

/** x forward, no gradient back (torch's .detach()). */
const stopGradient = tf.customGrad((x) => ({ value: tf.clone(x as Tensor), gradFunc: (dy) => tf.zerosLike(dy) })) as (x: Tensor) => Tensor;

/** DAPO's soft overlong punishment: 0 up to L_max − cache, then −(|y| − (L_max − cache))/cache, −1 past L_max. */
export function softOverlongPunished(score: ArrayLike<number>, lengths: ArrayLike<number>, maxLength: number, cache: number): Float32Array {
  const limit = maxLength - cache;
  return Float32Array.from(score, (s, b) => s + (lengths[b] <= limit ? 0 : lengths[b] <= maxLength ? (limit - lengths[b]) / cache : -1));
}

/** Share of groups whose rewards all tie (std 0): TRL's frac_reward_zero_std. */
export function fracZeroStd(rewards: ArrayLike<number>, k: number): number {
  let tied = 0;
  for (let g = 0; g < rewards.length; g += k) if (tiedGroup(rewards, k, g)) tied++;
  return tied / (rewards.length / k);
}

function tiedGroup(rewards: ArrayLike<number>, k: number, row: number): boolean {
  const g = row - (row % k);
  for (let j = 1; j < k; j++) if (rewards[g + j] !== rewards[g]) return false;
  return true;
}

function sampleStd(x: ArrayLike<number>, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i];
  const m = s / (to - from);
  let v = 0;
  for (let i = from; i < to; i++) v += (x[i] - m) ** 2;
  return Math.sqrt(v / (to - from - 1));
}

/** Each row's number of sampled positions, where the rollout has a mask (completions); null for one action per row. */
export function completionLengths(r: Pick<Rollout, 'B' | 'M' | 'mask'>): Float32Array | null {
  if (!r.mask) return null;
  const out = new Float32Array(r.B);
  for (let i = 0; i < r.mask.length; i++) out[Math.floor(i / r.M)] += r.mask[i];
  return out;
}

/** Mean completion length of the rows with positive and with negative advantage (NaN where there are none). */
export function lengthsByAdvantage(lengths: ArrayLike<number>, advantages: ArrayLike<number>): MetricRow {
  const pick = (keep: (a: number) => boolean) => mean(Array.from(lengths).filter((_, b) => keep(advantages[b])));
  return { 'completions/mean_length_pos_adv': pick((a) => a > 0), 'completions/mean_length_neg_adv': pick((a) => a < 0) };
}

/** The rows' [M] slices of a per-position array, in order (the array itself when every row is kept). */
function gatherRows(a: Float32Array, rows: number[], r: Pick<Rollout, 'B' | 'M'>): Float32Array {
  if (rows.length === r.B) return a;
  const out = new Float32Array(rows.length * r.M);
  rows.forEach((row, q) => out.set(a.subarray(row * r.M, (row + 1) * r.M), q * r.M));
  return out;
}
