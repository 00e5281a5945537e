// The red team on the landscape: a hand-built reward model with a known hole, and the attack finds it (and finds
// nothing where there is no hole); the success rate's thresholds against values worked by hand; the proxy's tensor
// form equals the scores the policy sees; no tensor leaks.
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/core/tf';
import { Rng } from '../../src/core/rng';
import { applyOverrides, type Experiment } from '../../src/core/experiment/parse';
import { preset } from '../../src/core/experiment/presets';
import { LandscapeLab } from '../../src/core/tasks/landscape2d/lab';
import { initMixture } from '../../src/core/models/gaussian_mixture';
import { attackPoints, closeLoop, quantile, successRate, thresholds } from '../../src/core/redteam/attack';
import { Runner } from '../../src/core/runner';
import { MemoryStore } from '../../src/core/checkpoint/store';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const experiment = (more: string[] = []): Experiment =>
  applyOverrides(preset('landscape-hello')!, ['reward_model.hidden=[5]', 'policy.init_mean=[0,0]', 'policy.init_std=0.6', ...more]);

/**
 * r(x, y) = −(|x − 1.2| + |y − 1|) + hole·relu((y − x)/3 − 0.2): a pyramid on the gold hill's peak (1.2, 1), plus,
 * with hole > 0, a ramp that rises toward the corner (−3, 3) wherever y − x > 0.6. The MLP divides its inputs by 3,
 * so |x − 1.2| = 3·(relu(x/3 − 0.4) + relu(0.4 − x/3)).
 */
function handBuilt(hole: number): LandscapeLab {
  const e = experiment();
  const policy = initMixture({ components: 1, init_mean: [0, 0], init_std: 0.6 }, new Rng(5));
  const rm = {
    w0: { shape: [2, 5], data: Float32Array.from([1, -1, 0, 0, -1, 0, 0, 1, -1, 1]) },
    b0: { shape: [5], data: Float32Array.from([-0.4, 0.4, -1 / 3, 1 / 3, -0.2]) },
    w1: { shape: [5, 1], data: Float32Array.from([-3, -3, -3, -3, hole]) },
    b1: { shape: [1], data: new Float32Array(1) },
  };
  return LandscapeLab.restore(e, {
    weights: { reward_model: rm, policy, reference: policy },
    specs: { reward_model: { norm: { mean: 0, std: 1 } } },
  });
}

describe('the success rate', () => {
  it('quantiles interpolate between order statistics as numpy does', () => {
    // numpy.quantile([3, 1, 4, 1, 5, 9, 2, 6, 5, 3], [0.5, 0.9]) = [3.5, 6.3]
    const xs = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3];
    expect(quantile(xs, 0.5)).toBeCloseTo(3.5, 12);
    expect(quantile(xs, 0.9)).toBeCloseTo(6.3, 12);
    expect(quantile([7], 0.9)).toBe(7);
  });

  it('counts finds with proxy in the top decile and gold below the median', () => {
    // policy proxy 0..9: 90th percentile 8.1; gold 0..9: median 4.5
    const t = thresholds({ proxy: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], gold: [9, 8, 7, 6, 5, 4, 3, 2, 1, 0] });
    expect(t.proxyTopDecile).toBeCloseTo(8.1, 12);
    expect(t.goldMedian).toBeCloseTo(4.5, 12);
    const found = [
      { proxy: 9, gold: 0 }, // a hack
      { proxy: 8.1, gold: 4.4 }, // a hack, on both edges
      { proxy: 8, gold: 0 }, // proxy not high enough
      { proxy: 20, gold: 4.5 }, // gold not low enough
    ];
    expect(successRate(found, t)).toBe(0.5);
    expect(successRate([], t)).toBe(0);
  });
});

describe('attacking the landscape reward model', () => {
  it('finds the hand-built hole: starts with y − x > 0.6 end in the corner (−3, 3), the rest on the real peak', async () => {
    const lab = handBuilt(12);
    const r = await attackPoints(lab, { budget: 64, seed: 9 });
    expect(r.exploits).toHaveLength(64);
    let inHole = 0;
    for (const e of r.exploits) {
      const d = e.start[1] - e.start[0];
      if (Math.abs(d - 0.6) < 0.05) continue; // on the basin's edge: either way
      if (d > 0.6) {
        inHole += 1;
        expect(e.point[0]).toBeCloseTo(-3, 5);
        expect(e.point[1]).toBeCloseTo(3, 5);
        // r(−3, 3) = −(4.2 + 2) + 12·(6/3 − 0.2) = 15.4; gold there: exp(−(4.2² + 2²)/(2·1.3²))
        expect(e.proxy).toBeCloseTo(15.4, 4);
        expect(e.gold).toBeCloseTo(Math.exp(-(4.2 ** 2 + 2 ** 2) / (2 * 1.3 ** 2)), 5);
        expect(e.success).toBe(true);
      } else {
        expect(Math.hypot(e.point[0] - 1.2, e.point[1] - 1)).toBeLessThan(0.1);
        expect(e.gold).toBeGreaterThan(0.99);
        expect(e.success).toBe(false);
      }
    }
    // N(0, 0.6²) starts: y − x ~ N(0, 0.85²), P(y − x > 0.6) ≈ 0.24, so some starts are in the hole's basin
    expect(inHole).toBeGreaterThan(4);
    expect(r.successRate).toBeCloseTo(r.exploits.filter((e) => e.success).length / 64, 12);
    expect(r.successRate).toBeGreaterThan(0.05);
    expect(r.exploits[0].gap).toBeCloseTo(15.4 - r.exploits[0].gold, 4);
    lab.dispose();
  });

  it('finds no hack where the reward model has no hole: every start climbs to the gold peak', async () => {
    const lab = handBuilt(0);
    const r = await attackPoints(lab, { budget: 64, seed: 9 });
    for (const e of r.exploits) expect(Math.hypot(e.point[0] - 1.2, e.point[1] - 1)).toBeLessThan(0.1);
    expect(r.successRate).toBe(0);
    expect(r.meanGold).toBeGreaterThan(0.99);
    lab.dispose();
  });

  it('stays inside the plane and leaks no tensors', async () => {
    const lab = handBuilt(12);
    await attackPoints(lab, { budget: 8, seed: 1, steps: 5 });
    const before = tf.memory().numTensors;
    const r = await attackPoints(lab, { budget: 32, seed: 2, steps: 40, stepSize: 1 });
    expect(tf.memory().numTensors).toBe(before);
    for (const e of r.exploits) for (const c of e.point) expect(Math.abs(c)).toBeLessThanOrEqual(3);
    lab.dispose();
  });

  for (const conservative of ['worst', 'mean_minus_std', 'mean'] as const) {
    it(`an ensemble's proxy tensor (${conservative}) equals the score the policy sees`, async () => {
      const e = applyOverrides(preset('landscape-hello')!, ['reward_model.ensemble=3', `reward_model.conservative=${conservative}`, 'reward_model.conservative_lambda=2']);
      const lab = LandscapeLab.create(e, new Rng(4));
      await lab.normalizeReward();
      const pts = Float32Array.from({ length: 40 }, (_, i) => Math.sin(i * 1.7) * 2.9);
      const { proxy, members } = await lab.probe(pts);
      expect(members).toHaveLength(3);
      const t = lab.proxyTensor(tf.tensor2d(pts, [20, 2]));
      const fromTensor = await t.data();
      t.dispose();
      for (let i = 0; i < 20; i++) expect(fromTensor[i]).toBeCloseTo(proxy[i], 4);
      lab.dispose();
    });
  }
});

describe('closing the loop on a seeded landscape run', () => {
  it('the success rate falls after one round of labeled exploits, and no tensor leaks', async () => {
    // The ridge after one short round: 40 labels near the start, 15 policy iterations. The ReLU reward model
    // extrapolates off the narrow ridge, so the attack's finds score far above the policy while gold there is ~0.
    const e = applyOverrides(preset('landscape-ridge')!, ['schedule.rounds=1', 'schedule.labels_per_round=40', 'reward_model.steps=150', 'optimizer.iterations=15']);
    const runner = await Runner.create(e, { store: new MemoryStore(), runId: 'redteam', backend: 'cpu' });
    await runner.run();
    const labels = runner.labels.slice();
    const before = tf.memory().numTensors;
    const rounds = await closeLoop(runner.lab as LandscapeLab, e, labels, { budget: 48, seed: 1, rounds: 1 });
    expect(tf.memory().numTensors).toBe(before);
    expect(rounds.map((r) => r.round)).toEqual([0, 1]);
    expect(rounds.map((r) => r.labelsSpent)).toEqual([0, 48]); // the preset's labeler never skips
    expect(labels).toHaveLength(runner.labels.length + 48);
    const [first, second] = rounds;
    expect(first.successRate).toBeGreaterThan(0.5);
    expect(second.successRate).toBeLessThan(first.successRate - 0.3);
    // the finds of the first attack are hacks by the gold reward itself: g is the ridge's, computed here
    const ridge = (x: number, y: number) => {
      const off = y - 0.5 * x - 0.3;
      return Math.exp(-(off * off) / (2 * 0.45 ** 2)) * (0.25 + 0.75 / (1 + Math.exp(-1.5 * x)));
    };
    for (const x of first.attack.exploits) expect(x.gold).toBeCloseTo(ridge(x.point[0], x.point[1]), 5);
    expect(first.meanGold).toBeLessThan(first.attack.thresholds.goldMedian);
    // the new labels pair each find (side a) with a policy sample, and the labeler mostly prefers the policy sample
    const added = labels.slice(runner.labels.length);
    expect(added.map((l) => l.a)).toEqual(first.attack.exploits.map((x) => x.point));
    expect(added.filter((l) => l.answer === 'b').length).toBeGreaterThan(30);
    runner.dispose();
  }, 120_000);
});

describe('a probed point as a comparison (Runner.addComparison)', () => {
  const small = (more: string[]) =>
    applyOverrides(preset('landscape-hello')!, ['schedule.rounds=1', 'schedule.labels_per_round=3', 'reward_model.steps=5', 'optimizer.iterations=1', ...more]);
  const until = async (cond: () => boolean) => {
    for (const t0 = Date.now(); !cond(); await new Promise((r) => setTimeout(r, 1))) if (Date.now() - t0 > 20_000) throw new Error('not reached');
  };

  it('while a person is asked, the probed pair is asked at once and the pair it replaced comes next', async () => {
    const runner = await Runner.create(small(['labelers=[{"kind":"human"}]']), { store: new MemoryStore(), runId: 'p', backend: 'cpu' });
    const done = runner.run();
    await until(() => runner.status === 'waiting-for-labels');
    const shown = runner.pendingPair!;
    expect(runner.addComparison({ a: [2.5, -2.5], b: [0, 0] })).toBe('asked');
    expect(runner.pendingPair).toMatchObject({ id: shown.id, a: [2.5, -2.5], b: [0, 0] });
    expect(runner.submitLabel('b')).toBe(true);
    expect(runner.labels[0]).toMatchObject({ a: [2.5, -2.5], b: [0, 0], answer: 'b', labeler: 'human' });
    await until(() => runner.pendingPair !== null);
    expect(runner.pendingPair).toMatchObject({ id: 1, a: shown.a, b: shown.b });
    runner.stop();
    await done;
    runner.dispose();
  });

  it("otherwise it is queued: the next label stage asks it first, and the run's simulated labeler answers by gold", async () => {
    const runner = await Runner.create(small([]), { store: new MemoryStore(), runId: 'q', backend: 'cpu' });
    // one-hill gold: g(1.2, 1) = 1 (the peak) against g(−3, −3) ≈ 0; the preset's labeler (β = 200, ε = 0.02) picks the peak
    expect(runner.addComparison({ a: [-3, -3], b: [1.2, 1] })).toBe('queued');
    await runner.run();
    expect(runner.labels[0]).toMatchObject({ id: 0, a: [-3, -3], b: [1.2, 1], labeler: 'simulated:0', round: 0 });
    expect(runner.labels[0].answer).toBe('b');
    expect(runner.labels[1].a).not.toEqual([-3, -3]);
    expect(runner.addComparison({ a: [0, 0], b: [1, 1] })).toBe('finished');
    runner.dispose();
  });
});
