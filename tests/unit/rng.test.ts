// The seeded generator: sfc32 against an independent implementation, determinism, state round trips, moments.
import { describe, expect, it } from 'vitest';
import { Rng, type RngState } from '../../src/core/rng';

/** sfc32 as published with PractRand (Doty-Humphrey), written independently: one 32-bit output per call. */
function sfc32(state: RngState): () => number {
  let [a, b, c, d] = state.map((x) => x | 0);
  return () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
}

describe('Rng', () => {
  it('is sfc32 from a given state', () => {
    const state: RngState = [0x12345678, 0x9abcdef0, 0xdeadbeef, 1];
    const ref = sfc32(state);
    const rng = new Rng(state);
    for (let i = 0; i < 1000; i++) expect(rng.uint32()).toBe(ref());
  });

  it('gives the same numbers for the same seed and different ones for another seed', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    const c = new Rng(8);
    const sa = Array.from({ length: 100 }, () => a.uint32());
    const sb = Array.from({ length: 100 }, () => b.uint32());
    const sc = Array.from({ length: 100 }, () => c.uint32());
    expect(sa).toEqual(sb);
    expect(sa.filter((x, i) => x === sc[i]).length).toBeLessThan(3);
    // seed 0 must not be a degenerate all-zero state
    const z = new Rng(0);
    const sz = Array.from({ length: 10 }, () => z.uint32());
    expect(new Set(sz).size).toBe(10);
  });

  it('continues identically from a saved state, and state() is a copy', () => {
    const rng = new Rng(123);
    for (let i = 0; i < 37; i++) rng.normal();
    const saved = rng.state();
    const expected = Array.from({ length: 50 }, () => [rng.uniform(), rng.normal(), rng.int(10)]);
    const restored = new Rng(saved);
    expect(Array.from({ length: 50 }, () => [restored.uniform(), restored.normal(), restored.int(10)])).toEqual(expected);
    // Mutating a returned state or the array passed in must not touch the generator.
    const r2 = new Rng(5);
    const s = r2.state();
    const next = new Rng(s).uint32();
    s[0] ^= 0xffff;
    expect(r2.uint32()).toBe(next);
    // Words survive a JSON round trip (a checkpoint): all are unsigned 32-bit integers.
    for (const w of saved) expect(Number.isInteger(w) && w >= 0 && w < 2 ** 32).toBe(true);
  });

  it('draws uniforms in [0, 1) with mean ½ and variance 1/12', () => {
    const rng = new Rng(2024);
    const n = 100000;
    let s = 0;
    let s2 = 0;
    let min = 1;
    let max = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.uniform();
      s += u;
      s2 += u * u;
      min = Math.min(min, u);
      max = Math.max(max, u);
    }
    const mean = s / n;
    const variance = s2 / n - mean * mean;
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    // SE of the mean: √(1/12/n) = 0.000913; of the variance: √((1/80 − 1/144)/n) = 0.000236.
    expect(Math.abs(mean - 0.5)).toBeLessThan(4 * 0.000913);
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(4 * 0.000236);
  });

  it('draws standard normals with mean 0, variance 1 and the right tails', () => {
    const rng = new Rng(99);
    const n = 100000;
    let s = 0;
    let s2 = 0;
    let beyond2 = 0;
    for (let i = 0; i < n; i++) {
      const z = rng.normal();
      s += z;
      s2 += z * z;
      if (Math.abs(z) > 2) beyond2 += 1;
    }
    const mean = s / n;
    const variance = s2 / n - mean * mean;
    // SE of the mean: 1/√n = 0.00316; of the variance: √(2/n) = 0.00447.
    expect(Math.abs(mean)).toBeLessThan(4 * 0.00316);
    expect(Math.abs(variance - 1)).toBeLessThan(4 * 0.00447);
    // P(|Z| > 2) = 0.0455003; SE √(p(1 − p)/n) = 0.000659
    expect(Math.abs(beyond2 / n - 0.0455003)).toBeLessThan(4 * 0.000659);
  });

  it('draws integers in [0, n) evenly', () => {
    const rng = new Rng(31);
    const counts = new Array(7).fill(0);
    const n = 70000;
    let odd = 0;
    for (let i = 0; i < n; i++) {
      const k = rng.int(7);
      if (!Number.isInteger(k) || k < 0 || k >= 7) odd += 1;
      else counts[k] += 1;
    }
    expect(odd).toBe(0);
    // each bin: p = 1/7, SE √(p(1 − p)/n) = 0.001323
    for (const c of counts) expect(Math.abs(c / n - 1 / 7)).toBeLessThan(4 * 0.001323);
  });
});
