// The over-optimization lab's arithmetic: Gao et al.'s forms recovered by least squares from points drawn on known
// curves, the peak and the reward-hacking pick on worked examples, and the split of metric rows into curves.
import { describe, expect, it } from 'vitest';
import { fitBestOfN, fitRange, fitRl, hackingSamples, overoptCurves, overoptSummary, peak } from '../../src/core/analysis/overopt';

const ds = [0, 0.25, 0.5, 1, 1.5, 2, 3, 4, 5];

describe('Gao et al. fits', () => {
  it('best-of-n: R(d) = d(α − βd) is recovered exactly from points on the curve', () => {
    const f = fitBestOfN(ds, ds.map((d) => d * (0.8 - 0.15 * d)));
    expect(f.alpha).toBeCloseTo(0.8, 10);
    expect(f.beta).toBeCloseTo(0.15, 10);
    expect(f.r2).toBeCloseTo(1, 10);
    expect(f.points).toBe(ds.length);
  });

  it('RL: R(d) = d(α − β·log d) is recovered, skipping d = 0', () => {
    const f = fitRl(ds, ds.map((d) => (d === 0 ? 123 : d * (0.5 - 0.3 * Math.log(d)))));
    expect(f.alpha).toBeCloseTo(0.5, 10);
    expect(f.beta).toBeCloseTo(0.3, 10);
    expect(f.points).toBe(ds.length - 1); // the d = 0 point (with a value that would wreck the fit) is left out
  });

  it('with noise, the fit is the least-squares one: residuals orthogonal to both regressors', () => {
    const noise = [0.03, -0.02, 0.05, -0.04, 0.01, 0.02, -0.03, 0.04, -0.01];
    const r = ds.map((d, i) => d * (1 - 0.2 * d) + noise[i]);
    const f = fitBestOfN(ds, r);
    const res = ds.map((d, i) => r[i] - d * (f.alpha - f.beta * d));
    expect(Math.abs(res.reduce((s, e, i) => s + e * ds[i], 0))).toBeLessThan(1e-9);
    expect(Math.abs(res.reduce((s, e, i) => s + e * ds[i] ** 2, 0))).toBeLessThan(1e-9);
    expect(f.alpha).toBeCloseTo(1, 1);
    expect(f.beta).toBeCloseTo(0.2, 1);
    expect(f.r2).toBeGreaterThan(0.98);
    expect(f.r2).toBeLessThan(1);
  });

  it('too few points give NaN, not a made-up fit', () => {
    expect(fitRl([0, 1], [0, 1]).alpha).toBeNaN();
    expect(fitBestOfN([2], [1]).beta).toBeNaN();
  });
});

describe('peak and reward hacking', () => {
  it('peak: the highest gold and its √KL', () => {
    const rows = [
      { sqrtKl: 0, gold: 0.1, proxy: 0 },
      { sqrtKl: 1, gold: 0.6, proxy: 1 },
      { sqrtKl: 2, gold: 0.4, proxy: 2 },
    ];
    expect(peak(rows)).toEqual({ gold: 0.6, sqrtKl: 1 });
  });

  it('hacking samples: largest proxy − gold first, k of them', () => {
    const s = [
      { label: 'a', proxy: 1, gold: 0.9 }, // 0.1
      { label: 'b', proxy: 3, gold: 0.5 }, // 2.5
      { label: 'c', proxy: -1, gold: 0.2 }, // −1.2
      { label: 'd', proxy: 2, gold: 0 }, // 2
    ];
    expect(hackingSamples(s, 2).map((x) => x.label)).toEqual(['b', 'd']);
    expect(hackingSamples(s, 10).map((x) => x.label)).toEqual(['b', 'd', 'a', 'c']);
    expect(s.map((x) => x.label)).toEqual(['a', 'b', 'c', 'd']); // the input is not reordered
  });
});

describe('metric rows → curves → summary', () => {
  const rl = [0, 1, 4, 9, 16].map((kl, i) => ({ step: i, 'objective/kl': kl, 'gold/mean': 0.1 + [0, 0.3, 0.5, 0.4, 0.2][i], 'proxy/mean': i }));
  const bon = [1, 4, 16].map((n, i) => ({ step: 4, 'bon/n': n, 'objective/kl': [0, 0.64, 1.84][i], 'gold/mean': 0.1 + [0, 0.2, 0.3][i], 'proxy/mean': i }));

  it('splits RL and best-of-n rows on √KL; a negative k1 estimate counts as 0', () => {
    const c = overoptCurves([...rl, { step: 5, 'objective/kl': -0.5, 'gold/mean': 0.1, 'proxy/mean': 0 }, ...bon]);
    expect(c.rl.map((p) => p.sqrtKl)).toEqual([0, 1, 2, 3, 4, 0]);
    expect(c.bon.map((p) => p.sqrtKl)).toEqual([0, 0.8, Math.sqrt(1.84)]);
  });

  it('summary: peaks in absolute gold, fits on gold gained over the start', () => {
    const s = overoptSummary([...rl, ...bon]);
    expect(s.rl!.peak_gold).toBeCloseTo(0.6, 12);
    expect(s.rl!.peak_sqrt_kl).toBe(2);
    const direct = fitRl([1, 2, 3, 4], [0.3, 0.5, 0.4, 0.2]);
    expect(s.rl!.alpha).toBeCloseTo(direct.alpha, 12);
    expect(s.rl!.beta).toBeCloseTo(direct.beta, 12);
    expect(s.bon!.peak_gold).toBeCloseTo(0.4, 12);
    expect(overoptSummary(rl).bon).toBeUndefined();
  });

  it('fit ranges: each fit is drawn over its own points only (the RL fit from the smallest positive √KL)', () => {
    const c = overoptCurves([...rl, ...bon]);
    expect(fitRange(c.rl, true)).toEqual({ lo: 1, hi: 4 });
    expect(fitRange(c.bon, false)).toEqual({ lo: 0, hi: Math.sqrt(1.84) });
    expect(fitRange(c.bon.slice(0, 1), false)).toBeNull();
    expect(fitRange([], true)).toBeNull();
  });
});
