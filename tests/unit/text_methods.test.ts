// The text task's other optimizers through the Runner, kept small: DPO (no reward model fit, TRL's metrics),
// RLOO and GRPO (k completions per prompt), best-of-n (one row per n, exact KL), and iterated RLHF with rollback.
// Every one keeps tf.memory().numTensors constant from iteration to iteration.
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/core/tf';
import { Runner } from '../../src/core/runner';
import { MemoryStore } from '../../src/core/checkpoint/store';
import { applyOverrides, type Experiment } from '../../src/core/experiment/parse';
import { preset } from '../../src/core/experiment/presets';
import type { MetricRow } from '../../src/core/checkpoint/record';
import { publicAssets } from '../../src/cli/fs_assets';
import { bestOfNKl } from '../../src/core/algos/best_of_n';

beforeAll(async () => {
  await import('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
  await tf.ready();
});

const SMALL = [
  'schedule.rounds=1',
  'schedule.labels_per_round=12',
  'reward_model.steps=4',
  'reward_model.batch_size=4',
  'task.max_new_tokens=8',
];

async function run(name: string, more: string[]): Promise<{ rows: MetricRow[]; tensors: number[]; log: string[] }> {
  const e: Experiment = applyOverrides(preset(name)!, [...SMALL, ...more]);
  const tensors: number[] = [];
  const log: string[] = [];
  const runner = await Runner.create(e, {
    store: new MemoryStore(),
    runId: name,
    backend: 'wasm',
    assets: publicAssets,
    hooks: { onMetrics: () => tensors.push(tf.memory().numTensors), onLog: (l) => log.push(l) },
  });
  await runner.run();
  expect(runner.status).toBe('done');
  const rows = runner.metrics.slice();
  runner.dispose();
  return { rows, tensors, log };
}

describe('text optimizers', () => {
  it('DPO skips the reward model, logs the preference metrics, and moves the policy off the reference', async () => {
    const { rows, tensors, log } = await run('text-sentiment-dpo', ['optimizer.batch_size=4', 'optimizer.eval_samples=4', 'optimizer.iterations=3']);
    expect(log.some((l) => /no reward model is fit/.test(l))).toBe(true);
    const steps = rows.slice(1);
    expect(steps.length).toBe(3);
    for (const k of ['rewards/chosen', 'rewards/rejected', 'rewards/margins', 'rewards/accuracies', 'logps/chosen', 'logps/rejected', 'objective/kl', 'gold/mean', 'loss/dpo']) {
      for (const r of steps) expect(Number.isFinite(r[k]), k).toBe(true);
    }
    // The first step is taken at the reference: implicit rewards 0, loss log 2; later steps have moved.
    expect(steps[0]['rewards/margins']).toBeCloseTo(0, 5);
    expect(steps[0]['loss/dpo']).toBeCloseTo(Math.LN2, 4);
    expect(Math.abs(steps[2]['rewards/margins'])).toBeGreaterThan(1e-4);
    expect(new Set(tensors.slice(1)).size).toBe(1);
  });

  it('RLOO and GRPO train on groups of k and log KL and gold', async () => {
    for (const name of ['text-sentiment-rloo', 'text-sentiment-grpo']) {
      const { rows, tensors } = await run(name, ['optimizer.batch_size=8', 'optimizer.k=4', 'optimizer.iterations=3']);
      const steps = rows.slice(1);
      expect(steps.length).toBe(3);
      for (const k of ['gold/mean', 'proxy/mean', 'objective/kl', 'objective/kl_k3', 'objective/entropy', 'loss/policy']) {
        for (const r of steps) expect(Number.isFinite(r[k]), `${name} ${k}`).toBe(true);
      }
      // The first batch is drawn from the reference itself: KL exactly 0; after an update it is not.
      expect(steps[0]['objective/kl']).toBe(0);
      expect(steps[2]['objective/kl_k3']).toBeGreaterThan(0);
      expect(new Set(tensors.slice(1)).size, name).toBe(1);
    }
  });

  it('best-of-n logs one row per n with the exact KL, and the proxy grows with n', async () => {
    const { rows, tensors } = await run('text-bon', ['optimizer.n=[1,4,16]', 'optimizer.samples=6']);
    const bon = rows.filter((r) => r['bon/n'] !== undefined);
    expect(bon.map((r) => r['bon/n'])).toEqual([1, 4, 16]);
    bon.forEach((r) => expect(r['objective/kl']).toBeCloseTo(bestOfNKl(r['bon/n']), 12));
    expect(bon[2]['proxy/mean']).toBeGreaterThan(bon[0]['proxy/mean']);
    expect(new Set(tensors.slice(1)).size).toBe(1);
  });

  it('iterated RLHF rolls the policy back to the reference at the start of each later round', async () => {
    const common = ['schedule.rounds=2', 'schedule.labels_per_round=6', 'optimizer.batch_size=4', 'optimizer.minibatches=1', 'optimizer.iterations=2'];
    const rolled = await run('text-sentiment-ppo', [...common, 'schedule.rollback=true']);
    const plain = await run('text-sentiment-ppo', [...common]);
    const firstOfRound2 = (rows: MetricRow[]) => rows.find((r) => r.round === 1)!;
    // The first batch after a rollback comes from the reference itself (KL exactly 0); without, from the trained policy.
    expect(firstOfRound2(rolled.rows)['objective/kl']).toBe(0);
    expect(firstOfRound2(plain.rows)['objective/kl']).not.toBe(0);
    expect(rolled.log.some((l) => /rolled back/.test(l))).toBe(true);
    expect(new Set(rolled.tensors.slice(1)).size).toBe(1);
  });
});
