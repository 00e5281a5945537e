// PPO's parts against numbers worked out by hand: GAE over 4 steps, the clipped surrogate with its clipfrac and
// approxkl, the clipped value loss, the per-token KL estimators on small categorical distributions against the
// exact KL, and the adaptive KL controller over a fixed sequence of measured KLs.
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/core/tf';
import { Rng } from '../../src/core/rng';
import {
  explainedVariance,
  gae,
  perTokenKl,
  ppoPolicyLoss,
  ppoValueLoss,
  whiten,
} from '../../src/core/algos/ppo';
import { KlController } from '../../src/core/algos/kl';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('gae', () => {
  it('matches a hand-worked 4-step example (γ = 0.9, λ = 0.8)', () => {
    // δ3 = 1 − 0.8 = 0.2; δ2 = 0.9·0.8 − 0.6 = 0.12; δ1 = 0.9·0.6 − 0.4 = 0.14; δ0 = 0.9·0.4 − 0.5 = −0.14
    // A3 = 0.2; A2 = 0.12 + 0.72·0.2 = 0.264; A1 = 0.14 + 0.72·0.264 = 0.33008; A0 = −0.14 + 0.72·0.33008 = 0.0976576
    const { advantages, returns } = gae([0, 0, 0, 1], [0.5, 0.4, 0.6, 0.8], 0.9, 0.8);
    const A = [0.0976576, 0.33008, 0.264, 0.2];
    A.forEach((a, t) => expect(advantages[t]).toBeCloseTo(a, 6));
    [0.5976576, 0.73008, 0.864, 1.0].forEach((r, t) => expect(returns[t]).toBeCloseTo(r, 6));
  });

  it('with γ = λ = 1 gives returns equal to the reward still to come', () => {
    const { returns } = gae([0.5, -1, 0, 2], [3, -2, 0.7, 9], 1, 1);
    [1.5, 1, 2, 2].forEach((r, t) => expect(returns[t]).toBeCloseTo(r, 6));
  });
});

describe('ppo losses', () => {
  it('clip the surrogate as worked by hand (ρ = 1.5, 0.5, 1.1; A = 1, 1, −1; ε = 0.2; 4th token masked)', async () => {
    const logp = tf.tensor1d([Math.log(1.5), Math.log(0.5), Math.log(1.1), 5]);
    const old = tf.zeros([4]);
    const { policy, clipfrac, approxkl } = ppoPolicyLoss(logp, old, tf.tensor1d([1, 1, -1, 2]), tf.tensor1d([1, 1, 1, 0]), 0.2);
    // min(ρA, clip(ρ)A): min(1.5, 1.2) = 1.2; min(0.5, 0.8) = 0.5; min(−1.1, −1.1) = −1.1 → L = −(0.6 / 3) = −0.2
    expect((await policy.data())[0]).toBeCloseTo(-0.2, 6);
    expect((await clipfrac.data())[0]).toBeCloseTo(2 / 3, 6);
    // ½·mean(ln²1.5, ln²0.5, ln²1.1) = ½·(0.1644019 + 0.4804530 + 0.0090844)/3
    expect((await approxkl.data())[0]).toBeCloseTo(0.5 * (0.1644019 + 0.480453 + 0.0090844) / 3, 6);
  });

  it('gives the clipped value loss worked by hand', async () => {
    // t0: max((1 − 2)², (0.7 − 2)²) = 1.69; t1: max((0 − 0.2)², (0.3 − 0.2)²) = 0.04 → ½·0.865 = 0.4325
    const l = ppoValueLoss(tf.tensor1d([1, 0]), tf.tensor1d([0.5, 0.5]), tf.tensor1d([2, 0.2]), tf.tensor1d([1, 1]), 0.2);
    expect((await l.data())[0]).toBeCloseTo(0.4325, 6);
  });

  it('has the gradient of the unclipped term only where the ratio is inside the clip range', async () => {
    // d/dlogp of −min(ρA, clip(ρ)A)/n: token 0 (ρ = 1.5, A = 1) is clipped → 0; token 2 (ρ = 1.1, A = −1) → ρ·1/3.
    const logp = tf.variable(tf.tensor1d([Math.log(1.5), Math.log(0.5), Math.log(1.1)]));
    const g = tf.grad((x: tf.Tensor) =>
      ppoPolicyLoss(x, tf.zeros([3]), tf.tensor1d([1, 1, -1]), tf.ones([3]), 0.2).policy,
    )(logp);
    const gv = await g.data();
    expect(gv[0]).toBeCloseTo(0, 6);
    expect(gv[1]).toBeCloseTo(-0.5 / 3, 6); // ρ = 0.5 < 0.8 with A > 0: min takes the unclipped term
    expect(gv[2]).toBeCloseTo(1.1 / 3, 6);
  });
});

describe('per-token KL', () => {
  const p = [0.5, 0.3, 0.2];
  const q = [0.2, 0.5, 0.3];
  const exact = p.reduce((s, pi, i) => s + pi * Math.log(pi / q[i]), 0);

  it('k1 and k3 have the exact KL as their expectation under π; k2 does not', () => {
    const logp = p.map(Math.log);
    const logq = q.map(Math.log);
    const expect_ = (est: 'k1' | 'k2' | 'k3') => perTokenKl(logp, logq, est).reduce((s, k, i) => s + p[i] * k, 0);
    expect(expect_('k1')).toBeCloseTo(exact, 6);
    expect(expect_('k3')).toBeCloseTo(exact, 6);
    expect(Math.abs(expect_('k2') - exact)).toBeGreaterThan(1e-3);
  });

  it('k3 is never negative, and Monte-Carlo means of k1 and k3 land near the exact KL', () => {
    const rng = new Rng(11);
    const n = 20000;
    const lp: number[] = [];
    const lq: number[] = [];
    for (let i = 0; i < n; i++) {
      const u = rng.uniform();
      const k = u < 0.5 ? 0 : u < 0.8 ? 1 : 2;
      lp.push(Math.log(p[k]));
      lq.push(Math.log(q[k]));
    }
    const k1 = perTokenKl(lp, lq, 'k1');
    const k3 = perTokenKl(lp, lq, 'k3');
    expect(Math.min(...k3)).toBeGreaterThanOrEqual(0);
    const mean = (x: Float32Array) => x.reduce((s, v) => s + v, 0) / x.length;
    expect(mean(k1)).toBeCloseTo(exact, 1);
    expect(mean(k3)).toBeCloseTo(exact, 1);
  });
});

describe('KlController', () => {
  it('adapts β over a fixed KL sequence as worked by hand (target 6, horizon 10000, 1000 steps each)', () => {
    const c = new KlController(0.1, 6, 10000);
    // KL 12: e = clip(1) = 0.2 → β = 0.1·1.02; KL 6: e = 0; KL 3: e = −0.2 → ·0.98; KL 0: e = −0.2 → ·0.98
    const betas = [12, 6, 3, 0].map((kl) => c.update(kl, 1000));
    [0.102, 0.102, 0.09996, 0.0979608].forEach((b, i) => expect(betas[i]).toBeCloseTo(b, 9));
  });

  it('keeps a fixed β when there is no target', () => {
    const c = new KlController(0.3, null, 10000);
    expect([50, 0, 7].map((kl) => c.update(kl, 1000))).toEqual([0.3, 0.3, 0.3]);
  });
});

describe('whiten and explained variance', () => {
  it('whitens masked entries to mean 0, std 1 and zeroes the rest', () => {
    const w = whiten([1, 2, 3, 100], [1, 1, 1, 0]);
    // mean 2, std √(2/3)
    expect(w[0]).toBeCloseTo(-1 / Math.sqrt(2 / 3), 5);
    expect(w[1]).toBeCloseTo(0, 6);
    expect(w[3]).toBe(0);
  });

  it('is 1 for a perfect critic and 0 for a constant one', () => {
    expect(explainedVariance([1, 2, 3], [1, 2, 3])).toBeCloseTo(1, 9);
    expect(explainedVariance([1, 2, 3], [2, 2, 2])).toBeCloseTo(0, 9);
    // R − V = [0.5, −0.5, 0]: Var = 1/6; Var(R) = 2/3 → 1 − 0.25 = 0.75
    expect(explainedVariance([1, 2, 3], [0.5, 2.5, 3])).toBeCloseTo(0.75, 9);
  });
});
