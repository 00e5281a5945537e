// The reward model's loss: Bradley-Terry, P(a ≻ b) = σ(r(a) − r(b)) (RLHF.md).
// With target y = P(a ≻ b) from a label (1: a, 0: b, ½: tie) the loss is the cross-entropy
//   L = −[y·log σ(r(a) − r(b)) + (1 − y)·log σ(r(b) − r(a))],
// which for y = 1 is TRL's `-logsigmoid(rewards_chosen - rewards_rejected)`.
import { tf, type Tensor } from '../tf';
import { ops } from '../kernels';

/**
 * With `weights` (an ensemble member's bootstrap counts per pair) the mean is weighted: Σ w·L / Σ w, the loss on the
 * member's resample of the batch.
 */
export function bradleyTerryLoss(rewardA: Tensor, rewardB: Tensor, target: Tensor, weights?: Tensor): Tensor {
  return tf.tidy(() => {
    const margin = tf.sub(rewardA, rewardB);
    const lossA = tf.mul(target, logSigmoid(margin));
    const lossB = tf.mul(tf.sub(1, target), logSigmoid(tf.neg(margin)));
    const perPair = tf.neg(tf.add(lossA, lossB));
    if (!weights) return tf.mean(perPair);
    return tf.div(tf.sum(tf.mul(perPair, weights)), tf.maximum(tf.sum(weights), 1));
  });
}

/**
 * bradleyTerryLoss of the rewards of a batch scored as one: `rewards` [2n] holds the n pairs' A rewards, then their B
 * rewards. On webgpu, one dispatch each way (kernels/webgpu_pair_loss.ts); the same function.
 */
export function stackedBradleyTerryLoss(rewards: Tensor, target: Tensor): Tensor {
  const n = rewards.size / 2;
  return ops.pairLoss({ scores: rewards, targets: target, beta: 1 }, () =>
    tf.tidy(() => bradleyTerryLoss(tf.slice(rewards, 0, n), tf.slice(rewards, n, n), target)),
  );
}

/** log σ(z) = −softplus(−z). tf.logSigmoid's custom gradient reads a disposed tensor inside tf.tidy (tfjs 4.22). */
export function logSigmoid(z: Tensor): Tensor {
  return tf.neg(tf.softplus(tf.neg(z)));
}

/**
 * How often the reward model orders pairs of the policy's own samples as gold does: samples 0-1, 2-3, … paired, the
 * share where the higher score is the higher gold (`rm/policy_agreement`; the audit a labeler could answer on a few
 * pairs of the current policy, which the hacking-onset monitor watches).
 */
export function policyAgreement(score: ArrayLike<number>, gold: ArrayLike<number>): number {
  let agree = 0;
  for (let i = 0; i + 1 < score.length; i += 2) agree += Number(score[i] > score[i + 1] === gold[i] > gold[i + 1]);
  return agree / Math.floor(score.length / 2);
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
