// GRPO's variants (TRL's loss_type, scale_rewards, epsilon_low/high, importance_sampling_level; DAPO's dynamic sampling
// and soft overlong punishment; CISPO) and REINFORCE++: each loss against a plain-JS second implementation of TRL's
// and OpenRLHF's formulas written here, the advantages against hand-worked numbers, and seeded short runs on a task of
// the PolicyTask interface alone that must raise the rewarded action's probability by a bounded amount, leaking no tensor.
import { beforeAll, describe, expect, it } from 'vitest';
import * as v from 'valibot';
import { tf, type Tensor } from '../../src/core/tf';
import { Rng } from '../../src/core/rng';
import { makeParams, disposeParams } from '../../src/core/models/params';
import { Adam } from '../../src/core/optim';
import { KlController } from '../../src/core/algos/kl';
import { algorithmOf } from '../../src/core/algos/registry';
import {
  fracZeroStd,
  grpoAdvantages,
  grpoLoss,
  lengthsByAdvantage,
  softOverlongPunished,
  type GrpoLossOptions,
} from '../../src/core/algos/grpo';
import { GrpoConfig, type GrpoLossType } from '../../src/core/algos/grpo_config';
import { ReinforcePpConfig } from '../../src/core/algos/reinforce_pp_config';
import { groupCentered, reinforcePpReturns } from '../../src/core/algos/reinforce_pp';
import { whiten } from '../../src/core/algos/ppo';
import type { PolicyTask, Rollout } from '../../src/core/algos/policy_task';
import { runGolden, useBackend } from '../golden_runs';
import { applyOverrides } from '../../src/core/experiment/parse';
import { preset } from '../../src/core/experiment/presets';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// ---- the second implementation: TRL's GRPOTrainer._compute_loss, row by row in plain JS ----------------------------

interface Batch {
  B: number;
  M: number;
  logp: number[];
  old: number[];
  ref: number[];
  adv: number[];
  mask: number[];
}

function trlLoss(b: Batch, o: GrpoLossOptions): { loss: number; low: number; high: number; region: number } {
  const at = (r: number, t: number) => r * b.M + t;
  const perToken: number[] = [];
  const flags: { low: boolean; high: boolean }[] = [];
  for (let r = 0; r < b.B; r++) {
    let seqLog = 0;
    let n = 0;
    for (let t = 0; t < b.M; t++) (seqLog += b.mask[at(r, t)] * (b.logp[at(r, t)] - b.old[at(r, t)])), (n += b.mask[at(r, t)]);
    seqLog /= Math.max(n, 1);
    for (let t = 0; t < b.M; t++) {
      const i = at(r, t);
      const ratio = Math.exp(o.importance_sampling_level === 'sequence' ? seqLog : b.logp[i] - b.old[i]);
      const a = b.adv[i];
      let loss: number;
      if (o.loss_type === 'cispo') loss = -Math.min(ratio, o.epsilon_high) * a * b.logp[i];
      else loss = -Math.min(ratio * a, Math.min(Math.max(ratio, 1 - o.epsilon_low), 1 + o.epsilon_high) * a);
      const d = b.ref[i] - b.logp[i];
      perToken.push(loss + o.kl_coef * (Math.exp(d) - d - 1));
      const high = o.loss_type === 'cispo' ? ratio > o.epsilon_high : ratio > 1 + o.epsilon_high;
      flags.push({ low: ratio < 1 - o.epsilon_low && a < 0, high: high && a > 0 });
    }
  }
  let loss = 0;
  const total = b.mask.reduce((x, y) => x + y, 0);
  if (o.loss_type === 'grpo') {
    for (let r = 0; r < b.B; r++) {
      let s = 0;
      let n = 0;
      for (let t = 0; t < b.M; t++) (s += perToken[at(r, t)] * b.mask[at(r, t)]), (n += b.mask[at(r, t)]);
      loss += s / Math.max(n, 1) / b.B;
    }
  } else {
    const s = perToken.reduce((acc, x, i) => acc + x * b.mask[i], 0);
    loss = o.loss_type === 'dr_grpo' ? s / (b.B * o.maxLength) : s / Math.max(total, 1);
  }
  // masked_batch_mean: over tokens, or over sequences at the sequence level (the flag is one per sequence there).
  const share = (f: (x: { low: boolean; high: boolean }) => boolean) => {
    if (o.importance_sampling_level === 'sequence') {
      let s = 0;
      for (let r = 0; r < b.B; r++) s += f(flags[at(r, b.mask.slice(r * b.M, (r + 1) * b.M).indexOf(1))]) ? 1 : 0;
      return s / b.B;
    }
    return flags.reduce((acc, x, i) => acc + (f(x) ? b.mask[i] : 0), 0) / total;
  };
  return { loss, low: share((x) => x.low), high: share((x) => x.high), region: share((x) => x.low || x.high) };
}

// Three completions of up to 4 tokens (lengths 4, 2, 3), ratios on both sides of 1 ± 0.2, advantages of both signs.
const batch: Batch = {
  B: 3,
  M: 4,
  logp: [-1.0, -0.5, -2.0, -0.1, -0.3, -1.2, -9, -9, -0.7, -0.05, -1.5, -9],
  old: [-1.3, -0.5, -1.6, -0.4, -0.35, -0.8, -9, -9, -0.9, -0.2, -1.0, -9],
  ref: [-1.1, -0.6, -1.8, -0.2, -0.3, -1.0, -9, -9, -0.8, -0.1, -1.2, -9],
  adv: [0.8, 0.8, 0.8, 0.8, -1.1, -1.1, -1.1, -1.1, 0.3, 0.3, 0.3, 0.3],
  mask: [1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0],
};

function ourLoss(o: GrpoLossOptions) {
  return tf.tidy(() => {
    const t = (a: number[]) => tf.tensor2d(a, [batch.B, batch.M]);
    const l = grpoLoss(t(batch.logp), t(batch.old), t(batch.ref), t(batch.adv), t(batch.mask), o);
    return [l.loss, l.low, l.high, l.region].map((x) => x.dataSync()[0]);
  });
}

const base: GrpoLossOptions = { loss_type: 'dapo', epsilon_low: 0.2, epsilon_high: 0.2, clip: 0.2, importance_sampling_level: 'token', kl_coef: 0.1, maxLength: 6 };

describe('GRPO-family losses against TRL\'s formulas (plain JS)', () => {
  const cases: [string, Partial<GrpoLossOptions>][] = [
    ['grpo: per completion, then over completions', { loss_type: 'grpo' }],
    ['bnpo: over every token of the batch', { loss_type: 'bnpo' }],
    ['dapo: over every token of the batch', { loss_type: 'dapo' }],
    ['dr_grpo: Σ over tokens / (rows · max_completion_length)', { loss_type: 'dr_grpo' }],
    ['dapo with clip-higher 0.28', { loss_type: 'dapo', epsilon_high: 0.28 }],
    ['gspo: one ratio per sequence, grpo aggregation, narrow clip', { loss_type: 'grpo', importance_sampling_level: 'sequence', epsilon_low: 0.03, epsilon_high: 0.04 }],
    ['gspo with dapo aggregation', { loss_type: 'dapo', importance_sampling_level: 'sequence' }],
    ['cispo: −sg(min(ρ, ε_max))·A·log π', { loss_type: 'cispo', epsilon_high: 1.2 }],
    ['without a KL term', { loss_type: 'grpo', kl_coef: 0 }],
  ];
  for (const [name, over] of cases) {
    it(name, () => {
      const o = { ...base, ...over };
      const want = trlLoss(batch, o);
      const [loss, low, high, region] = ourLoss(o);
      expect(loss).toBeCloseTo(want.loss, 5);
      expect(low).toBeCloseTo(want.low, 6);
      expect(high).toBeCloseTo(want.high, 6);
      expect(region).toBeCloseTo(want.region, 6);
    });
  }

  it('the worked batch exercises what it should: both clip sides at the token level, tokens above the CISPO cap', () => {
    expect(trlLoss(batch, base).low).toBeGreaterThan(0);
    expect(trlLoss(batch, base).high).toBeGreaterThan(0);
    expect(trlLoss(batch, { ...base, loss_type: 'cispo', epsilon_high: 1.2 }).high).toBeGreaterThan(0);
    // the aggregations differ on this batch (lengths 4, 2, 3 of a maximum 6)
    const values = (['grpo', 'dapo', 'dr_grpo'] as GrpoLossType[]).map((t) => trlLoss(batch, { ...base, loss_type: t }).loss);
    expect(new Set(values.map((x) => x.toFixed(4))).size).toBe(3);
  });

  it('hand-worked: dr_grpo of one token equals −A·ρ/(rows·max length) when unclipped', () => {
    // one row, one sampled token of 4: log ρ = 0.1 (ρ = 1.10517), A = 2, β = 0: −2·1.10517/(1·4) = −0.552585
    const [loss] = tf.tidy(() => {
      const t = (a: number[]) => tf.tensor2d(a, [1, 4]);
      const l = grpoLoss(t([-1, 0, 0, 0]), t([-1.1, 0, 0, 0]), t([-1, 0, 0, 0]), t([2, 2, 2, 2]), t([1, 0, 0, 0]), { ...base, loss_type: 'dr_grpo', kl_coef: 0, maxLength: 4 });
      return [l.loss.dataSync()[0]];
    });
    expect(loss).toBeCloseTo(-0.552585, 5);
  });

  it('CISPO\'s weight carries no gradient: ∂L/∂log π_t = −min(ρ_t, ε_max)·A_t·mask_t / N', () => {
    const o = { ...base, loss_type: 'cispo' as const, epsilon_high: 1.2, kl_coef: 0 };
    const grad = tf.tidy(() => {
      const t = (a: number[]) => tf.tensor2d(a, [batch.B, batch.M]);
      const [old, ref, adv, mask] = [batch.old, batch.ref, batch.adv, batch.mask].map(t);
      return Array.from(tf.grad((lp: Tensor) => grpoLoss(lp, old, ref, adv, mask, o).loss)(t(batch.logp)).dataSync());
    });
    const n = batch.mask.reduce((a, b) => a + b, 0);
    batch.logp.forEach((lp, i) => {
      const w = Math.min(Math.exp(lp - batch.old[i]), 1.2);
      expect(grad[i]).toBeCloseTo((-w * batch.adv[i] * batch.mask[i]) / n, 6);
    });
  });

  it('one action per row (the landscape): every loss_type is the mean over rows', () => {
    const values = (['grpo', 'bnpo', 'dapo', 'dr_grpo'] as GrpoLossType[]).map((loss_type) =>
      tf.tidy(() => {
        const t = (a: number[]) => tf.tensor1d(a);
        return grpoLoss(t([-1, -2, -0.5]), t([-1.1, -1.9, -0.5]), t([-1, -1, -1]), t([1, -1, 0.5]), null, { ...base, loss_type, maxLength: 1 }).loss.dataSync()[0];
      }),
    );
    for (const x of values) expect(x).toBeCloseTo(values[0], 6);
  });
});

describe('advantages and rewards (hand-worked)', () => {
  // Two prompts, k = 4: rewards 1, 2, 3, 6 (mean 3) and four ties at 5.
  const rewards = [1, 2, 3, 6, 5, 5, 5, 5];

  it('scale_rewards group: (r − mean)/(std_group + 1e-4); a tied group gives 0', () => {
    const a = grpoAdvantages(rewards, 4, 'group');
    // std of 1, 2, 3, 6 with k − 1: √(14/3) = 2.1602469
    [-2, -1, 0, 3].forEach((d, i) => expect(a[i]).toBeCloseTo(d / (2.1602469 + 1e-4), 5));
    for (let i = 4; i < 8; i++) expect(a[i]).toBe(0);
  });

  it('scale_rewards none (Dr. GRPO): r − group mean only', () => {
    expect(Array.from(grpoAdvantages(rewards, 4, 'none'))).toEqual([-2, -1, 0, 3, 0, 0, 0, 0]);
  });

  it('scale_rewards batch: r − group mean over the whole batch\'s std', () => {
    // batch mean 4; deviations −3, −2, −1, 2, 1, 1, 1, 1: Σ² = 22, std √(22/7) = 1.7728105
    const a = grpoAdvantages(rewards, 4, 'batch');
    [-2, -1, 0, 3, 0, 0, 0, 0].forEach((d, i) => expect(a[i]).toBeCloseTo(d / (1.7728105 + 1e-4), 5));
  });

  it('frac_reward_zero_std: the share of groups whose rewards tie', () => {
    expect(fracZeroStd(rewards, 4)).toBe(0.5);
    expect(fracZeroStd([1, 1, 2, 2, 3, 4], 2)).toBeCloseTo(2 / 3, 12);
  });

  it('soft overlong punishment: 0 up to L − cache, linear to −1 at L', () => {
    // L = 24, cache 4: lengths 10, 20 untouched; 22 loses (22 − 20)/4 = 0.5; 24 loses 1
    expect(Array.from(softOverlongPunished([1, 1, 1, 1], [10, 20, 22, 24], 24, 4))).toEqual([1, 1, 0.5, 0]);
  });

  it('mean completion length by the sign of the advantage', () => {
    const m = lengthsByAdvantage([4, 2, 3, 7], [0.5, -1, 0, 2]);
    expect(m['completions/mean_length_pos_adv']).toBe(5.5);
    expect(m['completions/mean_length_neg_adv']).toBe(2);
  });

  it('REINFORCE++-baseline: each reward minus its group\'s mean', () => {
    expect(Array.from(groupCentered([1, 2, 3, 6], 2))).toEqual([-0.5, 0.5, -1.5, 1.5]);
  });

  it('REINFORCE++: returns to go of −β·k1 per token plus the reward on the last, then whitened over the batch', () => {
    // Row 0 samples positions 0, 1; row 1 positions 1, 2. β = 0.5.
    const r = {
      B: 2,
      M: 3,
      mask: Float32Array.from([1, 1, 0, 0, 1, 1]),
      logp: Float32Array.from([-1, -2, -7, -7, -0.5, -1]),
      refLogp: Float32Array.from([-1.5, -1, -7, -7, -1, -1]),
    };
    // k1: row 0: 0.5, −1; row 1: 0.5, 0. Rewards 2, −1.
    // row 0: r_1 = −0.5·(−1) + 2 = 2.5, r_0 = −0.25: G = [2.25, 2.5, 0]
    // row 1: r_2 = 0 − 1 = −1, r_1 = −0.25: G = [0, −1.25, −1]
    const g = reinforcePpReturns(r, [2, -1], 0.5, 'k1');
    [2.25, 2.5, 0, 0, -1.25, -1].forEach((x, i) => expect(g[i]).toBeCloseTo(x, 6));
    // whitened over the 4 sampled tokens: mean 0.625, population std √(Σ(G − m)²/4)
    const xs = [2.25, 2.5, -1.25, -1];
    const m = 0.625;
    const sd = Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / 4);
    const w = whiten(g, r.mask);
    [0, 1, 4, 5].forEach((i, j) => expect(w[i]).toBeCloseTo((xs[j] - m) / sd, 5));
    expect(w[2]).toBe(0);
  });
});

describe('configs', () => {
  it('an existing GRPO block parses to TRL\'s default variant (dapo, group scaling, token ratios), so old runs are unchanged', () => {
    const o = v.parse(GrpoConfig, { algo: 'grpo', lr: 0.001, kl_coef: 0.1, k: 4, batch_size: 8, iterations: 1 });
    expect([o.loss_type, o.scale_rewards, o.importance_sampling_level, o.dynamic_sampling]).toEqual(['dapo', 'group', 'token', false]);
    expect(o.epsilon_low).toBeUndefined();
    expect(algorithmOf(o).title(o)).toBe('GRPO');
  });

  it('names the variants, and CISPO without its cap is refused with the field named', () => {
    const p = (x: object) => v.parse(GrpoConfig, { algo: 'grpo', lr: 0.001, kl_coef: 0.1, k: 4, batch_size: 8, iterations: 1, ...x });
    const title = (x: object) => algorithmOf(p(x)).title(p(x));
    expect(title({ loss_type: 'dr_grpo', scale_rewards: 'none' })).toBe('Dr. GRPO');
    expect(title({ epsilon_high: 0.28 })).toBe('DAPO');
    expect(title({ importance_sampling_level: 'sequence' })).toBe('GSPO');
    expect(title({ loss_type: 'cispo', epsilon_high: 5 })).toBe('CISPO');
    expect(algorithmOf(p({ loss_type: 'cispo' })).check!(p({ loss_type: 'cispo' })).join()).toMatch(/optimizer\.epsilon_high/);
    const landscapeWith = (x: string) => () => applyOverrides(preset('landscape-hello')!, [`optimizer={"algo":"grpo","lr":0.04,"kl_coef":0.3,"k":4,"batch_size":64,"iterations":3${x}}`]);
    expect(landscapeWith(',"soft_punish_cache":2')).toThrow(/optimizer\.soft_punish_cache: .*text only/);
    expect(landscapeWith('')).not.toThrow();
    const rpp = v.parse(ReinforcePpConfig, { algo: 'reinforce_pp', lr: 0.001, kl_coef: 0.1, baseline: true, batch_size: 8, iterations: 1 });
    expect(algorithmOf(rpp).check!(rpp).join()).toMatch(/optimizer\.k: .*k ≥ 2/);
    expect(algorithmOf(rpp).title(rpp)).toBe('REINFORCE++-baseline');
  });
});

// ---- seeded short runs on a task of the interface only -------------------------------------------------------------

/**
 * Rows of up to 3 independent binary actions with π(1) = σ(θ), row b sampling 1 + (b mod 3) of them (a mask, lengths
 * 1-3, max length 3); the reward is the share of 1s (or `reward`), the reference θ = 0.
 */
function binarySequences(reward?: (ones: number, len: number, b: number) => number) {
  const params = makeParams({ theta: { shape: [1], data: Float32Array.from([0]) } });
  const opt = new Adam(params, 0.1);
  const M = 3;
  const logpOf = (theta: number, a: number) => (a === 1 ? -Math.log1p(Math.exp(-theta)) : -Math.log1p(Math.exp(theta)));
  interface Seq extends Rollout {
    actions: Float32Array;
  }
  const task: PolicyTask<Seq> = {
    policy: { params, opt },
    async rollout(B, _k, rng) {
      const theta = (await params.theta.data())[0];
      const p1 = 1 / (1 + Math.exp(-theta));
      const mask = new Float32Array(B * M);
      const actions = new Float32Array(B * M);
      const score = new Float32Array(B);
      for (let b = 0; b < B; b++) {
        const len = 1 + (b % 3);
        let ones = 0;
        for (let t = 0; t < len; t++) {
          mask[b * M + t] = 1;
          actions[b * M + t] = rng.uniform() < p1 ? 1 : 0;
          ones += actions[b * M + t];
        }
        score[b] = reward ? reward(ones, len, b) : ones / len;
      }
      return {
        B,
        M,
        rowShape: [M],
        maxLength: M,
        mask,
        logp: Float32Array.from(actions, (a) => logpOf(theta, a)),
        refLogp: Float32Array.from(actions, (a) => logpOf(0, a)),
        values: null,
        score,
        stepRewards: null,
        trajectories: Array.from(score, (last, b) => ({ from: b * M, to: b * M + 1 + (b % 3), last })),
        whiten: 'batch',
        entropy: null,
        metrics: {},
        rmMetrics: {},
        actions,
      };
    },
    forward(r, rows) {
      return tf.tidy(() => {
        const a = tf.tensor2d(Float32Array.from(rows.flatMap((i) => Array.from(r.actions.subarray(i * M, (i + 1) * M)))), [rows.length, M]);
        return { logp: tf.neg(tf.softplus(tf.mul(tf.sub(1, tf.mul(a, 2)), params.theta))) };
      });
    },
  };
  const theta = async () => (await params.theta.data())[0];
  return { task, theta, dispose: () => (disposeParams(params), opt.dispose()) };
}

const grpo = (x: object) => v.parse(GrpoConfig, { algo: 'grpo', lr: 0.1, kl_coef: 0.01, k: 4, batch_size: 48, epochs: 2, iterations: 1, ...x });

describe('seeded short runs: θ rises toward the rewarded action by what Adam allows, leaking nothing', () => {
  const variants: [string, { algo: string }][] = [
    ['grpo (loss_type grpo)', grpo({ loss_type: 'grpo' })],
    ['Dr. GRPO', grpo({ loss_type: 'dr_grpo', scale_rewards: 'none' })],
    ['DAPO (clip-higher, dynamic sampling)', grpo({ loss_type: 'dapo', epsilon_high: 0.28, dynamic_sampling: true })],
    ['GSPO', grpo({ loss_type: 'grpo', importance_sampling_level: 'sequence', clip: 0.0003, epsilon_high: 0.0004 })],
    ['CISPO', grpo({ loss_type: 'cispo', epsilon_high: 5 })],
    ['REINFORCE++', v.parse(ReinforcePpConfig, { algo: 'reinforce_pp', lr: 0.1, kl_coef: 0.01, batch_size: 48, epochs: 2, iterations: 1 })],
    ['REINFORCE++-baseline', v.parse(ReinforcePpConfig, { algo: 'reinforce_pp', lr: 0.1, kl_coef: 0.01, baseline: true, k: 4, batch_size: 48, epochs: 2, iterations: 1 })],
  ];
  for (const [name, o] of variants) {
    it(`${name}: 10 iterations of 2 steps take θ from 0 to between 1 and 2.2 (Adam moves θ at most ≈ lr = 0.1 a step)`, async () => {
      const { task, theta, dispose } = binarySequences();
      const rng = new Rng(3);
      const kl = new KlController(0.01, null, 1);
      const iterate = () => algorithmOf(o as never).iterate(task as never, o as never, { rng, labels: [], stageStep: 0, kl });
      await iterate();
      const before = tf.memory().numTensors;
      let row: Record<string, number> = {};
      for (let i = 0; i < 9; i++) row = await iterate();
      expect(tf.memory().numTensors).toBe(before);
      const t = await theta();
      expect(t).toBeGreaterThan(1);
      expect(t).toBeLessThan(2.2);
      expect(row['objective/kl']).toBeGreaterThan(0);
      expect(Number.isFinite(row['loss/policy'])).toBe(true);
      expect(row['completions/mean_length_pos_adv']).toBeGreaterThanOrEqual(1);
      if (o.algo === 'grpo') {
        const keys = (o as GrpoConfig).loss_type === 'cispo' ? ['cispo_clip_ratio'] : ['clip_ratio/low_mean', 'clip_ratio/high_mean', 'clip_ratio/region_mean'];
        for (const k of [...keys, 'frac_reward_zero_std']) expect(row[k], k).toBeGreaterThanOrEqual(0);
      }
      dispose();
    });
  }

  it('GSPO\'s narrow clip bites on the second pass: clip_ratio/region_mean well above token-level GRPO\'s', async () => {
    const region = async (o: GrpoConfig) => {
      const { task, dispose } = binarySequences();
      const row = await algorithmOf(o).iterate(task as never, o, { rng: new Rng(5), labels: [], stageStep: 0, kl: new KlController(0.01, null, 1) });
      dispose();
      return row['clip_ratio/region_mean'];
    };
    // epoch 1: ρ = 1 exactly (nothing clipped); epoch 2 after one Adam step of ≈ 0.1 in θ: |log ρ| ≈ 0.05 ≫ 4e-4
    expect(await region(grpo({ loss_type: 'grpo', importance_sampling_level: 'sequence', clip: 0.0003, epsilon_high: 0.0004 }))).toBeGreaterThan(0.15);
    expect(await region(grpo({ loss_type: 'grpo' }))).toBeLessThan(0.05);
  });

  it('dynamic sampling: a batch whose every group ties leaves θ where it was', async () => {
    const { task, theta, dispose } = binarySequences(() => 1);
    const o = grpo({ dynamic_sampling: true });
    const row = await algorithmOf(o).iterate(task as never, o, { rng: new Rng(1), labels: [], stageStep: 0, kl: new KlController(0.01, null, 1) });
    expect(await theta()).toBe(0);
    expect(row.frac_reward_zero_std).toBe(1);
    // No loss at all, rather than a NaN one that the runner's divergence guard would stop the run for.
    expect(row['loss/policy']).toBeUndefined();
    dispose();
  });
});

describe('the new text presets run in-process (wasm, seed 1, cut short) with TRL\'s keys on every row', () => {
  const presets: [string, string[]][] = [
    ['text-sentiment-dr-grpo', ['clip_ratio/region_mean']],
    ['text-sentiment-dapo', ['clip_ratio/high_mean']],
    ['text-sentiment-gspo', ['clip_ratio/region_mean']],
    ['text-sentiment-cispo', ['cispo_clip_ratio']],
    ['text-sentiment-reinforce-pp', []],
  ];
  for (const [preset, keys] of presets) {
    it(preset, async () => {
      await useBackend('wasm');
      const before = tf.memory().numTensors;
      const overrides = ['schedule.rounds=1', 'schedule.labels_per_round=40', 'reward_model.steps=6', 'reward_model.batch_size=4', 'task.max_new_tokens=16', 'optimizer.batch_size=8', 'optimizer.iterations=2'];
      if (preset !== 'text-sentiment-reinforce-pp') overrides.push('optimizer.k=4');
      const rows = await runGolden({ name: preset, preset, backend: 'wasm', seed: 1, overrides });
      expect(tf.memory().numTensors).toBe(before);
      const steps = rows.filter((r) => r['loss/policy'] !== undefined);
      expect(steps.length).toBe(2);
      for (const r of steps) {
        for (const k of ['gold/mean', 'objective/kl', 'objective/entropy', 'loss/policy', 'completions/mean_length_pos_adv', ...keys]) {
          expect(Number.isFinite(r[k]), `${preset} ${k}`).toBe(true);
        }
        if (preset !== 'text-sentiment-reinforce-pp') expect(r['frac_reward_zero_std']).toBeGreaterThanOrEqual(0);
      }
    }, 60_000);
  }
});
