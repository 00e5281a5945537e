// The Runner on the text task with the shipped base model, kept small so it runs in seconds:
// every documented PPO metric per iteration, a constant tensor count over PPO iterations and reward-model steps,
// stop → restore → finish with the same numbers, and a human labeler's text pairs.
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/core/tf';
import { Runner, type RunnerHooks } from '../../src/core/runner';
import { MemoryStore } from '../../src/core/checkpoint/store';
import { applyOverrides, type Experiment, type ExperimentOf } from '../../src/core/experiment/parse';
import { preset } from '../../src/core/experiment/presets';
import type { MetricRow } from '../../src/core/checkpoint/record';
import { publicAssets } from '../../src/cli/fs_assets';
import { goldReward } from '../../src/core/tasks/text/gold';

// The wasm backend, as the CLI's text runs use: the cpu backend is ten times slower on a GPT.
beforeAll(async () => {
  await import('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
  await tf.ready();
});

const ITERATIONS = 3;
const small = (more: string[] = []): Experiment =>
  applyOverrides(preset('text-sentiment-ppo')!, [
    'schedule.rounds=1',
    'schedule.labels_per_round=10',
    'reward_model.steps=4',
    'reward_model.batch_size=4',
    'task.max_new_tokens=10',
    'optimizer.batch_size=4',
    'optimizer.minibatches=2',
    `optimizer.iterations=${ITERATIONS}`,
    ...more,
  ]);

async function create(e: Experiment, hooks: RunnerHooks = {}, store = new MemoryStore()) {
  const runner = await Runner.create(e, { store, runId: 'text', backend: 'wasm', assets: publicAssets, hooks });
  return { runner, store };
}

const series = (rows: MetricRow[], key: string) => rows.map((r) => r[key]);

const PPO_KEYS = [
  'objective/kl',
  'objective/kl_coef',
  'objective/entropy',
  'policy/approxkl',
  'policy/clipfrac',
  'loss/policy',
  'loss/value',
  'value/explained_variance',
  'proxy/mean',
  'gold/mean',
  'rm/accuracy',
];

describe('Runner on text', () => {
  it('labels text pairs by their gold reward, fits the reward model, and logs every PPO metric', async () => {
    const { runner } = await create(small());
    await runner.run();
    expect(runner.status).toBe('done');
    expect(runner.labels).toHaveLength(10);
    for (const l of runner.labels) {
      expect(typeof l.prompt).toBe('string');
      expect(typeof l.a).toBe('string');
      expect((l.a as string).length).toBeLessThanOrEqual(10);
      // A labeler with β = 2 and ε = 0.05 never calls a tie unless the gold rewards are within 0.5 (or a coin flip).
      const gA = goldReward({ kind: 'sentiment' }, l.prompt!, l.a as string, {});
      const gB = goldReward({ kind: 'sentiment' }, l.prompt!, l.b as string, {});
      if (l.answer === 'tie') expect(Math.abs(gA - gB)).toBeLessThan(0.5);
    }
    expect(runner.metrics).toHaveLength(1 + ITERATIONS);
    for (const row of runner.metrics.slice(1)) {
      for (const k of PPO_KEYS) expect(row[k], k).toBeTypeOf('number');
      for (const k of PPO_KEYS.filter((k) => k !== 'rm/accuracy' && k !== 'value/explained_variance')) {
        expect(Number.isFinite(row[k]), k).toBe(true);
      }
      expect(row['policy/clipfrac']).toBeGreaterThanOrEqual(0);
      expect(row['policy/clipfrac']).toBeLessThanOrEqual(1);
      expect(row['policy/approxkl']).toBeGreaterThanOrEqual(0);
      expect(row['objective/entropy']).toBeGreaterThan(0);
    }
    const v = await runner.visuals();
    expect(v.kind).toBe('text');
    if (v.kind === 'text') {
      expect(v.samples).toHaveLength(4);
      for (const s of v.samples) expect(Number.isFinite(s.proxy) && Number.isFinite(s.gold)).toBe(true);
    }
    runner.dispose();
  });

  it('keeps tf.memory().numTensors constant across PPO iterations and reward-model steps', async () => {
    const atIteration: number[] = [];
    const atRewardStep: number[] = [];
    let runner: Runner | undefined;
    const hooks: RunnerHooks = {
      onMetrics: () => atIteration.push(tf.memory().numTensors),
      onProgress: () => {
        if (runner?.position.stage === 'reward' && runner.position.stageStep > 0) atRewardStep.push(tf.memory().numTensors);
      },
    };
    ({ runner } = await create(small(['optimizer.iterations=5', 'reward_model.steps=5']), hooks));
    await runner.run();
    expect(atIteration.length).toBe(6);
    expect(new Set(atIteration.slice(1)).size).toBe(1);
    expect(atRewardStep.length).toBeGreaterThanOrEqual(5);
    expect(new Set(atRewardStep).size).toBe(1);
    runner.dispose();
  });

  it('stopped in the policy stage, restores and finishes exactly as an uninterrupted run (adaptive β included)', async () => {
    const whole = await create(small());
    await whole.runner.run();

    let runner: Runner | undefined;
    const { store } = await create(small(), {
      onMetrics: (row) => {
        if (row.step === 2) runner!.stop();
      },
    }).then((x) => ((runner = x.runner), x));
    await runner!.run();
    expect(runner!.position).toMatchObject({ stage: 'policy', iteration: 2 });
    runner!.dispose();

    const r2 = (await Runner.restore(store, 'text', { backend: 'wasm', assets: publicAssets }))!.runner;
    await r2.run();
    expect(r2.status).toBe('done');
    for (const k of ['gold/mean', 'proxy/mean', 'objective/kl', 'objective/kl_coef', 'loss/policy']) {
      expect(series(r2.metrics, k), k).toEqual(series(whole.runner.metrics, k));
    }
    r2.dispose();
    whole.runner.dispose();
  });

  it('asks a human about two completions of one prompt and records the answer with the prompt', async () => {
    const { runner } = await create(small(['labelers=[{"kind":"human"}]', 'schedule.labels_per_round=2']));
    const done = runner.run();
    const t0 = Date.now();
    while (!runner.pendingPair) {
      if (Date.now() - t0 > 20000) throw new Error('no pair was asked');
      await new Promise((r) => setTimeout(r, 5));
    }
    const pair = runner.pendingPair;
    expect(typeof pair.prompt).toBe('string');
    expect((small() as ExperimentOf<'text'>).task.prompts).toContain(pair.prompt);
    expect(typeof pair.a).toBe('string');
    expect(runner.submitLabel('b')).toBe(true);
    expect(runner.labels[0]).toMatchObject({ prompt: pair.prompt, a: pair.a, b: pair.b, answer: 'b', labeler: 'human' });
    runner.stop();
    await done;
    runner.dispose();
  });
});
