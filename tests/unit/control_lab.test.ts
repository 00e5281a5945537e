// The control task's lab: the segment Bradley-Terry loss on worked numbers (one member and a bootstrapped ensemble),
// the simulated labeler's (myopic) segment return, segments past a fall, PPO iterations that count environment
// steps and leak no tensors, the spec's rules, and a checkpoint round trip.
import { policyIteration } from './iterate';
import { memberName } from '../../src/core/models/reward_ensemble';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/core/tf';
import { Rng } from '../../src/core/rng';
import { applyOverrides, ExperimentError, parseExperiment, type Experiment } from '../../src/core/experiment/parse';
import { preset } from '../../src/core/experiment/presets';
import { ControlLab } from '../../src/core/tasks/control/control_lab';
import { CartPole } from '../../src/core/tasks/control/envs';
import { bootstrapWeight } from '../../src/core/algos/ensemble';
import { disposeParams, makeParams, readWeights, type Weights } from '../../src/core/models/params';
import { initMlp, mlpForward } from '../../src/core/models/mlp';
import { mlpHost } from '../../src/core/models/mlp_host';
import { Runner } from '../../src/core/runner';
import { MemoryStore } from '../../src/core/checkpoint/store';
import type { Label, Segment } from '../../src/core/feedback/labelers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const small = (name: string, sets: string[] = []): Experiment =>
  applyOverrides(preset(name)!, ['task.rollout_steps=256', 'reward_model.hidden=[8]', 'policy.hidden=[16]', ...sets]);

/** A cart-pole segment of 3 steps whose cart positions are xs (the rest of the state 0, push right). */
const seg = (xs: number[]): Segment => ({
  env: 'cartpole',
  obs: xs.flatMap((x) => [x, 0, 0, 0]),
  act: xs.map(() => 1),
  reward: xs.map(() => 1),
});

const label = (id: number, a: Segment, b: Segment): Label => ({ id, a, b, answer: 'a', labeler: 'test', round: 0, time: 0 });

/**
 * A lab whose reward-model members all say r(s, a) = relu(x) + ½·[push right]: hidden unit 0 reads the cart position,
 * hidden unit 1 the right-push feature (inputs are [x, ẋ, θ, θ̇, left, right]), the output adds h0 + ½·h1.
 */
async function labWithKnownRm(members: number): Promise<ControlLab> {
  const e = small('control-cartpole', [`reward_model.ensemble=${members}`, ...(members === 1 ? ['reward_model.query="random"'] : []), 'reward_model.hidden=[2]', 'reward_model.activation="relu"', 'task.segment_steps=3']);
  const base = ControlLab.create(e, new Rng(1));
  const policy = await readWeights(base.models().policy.params);
  base.dispose();
  const weights: Record<string, Weights> = { policy };
  for (let k = 0; k < members; k++) {
    weights[memberName(k)] = {
      w0: { shape: [6, 2], data: Float32Array.from([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]) },
      b0: { shape: [2], data: new Float32Array(2) },
      w1: { shape: [2, 1], data: Float32Array.from([1, 0.5]) },
      b1: { shape: [1], data: new Float32Array(1) },
    };
  }
  return ControlLab.restore(e, { weights, specs: {} });
}

describe('segment Bradley-Terry', () => {
  it('sums r(s, a) over each segment and compares the sums, worked by hand', async () => {
    const lab = await labWithKnownRm(1);
    // Segment sums: A = (0.1 + 0.5) + (0.2 + 0.5) + (0.3 + 0.5) = 2.1; B = (0 + 0.5)·3 = 1.5 (relu clips −0.2 to 0);
    // C = 0.4·3 + 1.5 = 2.7.
    // Label 0 (y = 1):  −log σ(2.1 − 1.5) = log(1 + e^−0.6) = 0.4374879
    // Label 1 (y = 0):  −log σ(2.7 − 2.1) = log(1 + e^−0.6) = 0.4374879 … with y = 0 and a = A, b = C:
    //                   −log σ(Δ_b − Δ_a) = −log σ(2.7 − 2.1) = 0.4374879
    // Label 2 (y = ½):  Δ = 1.5 − 2.7 = −1.2: ½·(log(1 + e^1.2) + log(1 + e^−1.2)) = ½·(1.4632824 + 0.2632824) = 0.8632824
    // mean = (0.4374879 + 0.4374879 + 0.8632824) / 3 = 0.5794194
    const A = seg([0.1, 0.2, 0.3]);
    const B = seg([0, -0.2, 0]);
    const C = seg([0.4, 0.4, 0.4]);
    const scores = await lab.rewardScores([label(0, A, B), label(1, A, C), label(2, B, C)]);
    expect(Array.from(scores.a)).toEqual([2.1, 2.1, 1.5].map((x) => expect.closeTo(x, 5)));
    expect(Array.from(scores.b)).toEqual([1.5, 2.7, 2.7].map((x) => expect.closeTo(x, 5)));
    const loss = lab.rewardStep([label(0, A, B), label(1, A, C), label(2, B, C)], Float32Array.from([1, 0, 0.5]));
    expect((await loss.data())[0]).toBeCloseTo(0.5794194, 5);
    loss.dispose();
    lab.dispose();
  });

  it('weights each member\'s pairs by its bootstrap counts (Σwℓ/Σw) and averages the members', async () => {
    const lab = await labWithKnownRm(2);
    const A = seg([0.1, 0.2, 0.3]);
    const B = seg([0, -0.2, 0]);
    const C = seg([0.4, 0.4, 0.4]);
    const perPair = [0.4374879, 0.4374879, 0.8632824];
    const ids = [10, 11, 12];
    const seed = 1; // the preset's seed
    const memberLoss = (k: number) => {
      const w = ids.map((id) => bootstrapWeight(seed, k, id));
      const total = w.reduce((a, b) => a + b, 0);
      return total === 0 ? 0 : w.reduce((s, wi, i) => s + wi * perPair[i], 0) / total;
    };
    const expected = (memberLoss(0) + memberLoss(1)) / 2;
    // The counts differ between members here, so the weighting is seen in the number.
    expect(ids.map((id) => bootstrapWeight(seed, 0, id))).not.toEqual(ids.map((id) => bootstrapWeight(seed, 1, id)));
    const batch = [label(ids[0], A, B), label(ids[1], A, C), label(ids[2], B, C)];
    const loss = lab.rewardStep(batch, Float32Array.from([1, 0, 0.5]));
    expect((await loss.data())[0]).toBeCloseTo(expected, 5);
    loss.dispose();
    lab.dispose();
  });
});

describe('the host MLP the rollouts act with', () => {
  it('gives the same outputs as the tfjs network PPO trains (so actions are drawn from the π whose log-probabilities PPO takes)', async () => {
    const spec = { inputs: 4, hidden: [16, 8], activation: 'tanh' as const, input_scale: 1, outputs: 2 };
    const w = initMlp(spec, new Rng(9));
    const params = makeParams(w);
    const x = Float32Array.from({ length: 12 }, (_, i) => Math.sin(i + 1));
    const t = mlpForward(spec, params, tf.tensor2d(x, [3, 4]));
    const tfOut = await t.data();
    for (let r = 0; r < 3; r++) {
      const host = mlpHost(spec, w, x.subarray(r * 4, r * 4 + 4));
      expect(host).toHaveLength(2);
      for (let j = 0; j < 2; j++) expect(host[j]).toBeCloseTo(tfOut[r * 2 + j], 5);
    }
    t.dispose();
    disposeParams(params);
  });
});

describe('segments and the simulated labeler', () => {
  it('judges a segment by its true return, or by its last k steps when myopic', () => {
    const lab = ControlLab.create(small('control-cartpole'), new Rng(1));
    const a: Segment = { env: 'cartpole', obs: [], act: [], reward: [1, 1, 1, 1, 0, 0] };
    const b: Segment = { env: 'cartpole', obs: [], act: [], reward: [0, 1, 1, 1, 1, 1] };
    const cfg = { kind: 'simulated', beta: 1, epsilon: 0, tie_margin: 0, skip_prob: 0, weight: 1, length_bias: 0 } as const;
    expect(lab.labelerReward(cfg, { a, b }, 'a')).toBe(4);
    expect(lab.labelerReward(cfg, { a, b }, 'b')).toBe(5);
    expect(lab.labelerReward({ ...cfg, myopic_steps: 2 }, { a, b }, 'a')).toBe(0);
    expect(lab.labelerReward({ ...cfg, myopic_steps: 2 }, { a, b }, 'b')).toBe(2);
    lab.dispose();
  });

  it('proposes segments of segment_steps steps; after a fall the fallen pose is held with no push and reward 0', async () => {
    const lab = ControlLab.create(small('control-cartpole'), new Rng(3));
    const rng = new Rng(4);
    let falls = 0;
    for (let i = 0; i < 6; i++) {
      const p = await lab.propose(rng);
      for (const s of [p.a, p.b] as Segment[]) {
        expect(s.env).toBe('cartpole');
        expect(s.obs).toHaveLength(50 * 4);
        expect(s.act).toHaveLength(50);
        expect(s.reward).toHaveLength(50);
        const first = s.act.indexOf(-1);
        if (first < 0) {
          expect(s.reward.every((r) => r === 1)).toBe(true);
          continue;
        }
        falls += 1;
        // Alive steps earn 1 each, then nothing; the held pose is past 12° or off the track.
        expect(s.reward.slice(0, first).every((r) => r === 1)).toBe(true);
        expect(s.reward.slice(first).every((r) => r === 0)).toBe(true);
        expect(s.act.slice(first).every((a) => a === -1)).toBe(true);
        const pose = s.obs.slice(first * 4, first * 4 + 4);
        for (let t = first; t < 50; t++) expect(s.obs.slice(t * 4, t * 4 + 4)).toEqual(pose);
        expect(Math.abs(pose[2]) > CartPole.THETA_LIMIT || Math.abs(pose[0]) > CartPole.X_LIMIT).toBe(true);
      }
    }
    // The untrained policy topples the pole within a second in most clips.
    expect(falls).toBeGreaterThan(6);
    lab.dispose();
  });
});

describe('PPO iterations', () => {
  it('counts environment steps, reports the metrics, and leaks no tensors (reward step and policy iteration)', async () => {
    const lab = ControlLab.create(small('control-cartpole'), new Rng(5));
    const rng = new Rng(6);
    const p = await lab.propose(rng);
    await lab.normalizeReward();
    const before = tf.memory().numTensors;
    const loss = lab.rewardStep([label(0, p.a as Segment, p.b as Segment)], Float32Array.from([1]));
    loss.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const row = await policyIteration(lab, rng, { labels: [], stageStep: 0 });
    expect(tf.memory().numTensors).toBe(before);
    expect(row['env/steps']).toBe(256);
    expect(row['gold/mean']).toBe(row['env/true_return']);
    expect(row['env/true_return']).toBeGreaterThanOrEqual(8); // cart-pole lasts at least a few steps
    for (const k of ['policy/approxkl', 'policy/clipfrac', 'loss/policy', 'loss/value', 'objective/entropy', 'proxy/mean']) {
      expect(Number.isFinite(row[k]), k).toBe(true);
    }
    // A near-uniform first policy over two pushes: entropy close to log 2.
    expect(row['objective/entropy']).toBeGreaterThan(0.6);
    const again = await policyIteration(lab, rng, { labels: [], stageStep: 1 });
    expect(again['env/steps']).toBe(512);
    const v = await lab.visuals();
    expect(v.kind).toBe('control');
    expect(v.frames.length % 4).toBe(0);
    expect(v.frames.length / 4).toBeGreaterThan(5);
    lab.dispose();
  });

  it('gives the clip step by step: the true reward sums to its return, and the per-step proxy sums as a segment\'s proxy does', async () => {
    for (const name of ['control-cartpole', 'control-reacher'] as const) {
      const lab = ControlLab.create(small(name, name === 'control-reacher' ? ['task.rollout_steps=200', 'optimizer.batch_size=4'] : []), new Rng(7));
      await lab.normalizeReward();
      const before = tf.memory().numTensors;
      const v = await lab.visuals();
      expect(tf.memory().numTensors).toBe(before);
      if (v.kind !== 'control') throw new Error('not a control view');
      const n = v.stepReward.length;
      expect(n).toBeGreaterThan(5);
      expect(v.stepProxy.length).toBe(n);
      // The clip is the first evaluation episode (shorter than the 500 steps kept): its rewards add up to its return.
      expect(v.stepReward.reduce((a, b) => a + b, 0)).toBeCloseTo(v.trueReturn, 4);
      if (name === 'control-cartpole') expect([...new Set(v.stepReward)]).toEqual([1]);
      // The same steps as segments of segment_steps, scored by the attack's path (summed per segment): equal sums.
      const K = lab.experiment.task.segment_steps;
      const O = v.obsSize;
      const A = name === 'control-cartpole' ? 1 : 2;
      // The steps behind the view (the lab's own record of the clip): frame t is the observation step t acts on.
      const steps = (lab as unknown as { clip: { steps: Segment } }).clip.steps;
      expect(steps.obs).toEqual(Array.from(v.frames.slice(0, n * O)));
      const segs: Segment[] = [];
      for (let t = 0; t + K <= n && segs.length < 3; t += K) {
        segs.push({ env: v.env, obs: steps.obs.slice(t * O, (t + K) * O), act: steps.act.slice(t * A, (t + K) * A), reward: steps.reward.slice(t, t + K) });
      }
      // A first cart-pole policy falls within a segment's length; the reacher's 50 steps hold whole segments.
      if (name === 'control-reacher') expect(segs.length).toBeGreaterThan(0);
      const sums = await lab.probeSegments(segs);
      segs.forEach((_, i) => expect(sums[i]).toBeCloseTo(v.stepProxy.slice(i * K, (i + 1) * K).reduce((a, b) => a + b, 0), 4));
      lab.dispose();
    }
  });

  it('runs the reacher with a Gaussian policy, leaking nothing', async () => {
    const lab = ControlLab.create(small('control-reacher', ['task.rollout_steps=200', 'optimizer.batch_size=4']), new Rng(5));
    await lab.normalizeReward();
    const before = tf.memory().numTensors;
    const row = await policyIteration(lab, new Rng(2), { labels: [], stageStep: 0 });
    expect(tf.memory().numTensors).toBe(before);
    expect(row['env/steps']).toBe(200);
    expect(row['env/true_return']).toBeLessThan(0); // −distance per step
    // Two action dimensions at log σ = 0 (plus a step of Adam): entropy near 2·½·log(2πe) = 2.84.
    expect(row['objective/entropy']).toBeGreaterThan(2.7);
    expect(row['objective/entropy']).toBeLessThan(3);
    lab.dispose();
  });
});

describe('the control spec', () => {
  it('refuses mismatched policies, optimizers and fields with messages that name the field', () => {
    const base = preset('control-cartpole')!;
    const problems = (sets: string[]) => {
      try {
        applyOverrides(base, sets);
        return [];
      } catch (e) {
        return (e as ExperimentError).problems;
      }
    };
    expect(problems(['policy={"kind":"gpt"}'])).toContain('policy.kind: the control task needs "mlp", got "gpt"');
    expect(problems(['optimizer.kl_coef=0.1'])).toContain('optimizer.kl_coef: the control task has no reference policy to stay near; set it to 0');
    expect(problems(['task.rollout_steps=1022'])[0]).toMatch(/^task\.rollout_steps: 1022 is not a multiple of optimizer\.batch_size 4/);
    expect(problems(['labelers[0].myopic_steps=60'])[0]).toMatch(/^labelers\[0\]\.myopic_steps: 60 is longer than a segment/);
    expect(problems(['task.env="pendulum"'])[0]).toMatch(/^task\.env: expected/);
    expect(problems(['labelers[0].myopic_steps=10'])).toEqual([]);
    expect(problems(['schedule.rollback=true'])).toContain('schedule.rollback: the control task does not roll its policy back between rounds; set it to false');
    expect(problems(['overoptimization={"bon_n":[1,4]}'])).toContain('overoptimization.bon_n: the control task has no best-of-n sweep; leave bon_n empty');
    // A myopic labeler means nothing to the other tasks.
    for (const other of ['landscape-hello', 'text-sentiment-ppo']) {
      expect(() => applyOverrides(preset(other)!, ['labelers[0].myopic_steps=3'])).toThrow(/labelers\[0\]\.myopic_steps: a myopic labeler applies to control segments only/);
    }
    expect(parseExperiment(base).task).toMatchObject({ kind: 'control', true_reward: false });
  });
});

describe('a control run through the runner', () => {
  it('restores from its checkpoint to the same models, labels and next numbers', async () => {
    const e = small('control-cartpole', ['schedule.rounds=2', 'schedule.labels_per_round=4', 'optimizer.iterations=1', 'reward_model.steps=3']);
    const store = new MemoryStore();
    const runner = await Runner.create(e, { store, runId: 'c', backend: 'cpu' });
    await runner.run();
    expect(runner.status).toBe('done');
    expect(runner.labels).toHaveLength(8);
    expect(runner.metrics.map((r) => r['labels/count'])).toEqual([0, 4, 8]);
    expect(runner.metrics.map((r) => r['env/steps'])).toEqual([0, 256, 512]);
    const restored = await Runner.restore(store, 'c', { backend: 'cpu' });
    expect(restored).not.toBeNull();
    const r2 = restored!.runner;
    expect(r2.labels).toEqual(runner.labels);
    const [va, vb] = [await runner.visuals(), await r2.visuals()];
    expect(Array.from(vb.kind === 'control' ? vb.frames : [])).toEqual(Array.from(va.kind === 'control' ? va.frames : []));
    const a = await runner.lab.rewardScores(runner.labels);
    const b = await r2.lab.rewardScores(runner.labels);
    expect(Array.from(b.a)).toEqual(Array.from(a.a));
    runner.dispose();
    r2.dispose();
  });
});
