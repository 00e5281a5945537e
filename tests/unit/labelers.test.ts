// Simulated labelers: answer frequencies over many seeded draws against the model in RLHF.md,
//   P(skip) = s,  P(a) = (1 − s)·(ε/2 + (1 − ε)·σ(β·Δg)),  ties when |Δg| < δ (then only the ε coin flip decides).
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng';
import { pickLabeler, simulatedAnswer, targetOf, type Answer } from '../../src/core/feedback/labelers';
import type { LabelerConfig } from '../../src/core/experiment/parse';

type Simulated = Extract<LabelerConfig, { kind: 'simulated' }>;
const labeler = (o: Partial<Simulated>): Simulated => ({
  kind: 'simulated',
  beta: 1,
  epsilon: 0,
  tie_margin: 0,
  skip_prob: 0,
  weight: 1,
  length_bias: 0,
  ...o,
});

const sigma = (z: number) => 1 / (1 + Math.exp(-z));
const N = 20000;

function frequencies(cfg: Simulated, gA: number, gB: number, seed: number): Record<string, number> {
  const rng = new Rng(seed);
  const counts: Record<string, number> = { a: 0, b: 0, tie: 0, skip: 0 };
  for (let i = 0; i < N; i++) counts[simulatedAnswer(cfg, gA, gB, rng)] += 1;
  return { a: counts.a / N, b: counts.b / N, tie: counts.tie / N, skip: counts.skip / N };
}

/** |observed − p| within 4 standard errors of a proportion over N draws. */
function expectProportion(observed: number, p: number): void {
  const se = Math.sqrt((p * (1 - p)) / N);
  expect(Math.abs(observed - p)).toBeLessThanOrEqual(4 * se + 1e-12);
}

describe('simulatedAnswer', () => {
  it('is Boltzmann-rational: P(a) = σ(β·Δg) without noise', () => {
    // β = 2, Δg = 0.5 − 0.1 = 0.4 → σ(0.8) = 0.6899744811
    const f = frequencies(labeler({ beta: 2 }), 0.5, 0.1, 1);
    expectProportion(f.a, 0.6899744811);
    expect(f.a + f.b).toBe(1);
  });

  it('mixes in an ε coin flip: P(a) = ε/2 + (1 − ε)·σ(β·Δg)', () => {
    // β = 4, ε = 0.3, Δg = −0.25 → σ(−1) = 0.2689414214; P(a) = 0.15 + 0.7·0.2689414214 = 0.3382589950
    const f = frequencies(labeler({ beta: 4, epsilon: 0.3 }), 0.25, 0.5, 2);
    expectProportion(f.a, 0.338258995);
    expectProportion(f.b, 1 - 0.338258995);
    expect(f.tie).toBe(0);
  });

  it('answers by the ε coin alone when ε = 1, whatever the gold gap', () => {
    const f = frequencies(labeler({ beta: 1000, epsilon: 1 }), 1, 0, 3);
    expectProportion(f.a, 0.5);
  });

  it('is a perfect labeler as β grows', () => {
    const f = frequencies(labeler({ beta: 1e6 }), 0.101, 0.1, 4);
    expect(f.a).toBe(1);
  });

  it('answers tie when |Δg| < tie_margin, except for the ε coin flips', () => {
    // δ = 0.05, Δg = 0.03: ties with probability 1 − ε = 0.8; a and b each ε/2 = 0.1.
    const cfg = labeler({ beta: 50, epsilon: 0.2, tie_margin: 0.05 });
    const f = frequencies(cfg, 0.53, 0.5, 5);
    expectProportion(f.tie, 0.8);
    expectProportion(f.a, 0.1);
    expectProportion(f.b, 0.1);
    // Just outside the margin there are no ties: Δg = 0.06 → P(a) = 0.1 + 0.8·σ(3) = 0.1 + 0.8·0.9525741268 = 0.8620593014
    const g = frequencies(cfg, 0.56, 0.5, 6);
    expect(g.tie).toBe(0);
    expectProportion(g.a, 0.8620593014);
    // Symmetric: Δg = −0.03 is a tie too.
    expect(frequencies(labeler({ tie_margin: 0.05 }), 0.5, 0.53, 7).tie).toBe(1);
  });

  it('skips with skip_prob, and the rest follows the same model scaled by 1 − skip', () => {
    // s = 0.25, ε = 0.1, β = 1, Δg = 1: P(a) = 0.75·(0.05 + 0.9·σ(1)) = 0.75·(0.05 + 0.9·0.7310585786) = 0.5309145406
    const f = frequencies(labeler({ skip_prob: 0.25, epsilon: 0.1 }), 1, 0, 8);
    expectProportion(f.skip, 0.25);
    expectProportion(f.a, 0.5309145406);
    expectProportion(f.b, 0.75 - 0.5309145406);
  });

  it('draws the same answers from the same seed', () => {
    const cfg = labeler({ beta: 3, epsilon: 0.2, skip_prob: 0.1 });
    const r1 = new Rng(42);
    const r2 = new Rng(42);
    const s1 = Array.from({ length: 200 }, () => simulatedAnswer(cfg, 0.3, 0.1, r1));
    const s2 = Array.from({ length: 200 }, () => simulatedAnswer(cfg, 0.3, 0.1, r2));
    expect(s1).toEqual(s2);
  });
});

describe('pickLabeler', () => {
  it('shares the queries by weight', () => {
    // weights 1 : 3 : 0 → 0.25, 0.75, 0
    const panel = [labeler({ weight: 1 }), labeler({ weight: 3 }), labeler({ weight: 0 })];
    const rng = new Rng(9);
    const counts = [0, 0, 0];
    for (let i = 0; i < N; i++) counts[pickLabeler(panel, rng)] += 1;
    expectProportion(counts[0] / N, 0.25);
    expectProportion(counts[1] / N, 0.75);
    expect(counts[2]).toBe(0);
  });

  it('always picks the only labeler, and the first when every weight is zero', () => {
    const rng = new Rng(10);
    const one = [labeler({ weight: 0.2 })];
    const zeros = [labeler({ weight: 0 }), labeler({ weight: 0 })];
    for (let i = 0; i < 100; i++) {
      expect(pickLabeler(one, rng)).toBe(0);
      expect(pickLabeler(zeros, rng)).toBe(0);
    }
  });
});

describe('targetOf', () => {
  it('maps answers to P(a ≻ b)', () => {
    expect(targetOf('a')).toBe(1);
    expect(targetOf('b')).toBe(0);
    expect(targetOf('tie')).toBe(0.5);
    expect(targetOf('skip')).toBeNull();
  });
});
