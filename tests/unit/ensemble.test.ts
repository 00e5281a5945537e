// Ensemble arithmetic on hand-worked numbers, and the bootstrap weights against the Poisson(1) law they stand for.
import { describe, expect, it } from 'vitest';
import { argmax, bootstrapWeight, conservativeScore, memberStats, pairDisagreement } from '../../src/core/algos/ensemble';

describe('reward-model ensembles', () => {
  // Two members on two samples: member 0 says [1, 2], member 1 says [3, 0].
  const scores = [Float32Array.of(1, 2), Float32Array.of(3, 0)];

  it('mean and standard deviation across members', () => {
    const { mean, std } = memberStats(scores);
    expect([...mean]).toEqual([2, 1]);
    expect([...std]).toEqual([1, 1]);
  });

  it('conservative scores: mean, worst member, mean − λ·std', () => {
    expect([...conservativeScore(scores, 'mean')]).toEqual([2, 1]);
    expect([...conservativeScore(scores, 'worst')]).toEqual([1, 0]);
    expect([...conservativeScore(scores, 'mean_minus_std', 2)]).toEqual([0, -1]);
  });

  it('disagreement is the spread of the members’ win probabilities', () => {
    // Member 0: σ(0 − 0) = ½; member 1: σ(0 − ln 3) = ¼; std of {½, ¼} = ⅛. Pair 2: both say σ(1) — no spread.
    const d = pairDisagreement([Float32Array.of(0, 1), Float32Array.of(0, 1)], [Float32Array.of(0, 0), Float32Array.of(Math.log(3), 0)]);
    expect(d[0]).toBeCloseTo(0.125, 6);
    expect(d[1]).toBeCloseTo(0, 6);
    expect(argmax(d)).toBe(0);
  });

  it('bootstrap weights follow Poisson(1), differ by member and are fixed per label', () => {
    const n = 20000;
    const w = Array.from({ length: n }, (_, id) => bootstrapWeight(7, 0, id));
    const zeros = w.filter((x) => x === 0).length / n;
    const ones = w.filter((x) => x === 1).length / n;
    const mean = w.reduce((s, x) => s + x, 0) / n;
    expect(zeros).toBeCloseTo(Math.exp(-1), 1.5); // 0.368 ± 0.016
    expect(ones).toBeCloseTo(Math.exp(-1), 1.5);
    expect(mean).toBeGreaterThan(0.97);
    expect(mean).toBeLessThan(1.03);
    expect(bootstrapWeight(7, 0, 123)).toBe(bootstrapWeight(7, 0, 123));
    const other = Array.from({ length: n }, (_, id) => bootstrapWeight(7, 1, id));
    const same = w.filter((x, i) => x === other[i]).length / n;
    expect(same).toBeLessThan(0.5); // independent members agree on about Σ p_k² ≈ 0.35 of labels
  });
});
