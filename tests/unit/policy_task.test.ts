// The algorithms against algos/policy_task.ts alone: a task of two actions per row, written here, that no lab
// implements. PPO, REINFORCE, RLOO and GRPO must move its policy toward the rewarded action, leak no tensor, and
// measure the KL by hand-checkable numbers; the registries must agree with each other.
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, type Tensor } from '../../src/core/tf';
import { Rng } from '../../src/core/rng';
import { makeParams, disposeParams } from '../../src/core/models/params';
import { Adam } from '../../src/core/optim';
import { rowKl, KlController } from '../../src/core/algos/kl';
import { sequenceLoss } from '../../src/core/algos/reinforce';
import { ALGO_NAMES, OPTIMIZER_CONFIGS, algorithmOf } from '../../src/core/algos/registry';
import { TASK_SCHEMAS, taskOf } from '../../src/core/tasks/registry';
import type { PolicyTask, Rollout } from '../../src/core/algos/policy_task';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * A policy over two actions, π(1) = σ(θ), the same for every row; action 1 earns reward 1, action 0 nothing; the
 * reference is θ = 0 and the value head a single number. Rows are one action each.
 */
function twoArmed(lr = 0.1) {
  const params = makeParams({ theta: { shape: [1], data: Float32Array.from([0]) }, v: { shape: [1], data: Float32Array.from([0]) } });
  const opt = new Adam(params, lr);
  const logpOf = (theta: number, a: number) => (a === 1 ? -Math.log1p(Math.exp(-theta)) : -Math.log1p(Math.exp(theta)));
  interface Arms extends Rollout {
    actions: Float32Array;
  }
  const task: PolicyTask<Arms> = {
    policy: { params, opt },
    async rollout(B, _k, rng) {
      const theta = (await params.theta.data())[0];
      const p1 = 1 / (1 + Math.exp(-theta));
      const actions = Float32Array.from({ length: B }, () => (rng.uniform() < p1 ? 1 : 0));
      const v = (await params.v.data())[0];
      const score = Float32Array.from(actions);
      return {
        B,
        M: 1,
        rowShape: [],
        mask: null,
        logp: Float32Array.from(actions, (a) => logpOf(theta, a)),
        refLogp: Float32Array.from(actions, (a) => logpOf(0, a)),
        values: new Float32Array(B).fill(v),
        score,
        stepRewards: null,
        trajectories: Array.from(score, (last, i) => ({ from: i, to: i + 1, last })),
        whiten: 'batch',
        entropy: null,
        metrics: {},
        rmMetrics: { 'proxy/mean': score.reduce((a, b) => a + b, 0) / B },
        actions,
      };
    },
    forward(r, rows, values) {
      return tf.tidy(() => {
        const a = tf.tensor1d(Float32Array.from(rows, (i) => r.actions[i]));
        const theta = params.theta;
        // log σ(θ) for action 1, log σ(−θ) for action 0: −softplus(∓θ)
        const logp = tf.neg(tf.softplus(tf.mul(tf.sub(1, tf.mul(a, 2)), theta)));
        const entropy = tf.fill([rows.length], 0);
        return values ? { logp, values: tf.mul(tf.onesLike(a), params.v), entropy } : { logp };
      });
    },
  };
  const p1 = async () => 1 / (1 + Math.exp(-(await params.theta.data())[0]));
  return { task, p1, dispose: () => (disposeParams(params), opt.dispose()) };
}

describe('the algorithms on a task of their interface only', () => {
  const settings = {
    ppo: { algo: 'ppo', lr: 0.1, kl_coef: 0.01, kl_estimator: 'k1', kl_target: null, kl_horizon: 10000, batch_size: 64, minibatches: 2, epochs: 2, clip: 0.2, value_clip: 0.2, vf_coef: 0.1, gamma: 1, lam: 0.95, iterations: 1 },
    reinforce: { algo: 'reinforce', lr: 0.1, kl_coef: 0.01, batch_size: 64, iterations: 1 },
    rloo: { algo: 'rloo', lr: 0.1, kl_coef: 0.01, k: 4, batch_size: 64, iterations: 1 },
    grpo: { algo: 'grpo', lr: 0.1, kl_coef: 0.01, k: 4, batch_size: 64, epochs: 2, clip: 0.2, iterations: 1 },
  } as const;
  for (const [name, o] of Object.entries(settings)) {
    it(`${name}: ten iterations raise π(rewarded action) from ½ past 0.7 (Adam moves θ ≈ lr a step: ≥ 0.85 needs every step the right way), leaking nothing`, async () => {
      const { task, p1, dispose } = twoArmed();
      const rng = new Rng(7);
      const kl = new KlController(o.kl_coef, null, 1);
      const iterate = (c: typeof o) => algorithmOf(c).iterate(task, c as never, { rng, labels: [], stageStep: 0, kl });
      await iterate(o); // first use compiles kernels
      const before = tf.memory().numTensors;
      let row = {};
      for (let i = 0; i < 9; i++) row = await iterate(o);
      expect(tf.memory().numTensors).toBe(before);
      expect(await p1()).toBeGreaterThan(0.7);
      expect((row as Record<string, number>)['objective/kl']).toBeGreaterThan(0);
      expect(Number.isFinite((row as Record<string, number>)['loss/policy'])).toBe(true);
      dispose();
    });
  }
});

describe('rowKl and sequenceLoss', () => {
  it('sums each row\'s KL terms over its sampled positions only, each rounded to float32 first', () => {
    // Two rows of three positions; row 0 samples positions 0-1, row 1 position 2.
    const r = {
      B: 2,
      M: 3,
      mask: Float32Array.from([1, 1, 0, 0, 0, 1]),
      logp: Float32Array.from([-1, -2, -9, -9, -9, -0.5]),
      refLogp: Float32Array.from([-1.5, -1, -1, -1, -1, -1]),
    };
    // k1 = logp − ref: row 0: 0.5 + (−1) = −0.5; row 1: 0.5
    expect(Array.from(rowKl(r, 'k1'))).toEqual([-0.5, 0.5]);
    // k3 = e^(−x) − 1 + x: x = 0.5 → 0.10653066; x = −1 → 0.71828183; row 0 their sum
    const k3 = (x: number) => Math.exp(-x) - 1 + x;
    expect(rowKl(r, 'k3')[0]).toBeCloseTo(k3(0.5) + k3(-1), 6);
    expect(rowKl(r, 'k3')[1]).toBeCloseTo(k3(0.5), 6);
    expect(Array.from(rowKl({ ...r, refLogp: null }, 'k1'))).toEqual([0, 0]);
  });

  it('−(1/B)·Σ_i A_i·Σ_t mask·log π over rows of tokens; one action per row is −mean(A·log π)', async () => {
    const logp = tf.tensor2d([-1, -2, -3, -0.5, -0.25, -4], [2, 3]);
    const masked = sequenceLoss(logp, Float32Array.from([2, -1]), { B: 2, M: 3, mask: Float32Array.from([1, 1, 0, 0, 1, 1]) });
    // row 0: 2·(−1 − 2) = −6; row 1: −1·(−0.25 − 4) = 4.25; −(−6 + 4.25)/2 = 0.875
    expect((await masked.data())[0]).toBeCloseTo(0.875, 6);
    const flat = tf.tensor1d([-1, -3]);
    const single = sequenceLoss(flat, Float32Array.from([2, -1]), { B: 2, M: 1, mask: null });
    // −((2·−1) + (−1·−3))/2 = −0.5
    expect((await single.data())[0]).toBeCloseTo(-0.5, 6);
    tf.dispose([logp, masked, flat, single] as Tensor[]);
  });
});

describe('the registries', () => {
  it('have one algorithm for every optimizer schema, each with its words, and every task runs only known algorithms', () => {
    const schemaNames = OPTIMIZER_CONFIGS.map((c) => c.entries.algo.literal).sort();
    expect(schemaNames).toEqual([...ALGO_NAMES].sort());
    for (const name of ALGO_NAMES) {
      const a = algorithmOf({ algo: name } as never);
      expect(typeof a.iterate).toBe('function');
      expect((a.config as unknown as { entries: { algo: { literal: string } } }).entries.algo.literal).toBe(name);
    }
    for (const schema of TASK_SCHEMAS) {
      const t = taskOf({ kind: schema.entries.kind.literal } as never);
      expect(t.algos.length).toBeGreaterThan(0);
      for (const a of t.algos) expect(ALGO_NAMES).toContain(a);
    }
  });
});
