// Direct preference optimization (Rafailov et al. 2023), as RLHF.md gives it: with sequence log-probabilities
// summed over the completion's tokens,
//   h = β·[(log π(y_w) − log π_ref(y_w)) − (log π(y_l) − log π_ref(y_l))],   L = −log σ(h),
// averaged over pairs: TRL's `-F.logsigmoid(beta * logits).mean()`. The implicit reward of a completion is
// β·(log π(y) − log π_ref(y)).
import { tf, type Tensor } from '../tf';
import { logSigmoid } from './reward';

export interface DpoInputs {
  /** log π(y_w | x) per pair: [B]. */
  policyChosen: Tensor;
  /** log π(y_l | x): [B]. */
  policyRejected: Tensor;
  /** log π_ref(y_w | x): [B], no gradient needed. */
  refChosen: Tensor;
  /** log π_ref(y_l | x): [B]. */
  refRejected: Tensor;
}

/** The DPO loss, a scalar: −mean log σ(β·(policy margin − reference margin)). */
export function dpoLoss(x: DpoInputs, beta: number): Tensor {
  return tf.tidy(() => {
    const policyMargin = tf.sub(x.policyChosen, x.policyRejected);
    const refMargin = tf.sub(x.refChosen, x.refRejected);
    return tf.neg(tf.mean(logSigmoid(tf.mul(tf.sub(policyMargin, refMargin), beta))));
  });
}

/** Sequence log-probabilities [B] from per-token ones [B, N]: summed over the tokens where mask is 1 (all without one). */
export function sequenceLogp(tokenLogp: Tensor, mask?: Tensor): Tensor {
  return tf.tidy(() => tf.sum(mask ? tf.mul(tokenLogp, mask) : tokenLogp, -1));
}
