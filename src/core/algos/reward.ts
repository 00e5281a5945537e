// The reward model's loss: Bradley-Terry, P(a ≻ b) = σ(r(a) − r(b)) (RLHF.md).
// With target y = P(a ≻ b) from a label (1: a, 0: b, ½: tie) the loss is the cross-entropy
//   L = −[y·log σ(r(a) − r(b)) + (1 − y)·log σ(r(b) − r(a))],
// which for y = 1 is TRL's `-logsigmoid(rewards_chosen - rewards_rejected)`. Two terms of TRL's RewardTrainer join it:
//   a margin m ≥ 0 per pair (the labeler's strength of preference, TRL's `margin` column) is taken off the preferred
//   side's lead: −[y·log σ(Δ − m) + (1 − y)·log σ(−Δ − m)], TRL's `-logsigmoid(r_c − r_r − margin)` for y = 1;
//   `center_rewards_coefficient` c adds c·mean((r(a) + r(b))²), which pulls the rewards toward mean zero.
import { tf, type Tensor } from '../tf';
import { ops } from '../kernels';

export interface BradleyTerryTerms {
  /** An ensemble member's bootstrap counts per pair: every mean is weighted, Σ w·L / Σ w (its resample of the batch). */
  weights?: Tensor;
  /** Per pair, the margin m the preferred side must lead by (TRL's `margin`); absent: 0. */
  margin?: Tensor;
  /** TRL's `center_rewards_coefficient`: c·mean((r(a) + r(b))²) is added (0 or absent: nothing). */
  center?: number;
}

export function bradleyTerryLoss(rewardA: Tensor, rewardB: Tensor, target: Tensor, terms: BradleyTerryTerms = {}): Tensor {
  const { weights, margin, center } = terms;
  return tf.tidy(() => {
    const lead = tf.sub(rewardA, rewardB);
    const m = margin ?? tf.zeros(lead.shape);
    const lossA = tf.mul(target, logSigmoid(tf.sub(lead, m)));
    const lossB = tf.mul(tf.sub(1, target), logSigmoid(tf.sub(tf.neg(lead), m)));
    const mean = (perPair: Tensor) =>
      weights ? tf.div(tf.sum(tf.mul(perPair, weights)), tf.maximum(tf.sum(weights), 1)) : tf.mean(perPair);
    const loss = mean(tf.neg(tf.add(lossA, lossB)));
    return center ? tf.add(loss, tf.mul(center, mean(tf.square(tf.add(rewardA, rewardB))))) : loss;
  });
}

/**
 * LMArena's style control: the score a comparison is fit to is r_θ(x, y) + w·f(y), with f a style covariate (a
 * completion's length) and w a coefficient fit jointly with θ; where the policy is scored, w·f is left out, so the
 * reward model's own score r_θ carries what the labels say beyond style.
 */
export function withCovariate(rewards: Tensor, feature: Tensor, w: Tensor): Tensor {
  return tf.tidy(() => tf.add(rewards, tf.mul(w, feature)));
}

/** The margin and centering terms of a batch of labels (a tensor only where some label has a margin; call in tf.tidy). */
export function labelTerms(labels: readonly { margin?: number }[], center = 0): Omit<BradleyTerryTerms, 'weights'> {
  const margin = labels.some((l) => l.margin) ? tf.tensor1d(labels.map((l) => l.margin ?? 0)) : undefined;
  return { margin, center };
}

/**
 * bradleyTerryLoss of the rewards of a batch scored as one: `rewards` [2n] holds the n pairs' A rewards, then their B
 * rewards. On webgpu, one dispatch each way (kernels/webgpu_pair_loss.ts) when there is no margin or centering term.
 */
export function stackedBradleyTerryLoss(rewards: Tensor, target: Tensor, terms: Omit<BradleyTerryTerms, 'weights'> = {}): Tensor {
  const n = rewards.size / 2;
  const plain = () => tf.tidy(() => bradleyTerryLoss(tf.slice(rewards, 0, n), tf.slice(rewards, n, n), target, terms));
  // The fused kernel computes the plain loss only.
  return terms.margin || terms.center ? plain() : ops.pairLoss({ scores: rewards, targets: target, beta: 1 }, plain);
}

/** log σ(z) = −softplus(−z). tf.logSigmoid's custom gradient reads a disposed tensor inside tf.tidy (tfjs 4.22). */
export function logSigmoid(z: Tensor): Tensor {
  return tf.neg(tf.softplus(tf.neg(z)));
}

/** Fraction of decisive pairs on which the model ranks the preferred one higher (ties in the label are left out). */
export function pairAccuracy(rewardA: ArrayLike<number>, rewardB: ArrayLike<number>, target: ArrayLike<number>): number {
  let right = 0;
  let n = 0;
  for (let i = 0; i < target.length; i++) {
    if (target[i] === 0.5) continue;
    n += 1;
    // Strictly higher, as RLHF.md defines it: equal scores rank neither first.
    if (target[i] === 1 ? rewardA[i] > rewardB[i] : rewardB[i] > rewardA[i]) right += 1;
  }
  return n === 0 ? Number.NaN : right / n;
}
