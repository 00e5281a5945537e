// Reward-model ensembles and the other optimizers on the landscape: no tensor leaks in any step, every member stored
// and restored, a single model's checkpoint layout unchanged, and disagreement queries that really pick the pair the
// members disagree on most.
import { policyIteration } from './iterate';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/core/tf';
import { Rng } from '../../src/core/rng';
import { Runner } from '../../src/core/runner';
import { MemoryStore } from '../../src/core/checkpoint/store';
import { applyOverrides, type Experiment } from '../../src/core/experiment/parse';
import { preset } from '../../src/core/experiment/presets';
import { LandscapeLab, rewardModelSpec } from '../../src/core/tasks/landscape2d/lab';
import { sampleMixture } from '../../src/core/models/gaussian_mixture';
import { mlpApply } from '../../src/core/models/mlp';
import { argmax, pairDisagreement } from '../../src/core/algos/ensemble';
import type { Label } from '../../src/core/feedback/labelers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const ensemble = (more: string[] = []): Experiment =>
  applyOverrides(preset('landscape-hello')!, [
    'reward_model.ensemble=3',
    'reward_model.conservative=mean_minus_std',
    'schedule.rounds=1',
    'schedule.labels_per_round=20',
    'reward_model.steps=10',
    'optimizer.iterations=3',
    ...more,
  ]);

/** Labels on a line toward the hill: the point nearer (1.2, 1) wins. */
function someLabels(n: number): Label[] {
  return Array.from({ length: n }, (_, i) => {
    const t = i / n;
    return { id: i, a: [-2 + 2 * t, -1.5 + 2 * t], b: [-2.5 + t, -2 + t], answer: 'a', labeler: 'simulated:0', round: 0, time: 0 } as Label;
  });
}

describe('LandscapeLab with a reward-model ensemble', () => {
  it('a single model keeps the checkpoint layout it had before ensembles', async () => {
    const lab = LandscapeLab.create(preset('landscape-hello')!, new Rng(1));
    expect(Object.keys(lab.models())).toEqual(['reward_model', 'policy', 'reference']);
    expect(Object.keys(lab.optimizers())).toEqual(['reward_model', 'policy']);
    lab.dispose();
  });

  it('K members, each its own initial weights, stored as reward_model, reward_model_1, reward_model_2', async () => {
    const lab = LandscapeLab.create(ensemble(), new Rng(1));
    const models = lab.models();
    expect(Object.keys(models)).toEqual(['reward_model', 'policy', 'reference', 'reward_model_1', 'reward_model_2']);
    expect(Object.keys(lab.optimizers())).toEqual(['reward_model', 'policy', 'reward_model_1', 'reward_model_2']);
    const w0 = await models.reward_model.params.w0.data();
    const w1 = await models.reward_model_1.params.w0.data();
    expect(Array.from(w0)).not.toEqual(Array.from(w1));
    // the first member and the policy start exactly as a single-model run with the same seed
    const single = LandscapeLab.create(preset('landscape-hello')!, new Rng(1));
    expect(Array.from(await single.models().reward_model.params.w0.data())).toEqual(Array.from(w0));
    expect(Array.from(await single.models().policy.params.means.data())).toEqual(Array.from(await models.policy.params.means.data()));
    single.dispose();
    lab.dispose();
  });

  for (const [algo, sets] of [
    ['reinforce', []],
    ['rloo', ['optimizer={"algo":"rloo","lr":0.04,"kl_coef":0.05,"k":4,"batch_size":64,"iterations":2}']],
    ['grpo', ['optimizer={"algo":"grpo","lr":0.04,"kl_coef":0.05,"k":4,"batch_size":64,"epochs":2,"iterations":2}']],
    ['dpo', ['optimizer={"algo":"dpo","lr":0.04,"kl_coef":0.5,"batch_size":16,"iterations":2}']],
    ['best_of_n', ['optimizer={"algo":"best_of_n","n":[1,4],"samples":8}']],
  ] as const) {
    it(`${algo}: tensors alive are the same before and after a reward step and a policy iteration`, async () => {
      const lab = LandscapeLab.create(ensemble([...sets]), new Rng(3));
      const labels = someLabels(16);
      const rng = new Rng(4);
      // warm up once (tfjs allocates some kernels' constants on first use)
      lab.rewardStep(labels, new Float32Array(16).fill(1)).dispose();
      await policyIteration(lab, rng, { labels, stageStep: 0 });
      const before = tf.memory().numTensors;
      const loss = lab.rewardStep(labels, new Float32Array(16).fill(1));
      expect(Number.isFinite((await loss.data())[0])).toBe(true);
      loss.dispose();
      await lab.normalizeReward();
      const row = await policyIteration(lab, rng, { labels, stageStep: 1 });
      await lab.visuals(1);
      await lab.propose(rng);
      expect(tf.memory().numTensors).toBe(before);
      expect(Number.isFinite(row['gold/mean'])).toBe(true);
      expect(Number.isFinite(row['test/gold'])).toBe(true);
      if (algo !== 'dpo') expect(row['rm/ensemble_std']).toBeGreaterThan(0);
      if (algo === 'best_of_n') expect(row).toMatchObject({ 'bon/n': 4, 'objective/kl': Math.log(4) - 3 / 4 });
      if (algo === 'dpo') expect(row['rewards/accuracies']).toBeGreaterThanOrEqual(0);
      lab.dispose();
    });
  }

  it('checkpoint round trip: every member, its optimizer and its normalization come back', async () => {
    const store = new MemoryStore();
    const runner = await Runner.create(ensemble(), { store, runId: 'ens', backend: 'cpu' });
    await runner.run();
    const record = await runner.toRecord();
    expect(Object.keys(record.models).sort()).toEqual(['policy', 'reference', 'reward_model', 'reward_model_1', 'reward_model_2']);
    expect(Object.keys(record.optimizers).sort()).toEqual(['policy', 'reward_model', 'reward_model_1', 'reward_model_2']);
    const norms = ['reward_model', 'reward_model_1', 'reward_model_2'].map((k) => record.models[k].spec.norm);
    expect(new Set(norms.map((n) => JSON.stringify(n))).size).toBe(3); // each member normalized on its own
    const restored = (await Runner.restore(store, 'ens', { backend: 'cpu' }))!.runner;
    const again = await restored.toRecord();
    for (const k of Object.keys(record.models)) {
      for (const [w, v] of Object.entries(record.models[k].weights)) expect(Array.from(again.models[k].weights[w].data)).toEqual(Array.from(v.data));
      expect(again.models[k].spec).toEqual(record.models[k].spec);
    }
    for (const k of Object.keys(record.optimizers)) expect(again.optimizers[k].t).toBe(record.optimizers[k].t);
    // the restored ensemble scores points exactly as the one that was saved
    const v1 = await runner.visuals();
    const v2 = await restored.visuals();
    expect(Array.from(v2.kind === 'landscape2d' ? v2.reward : [])).toEqual(Array.from(v1.kind === 'landscape2d' ? v1.reward : [0]));
    expect(v1.kind === 'landscape2d' && v1.disagreement!.length).toBe(48 * 48);
    runner.dispose();
    restored.dispose();
  });

  it('a disagreement query returns the candidate pair with the largest spread of the members\' win probabilities', async () => {
    const e = ensemble(['reward_model.query=disagreement', 'reward_model.query_candidates=12']);
    const lab = LandscapeLab.create(e, new Rng(5));
    // train the members apart a little, each on its own bootstrap of the same labels
    const labels = someLabels(32);
    for (let i = 0; i < 20; i++) lab.rewardStep(labels, new Float32Array(32).fill(1)).dispose();
    const proposal = await lab.propose(new Rng(77));
    // the same 24 draws, scored here by hand
    const models = lab.models();
    const pts = await sampleMixture(models.policy.params, 24, new Rng(77));
    const spec = rewardModelSpec(e);
    const raw = await Promise.all(
      ['reward_model', 'reward_model_1', 'reward_model_2'].map(async (k) => {
        const t = tf.tidy(() => mlpApply(spec, models[k].params, tf.tensor2d(pts, [24, 2])));
        const d = (await t.data()) as Float32Array;
        t.dispose();
        return d;
      }),
    );
    const side = (s: number) => raw.map((r) => Float32Array.from({ length: 12 }, (_, i) => r[2 * i + s]));
    const spread = pairDisagreement(side(0), side(1));
    const best = argmax(spread);
    expect(proposal.a).toEqual([pts[4 * best], pts[4 * best + 1]]);
    expect(proposal.b).toEqual([pts[4 * best + 2], pts[4 * best + 3]]);
    // and it is not just the first candidate: the spread really varies
    expect(Math.max(...spread)).toBeGreaterThan(Math.min(...spread) * 1.5);
    lab.dispose();
  });
});
