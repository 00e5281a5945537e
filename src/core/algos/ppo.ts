// PPO for RLHF (Ziegler et al. 2019; Stiennon et al. 2020; Ouyang et al. 2022), as RLHF.md gives it:
//   per-token reward   r_t = −β·KL_t, plus the reward model's score on the last token
//   GAE                δ_t = r_t + γ·V(s_{t+1}) − V(s_t),  A_t = Σ_l (γλ)^l δ_{t+l},  returns = A + V
//   clipped objective  ρ = exp(log π − log π_old),  L_π = −E[min(ρA, clip(ρ, 1−ε, 1+ε)A)]
//   value loss         ½·E[max((V − R)², (clip(V, V_old ± ε_v) − R)²)]
//   adaptive KL        e = clip(KL/KL_target − 1, −0.2, 0.2),  β ← β·(1 + e·n_steps/horizon)
// Rollout arithmetic (GAE, whitening) is plain arrays on the host: it is a few hundred numbers per batch.
import { tf, type Tensor } from '../tf';
import { klPerSample, type KlEstimator } from './kl';
import { stepKeeping, type Params } from '../models/params';
import type { Adam } from '../optim';

/** Generalized advantage estimation over one trajectory of n steps (V after the last step is 0). */
export function gae(
  rewards: ArrayLike<number>,
  values: ArrayLike<number>,
  gamma: number,
  lam: number,
): { advantages: Float32Array; returns: Float32Array } {
  const n = rewards.length;
  const advantages = new Float32Array(n);
  let next = 0;
  for (let t = n - 1; t >= 0; t--) {
    const nextValue = t + 1 < n ? values[t + 1] : 0;
    const delta = rewards[t] + gamma * nextValue - values[t];
    next = delta + gamma * lam * next;
    advantages[t] = next;
  }
  return { advantages, returns: Float32Array.from(advantages, (a, t) => a + values[t]) };
}

/** (x − mean) / std over the entries where mask is 1 (all when no mask); others become 0. */
export function whiten(x: ArrayLike<number>, mask?: ArrayLike<number>): Float32Array {
  let n = 0;
  let mean = 0;
  for (let i = 0; i < x.length; i++) if (!mask || mask[i]) (mean += x[i]), n++;
  mean /= Math.max(n, 1);
  let v = 0;
  for (let i = 0; i < x.length; i++) if (!mask || mask[i]) v += (x[i] - mean) ** 2;
  const std = Math.sqrt(v / Math.max(n, 1));
  return Float32Array.from(x, (xi, i) => (!mask || mask[i] ? (xi - mean) / (std + 1e-8) : 0));
}

/** Per-token KL penalty terms KL_t from log π and log π_ref of the sampled tokens. */
export function perTokenKl(logp: ArrayLike<number>, logpRef: ArrayLike<number>, estimator: KlEstimator): Float32Array {
  return Float32Array.from({ length: logp.length }, (_, i) => klPerSample(logp[i] - logpRef[i], estimator));
}

/** 1 − Var(R − V)/Var(R) over masked entries: 1 is a perfect critic, 0 no better than a constant. */
export function explainedVariance(returns: ArrayLike<number>, values: ArrayLike<number>, mask?: ArrayLike<number>): number {
  const variance = (f: (i: number) => number) => {
    let n = 0;
    let m = 0;
    for (let i = 0; i < returns.length; i++) if (!mask || mask[i]) (m += f(i)), n++;
    m /= Math.max(n, 1);
    let v = 0;
    for (let i = 0; i < returns.length; i++) if (!mask || mask[i]) v += (f(i) - m) ** 2;
    return v / Math.max(n, 1);
  };
  const vr = variance((i) => returns[i]);
  return vr === 0 ? Number.NaN : 1 - variance((i) => returns[i] - values[i]) / vr;
}

function maskedMean(x: Tensor, mask: Tensor): Tensor {
  return tf.div(tf.sum(tf.mul(x, mask)), tf.maximum(tf.sum(mask), 1));
}

export interface PpoLosses {
  /** L_π, a scalar. */
  policy: Tensor;
  /** Share of tokens with |ρ − 1| > ε. */
  clipfrac: Tensor;
  /** ½·E[(log ρ)²]. */
  approxkl: Tensor;
}

/** The clipped surrogate over tokens where mask is 1; every input has the same shape. */
export function ppoPolicyLoss(logp: Tensor, oldLogp: Tensor, advantages: Tensor, mask: Tensor, clip: number): PpoLosses {
  return tf.tidy(() => {
    const logRatio = tf.sub(logp, oldLogp);
    const ratio = tf.exp(logRatio);
    const unclipped = tf.mul(ratio, advantages);
    const clipped = tf.mul(tf.clipByValue(ratio, 1 - clip, 1 + clip), advantages);
    const policy = tf.neg(maskedMean(tf.minimum(unclipped, clipped), mask));
    const clipfrac = maskedMean(tf.cast(tf.greater(tf.abs(tf.sub(ratio, 1)), clip), 'float32'), mask);
    const approxkl = maskedMean(tf.mul(tf.square(logRatio), 0.5), mask);
    return { policy, clipfrac, approxkl };
  });
}

/** ½·max((V − R)², (V_old + clip(V − V_old, ±ε) − R)²) averaged over masked tokens. */
export function ppoValueLoss(values: Tensor, oldValues: Tensor, returns: Tensor, mask: Tensor, clip: number): Tensor {
  return tf.tidy(() => {
    const clipped = tf.add(oldValues, tf.clipByValue(tf.sub(values, oldValues), -clip, clip));
    const loss = tf.maximum(tf.square(tf.sub(values, returns)), tf.square(tf.sub(clipped, returns)));
    return tf.mul(maskedMean(loss, mask), 0.5);
  });
}

/** What a PPO minibatch holds from its rollout: every tensor has the shape of the log-probabilities. */
export interface PpoBatch {
  oldLogp: Tensor;
  advantages: Tensor;
  returns: Tensor;
  oldValues: Tensor;
  mask: Tensor;
}

/**
 * One gradient step of L = L_π + vf_coef·L_V, where `forward` computes log π and V (and any extra scalars to report)
 * from the current parameters. Returns [L_π, L_V, clipfrac, approxkl, ...extra] stacked, for the caller to read back
 * once per iteration.
 */
export function ppoStep(
  params: Params,
  opt: Adam,
  forward: () => { logp: Tensor; values: Tensor; extra?: Tensor[] },
  b: PpoBatch,
  o: { clip: number; value_clip: number; vf_coef: number },
): Tensor {
  return stepKeeping(params, opt, () => {
    const { logp, values, extra = [] } = forward();
    const pl = ppoPolicyLoss(logp, b.oldLogp, b.advantages, b.mask, o.clip);
    const vl = ppoValueLoss(values, b.oldValues, b.returns, b.mask, o.value_clip);
    return { loss: tf.add(pl.policy, tf.mul(vl, o.vf_coef)), stats: [pl.policy, vl, pl.clipfrac, pl.approxkl, ...extra] };
  });
}

/** The KL coefficient β: fixed, or adapted toward a KL target (Ziegler et al. 2019). */
export class KlController {
  constructor(
    public beta: number,
    readonly target: number | null,
    readonly horizon: number,
  ) {}

  /** After an iteration that measured `kl` (per sequence) over `nSteps` samples. */
  update(kl: number, nSteps: number): number {
    if (this.target === null || !Number.isFinite(kl)) return this.beta;
    const e = Math.max(-0.2, Math.min(0.2, kl / this.target - 1));
    this.beta *= 1 + (e * nSteps) / this.horizon;
    return this.beta;
  }
}
