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
