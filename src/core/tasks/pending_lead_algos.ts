// STAND-INS, to be deleted when the lead's algos land (issue #5): the landscape optimizers are written against
// these exact signatures of algos/dpo.ts (`preferenceLoss`), algos/group.ts (`rlooAdvantages`, `grpoAdvantages`)
// and algos/best_of_n.ts (`bestOfNKl`). On merge, point landscape2d_lab.ts's import at those files and delete this one.
import { tf, type Tensor } from '../tf';
import { logSigmoid } from '../algos/reward';

/** Mean DPO / IPO / cDPO loss over pairs (RLHF.md): h = β·[(log π − log π_ref)(y_w) − (log π − log π_ref)(y_l)]. */
export function preferenceLoss(
  logpChosen: Tensor,
  logpRejected: Tensor,
  refChosen: Tensor,
  refRejected: Tensor,
  opts: { loss: 'sigmoid' | 'ipo' | 'cdpo'; beta: number; labelSmoothing: number },
): Tensor {
  return tf.tidy(() => {
    const logits = tf.sub(tf.sub(logpChosen, logpRejected), tf.sub(refChosen, refRejected));
    const h = tf.mul(logits, opts.beta);
    if (opts.loss === 'ipo') return tf.mean(tf.square(tf.sub(logits, 1 / (2 * opts.beta))));
    const eps = opts.loss === 'cdpo' ? opts.labelSmoothing : 0;
    return tf.neg(tf.mean(tf.add(tf.mul(logSigmoid(h), 1 - eps), tf.mul(logSigmoid(tf.neg(h)), eps))));
  });
}

/** RLOO: A_i = R_i − mean of the other k − 1 rewards of its group (groups: consecutive blocks of k). */
export function rlooAdvantages(rewards: Float32Array, k: number): Float32Array {
  const out = new Float32Array(rewards.length);
  for (let g = 0; g < rewards.length; g += k) {
    let s = 0;
    for (let i = g; i < g + k; i++) s += rewards[i];
    for (let i = g; i < g + k; i++) out[i] = rewards[i] - (s - rewards[i]) / (k - 1);
  }
  return out;
}

/** GRPO: A_i = (R_i − group mean) / (group std + 1e-8). */
export function grpoAdvantages(rewards: Float32Array, k: number): Float32Array {
  const out = new Float32Array(rewards.length);
  for (let g = 0; g < rewards.length; g += k) {
    let s = 0;
    for (let i = g; i < g + k; i++) s += rewards[i];
    const m = s / k;
    let v = 0;
    for (let i = g; i < g + k; i++) v += (rewards[i] - m) ** 2;
    const std = Math.sqrt(v / k);
    for (let i = g; i < g + k; i++) out[i] = (rewards[i] - m) / (std + 1e-8);
  }
  return out;
}

/** KL(best-of-n ‖ base) = log n − (n − 1)/n. */
export function bestOfNKl(n: number): number {
  return Math.log(n) - (n - 1) / n;
}
