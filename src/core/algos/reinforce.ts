// REINFORCE with a baseline for a KL-regularized reward (Williams 1992; the RLHF objective of Ziegler et al. 2019):
//   R(x) = r_RM(x) − kl_coef·(log π(x) − log π_ref(x)),   A = (R − mean R) / std R,
//   L = −E_x~π[A·log π(x)]    (A held constant: its gradient flows only through log π).
// The KL term in R makes E[∇L] the gradient of −(E[r_RM] − kl_coef·KL(π ‖ π_ref)).
import { tf, type Tensor } from '../tf';

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
