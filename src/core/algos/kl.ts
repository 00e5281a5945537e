// Sample estimators of KL(π ‖ π_ref) from logr = log π(x) − log π_ref(x), x ~ π (joschu.net/blog/kl-approx).
//   k1 = logr                         unbiased, can be negative per sample
//   k2 = ½·logr²                      biased, low variance
//   k3 = (e^(−logr) − 1) + logr       unbiased, never negative
export type KlEstimator = 'k1' | 'k2' | 'k3';

export function klPerSample(logr: number, estimator: KlEstimator): number {
  switch (estimator) {
    case 'k1':
      return logr;
    case 'k2':
      return 0.5 * logr * logr;
    case 'k3':
      return Math.expm1(-logr) + logr;
  }
}

export function klEstimate(logr: ArrayLike<number>, estimator: KlEstimator): number {
  let s = 0;
  for (let i = 0; i < logr.length; i++) s += klPerSample(logr[i], estimator);
  return s / logr.length;
}

/**
 * Σ_t KL_t over each row's sampled positions (mask), [B]: the sequence KL of a completion, or a point's log-ratio.
 * Each term is rounded to float32 before it is summed, as the per-token arrays of PPO hold them.
 */
export function rowKl(
  r: { B: number; M: number; mask: Float32Array | null; logp: Float32Array; refLogp: Float32Array | null },
  estimator: KlEstimator,
): Float32Array {
  const out = new Float32Array(r.B);
  if (!r.refLogp) return out;
  for (let b = 0; b < r.B; b++) {
    let s = 0;
    for (let i = b * r.M; i < (b + 1) * r.M; i++) if (!r.mask || r.mask[i]) s += Math.fround(klPerSample(r.logp[i] - r.refLogp[i], estimator));
    out[b] = s;
  }
  return out;
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
