// KL estimators (k1, k2, k3) on samples of a diagonal Gaussian policy, against the closed-form KL between Gaussians.
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/core/tf';
import { Rng } from '../../src/core/rng';
import { klEstimate, klPerSample } from '../../src/core/algos/kl';
import { mixtureLogProb, sampleMixture } from '../../src/core/models/gaussian_mixture';
import { disposeParams, makeParams, type Params } from '../../src/core/models/params';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A one-component mixture: a diagonal Gaussian N(mean, diag(std²)) on the plane. */
function gaussian(mean: [number, number], std: [number, number]): Params {
  return makeParams({
    logits: { shape: [1], data: new Float32Array([0]) },
    means: { shape: [1, 2], data: new Float32Array(mean) },
    log_std: { shape: [1, 2], data: new Float32Array(std.map(Math.log)) },
  });
}

/** KL(N(μ1, σ1²) ‖ N(μ0, σ0²)) summed over independent dimensions: Σ log(σ0/σ1) + (σ1² + (μ1 − μ0)²)/(2σ0²) − ½. */
function gaussianKl(mu1: number[], s1: number[], mu0: number[], s0: number[]): number {
  let kl = 0;
  for (let d = 0; d < mu1.length; d++) {
    kl += Math.log(s0[d] / s1[d]) + (s1[d] ** 2 + (mu1[d] - mu0[d]) ** 2) / (2 * s0[d] ** 2) - 0.5;
  }
  return kl;
}

async function logRatios(pi: Params, ref: Params, n: number, seed: number): Promise<Float32Array> {
  const pts = await sampleMixture(pi, n, new Rng(seed));
  const lr = tf.tidy(() => {
    const x = tf.tensor2d(pts, [n, 2]);
    return tf.sub(mixtureLogProb(pi, x), mixtureLogProb(ref, x));
  });
  const out = (await lr.data()) as Float32Array;
  lr.dispose();
  return out;
}

function meanAndSe(xs: ArrayLike<number>): { mean: number; se: number } {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  const mean = s / xs.length;
  let v = 0;
  for (let i = 0; i < xs.length; i++) v += (xs[i] - mean) ** 2;
  return { mean, se: Math.sqrt(v / (xs.length - 1) / xs.length) };
}

describe('mixtureLogProb of one component', () => {
  it('is the diagonal Gaussian log density', async () => {
    const p = gaussian([0.5, -1], [0.7, 1.3]);
    const pts = [
      [0, 0],
      [0.5, -1],
      [2, 1.5],
    ];
    const lp = tf.tidy(() => mixtureLogProb(p, tf.tensor2d(pts)));
    const got = await lp.data();
    lp.dispose();
    pts.forEach(([x, y], i) => {
      // log N(x; μ, σ²) = −½((x − μ)/σ)² − log σ − ½ log 2π, per dimension
      const ref =
        -0.5 * ((x - 0.5) / 0.7) ** 2 - Math.log(0.7) - 0.5 * Math.log(2 * Math.PI) +
        (-0.5 * ((y + 1) / 1.3) ** 2 - Math.log(1.3) - 0.5 * Math.log(2 * Math.PI));
      expect(got[i]).toBeCloseTo(ref, 4);
    });
    disposeParams(p);
  });
});

describe('klEstimate on a Gaussian policy', () => {
  const n = 20000;
  // π = N([0.3, −0.2], diag(0.8², 1.1²)), π_ref = N(0, I):
  //   dim x: log(1/0.8) + (0.64 + 0.09)/2 − ½ = 0.2231436 + 0.365 − 0.5 = 0.0881436
  //   dim y: log(1/1.1) + (1.21 + 0.04)/2 − ½ = −0.0953102 + 0.625 − 0.5 = 0.0296898
  //   KL = 0.1178334
  const truth = gaussianKl([0.3, -0.2], [0.8, 1.1], [0, 0], [1, 1]);

  it('has the closed form worked by hand', () => {
    expect(truth).toBeCloseTo(0.1178334, 6);
  });

  it('k1 and k3 are unbiased: their means agree with the closed form within 4 standard errors', async () => {
    const pi = gaussian([0.3, -0.2], [0.8, 1.1]);
    const ref = gaussian([0, 0], [1, 1]);
    const logr = await logRatios(pi, ref, n, 11);
    for (const est of ['k1', 'k3'] as const) {
      const per = Float64Array.from(logr, (l) => klPerSample(l, est));
      const { mean, se } = meanAndSe(per);
      expect(klEstimate(logr, est)).toBeCloseTo(mean, 6);
      expect(Math.abs(mean - truth)).toBeLessThan(4 * se);
      expect(se).toBeLessThan(0.01); // the test has power: 4·SE is small next to KL ≈ 0.118
    }
    disposeParams(pi);
    disposeParams(ref);
  });

  it('k3 never goes negative per sample, while k1 does', async () => {
    const pi = gaussian([0.3, -0.2], [0.8, 1.1]);
    const ref = gaussian([0, 0], [1, 1]);
    const logr = await logRatios(pi, ref, 2000, 12);
    expect(Array.from(logr).some((l) => klPerSample(l, 'k1') < 0)).toBe(true);
    expect(Array.from(logr).every((l) => klPerSample(l, 'k3') >= 0)).toBe(true);
    disposeParams(pi);
    disposeParams(ref);
  });

  it('is zero for identical policies', async () => {
    const pi = gaussian([1, 1], [0.5, 0.5]);
    const ref = gaussian([1, 1], [0.5, 0.5]);
    const logr = await logRatios(pi, ref, 500, 13);
    for (const est of ['k1', 'k2', 'k3'] as const) expect(klEstimate(logr, est)).toBe(0);
    disposeParams(pi);
    disposeParams(ref);
  });
});

describe('klPerSample formulas', () => {
  it('k1 = logr, k2 = ½·logr², k3 = e^(−logr) − 1 + logr', () => {
    // logr = 1:  k2 = 0.5, k3 = e^−1 = 0.3678794412
    // logr = −2: k2 = 2,   k3 = e² − 3 = 4.3890560989
    expect(klPerSample(1, 'k1')).toBe(1);
    expect(klPerSample(-2, 'k1')).toBe(-2);
    expect(klPerSample(1, 'k2')).toBeCloseTo(0.5, 12);
    expect(klPerSample(-2, 'k2')).toBeCloseTo(2, 12);
    expect(klPerSample(1, 'k3')).toBeCloseTo(0.3678794412, 9);
    expect(klPerSample(-2, 'k3')).toBeCloseTo(4.3890560989, 9);
    // near 0, k3 ≈ logr²/2 (no cancellation to a negative number)
    expect(klPerSample(1e-9, 'k3')).toBeGreaterThanOrEqual(0);
    expect(klPerSample(1e-4, 'k3')).toBeCloseTo(0.5e-8, 12);
  });

  it('k3 ≥ 0 over a sweep of logr', () => {
    for (let l = -20; l <= 20; l += 0.01) expect(klPerSample(l, 'k3')).toBeGreaterThanOrEqual(0);
  });

  it('klEstimate averages the per-sample values', () => {
    // k2 of [1, −2, 3] = (0.5 + 2 + 4.5)/3 = 7/3
    expect(klEstimate([1, -2, 3], 'k2')).toBeCloseTo(7 / 3, 12);
    expect(klEstimate(new Float32Array([1, -2, 3]), 'k1')).toBeCloseTo(2 / 3, 7);
  });
});
