// RLOO and GRPO advantages on a worked group, and best-of-n's KL against a Monte-Carlo estimate.
import { describe, expect, it } from 'vitest';
import { rlooAdvantages } from '../../src/core/algos/rloo';
import { grpoAdvantages } from '../../src/core/algos/grpo';
import { bestOfNKl, bestOfNPicks } from '../../src/core/algos/best_of_n';
import { Rng } from '../../src/core/rng';

describe('group baselines', () => {
  // One prompt, k = 4 samples with rewards 1, 2, 3, 6 (a second group shifted by 10 must give the same advantages).
  const rewards = [1, 2, 3, 6, 11, 12, 13, 16];

  it('RLOO: each sample minus the mean of the other three', () => {
    // 1 − 11/3, 2 − 10/3, 3 − 9/3, 6 − 6/3
    const want = [-8 / 3, -4 / 3, 0, 4];
    const a = rlooAdvantages(rewards, 4);
    want.forEach((w, i) => {
      expect(a[i]).toBeCloseTo(w, 5);
      expect(a[i + 4]).toBeCloseTo(w, 5);
    });
  });

  it('GRPO: (R − group mean) / group std (k − 1 in the variance)', () => {
    // mean 3, deviations −2, −1, 0, 3, variance 14/3, std 2.1602469
    const want = [-0.92577724, -0.46288862, 0, 1.38866587];
    const a = grpoAdvantages(rewards, 4);
    want.forEach((w, i) => {
      expect(a[i]).toBeCloseTo(w, 5);
      expect(a[i + 4]).toBeCloseTo(w, 5);
    });
  });

  it('refuses a group size that does not divide the batch', () => {
    expect(() => rlooAdvantages([1, 2, 3], 2)).toThrow(/divide/);
    expect(() => grpoAdvantages([1, 2], 1)).toThrow(/≥ 2/);
  });
});

describe('best-of-n', () => {
  it('KL is log n − (n−1)/n (worked values)', () => {
    expect(bestOfNKl(1)).toBe(0);
    expect(bestOfNKl(2)).toBeCloseTo(Math.log(2) - 0.5, 12); // 0.1931471806
    expect(bestOfNKl(4)).toBeCloseTo(0.6362943611, 9);
    expect(() => bestOfNKl(0)).toThrow(/n ≥ 1/);
  });

  it('picks the highest score of each block', () => {
    expect(bestOfNPicks([0.1, 0.9, 0.3, 5, 4, 6], 3)).toEqual([1, 5]);
  });

  it('matches a Monte-Carlo estimate of KL(best-of-n ‖ base) on a small categorical', () => {
    // Base: 256 equally likely outcomes with distinct rewards (reward = index). Draw best-of-n many times, estimate
    // q by counting, and KL = Σ q̂ log(q̂ / p). The closed form holds for continuous rewards; 256 outcomes come close.
    const m = 256;
    const draws = 100_000;
    for (const n of [1, 2, 4, 16]) {
      const rng = new Rng(n);
      const counts = new Float64Array(m);
      for (let d = 0; d < draws; d++) {
        let best = -1;
        for (let j = 0; j < n; j++) best = Math.max(best, rng.int(m));
        counts[best] += 1;
      }
      let kl = 0;
      for (const c of counts) if (c > 0) kl += (c / draws) * Math.log((c / draws) * m);
      expect(Math.abs(kl - bestOfNKl(n))).toBeLessThan(0.02);
    }
  });
});
