// The pixels task through the Runner: every optimizer the text task takes runs on it unchanged (the text presets'
// optimizer blocks, made small), each logs the gold reward and the task's measures, and none leaks a tensor from
// iteration to iteration; a checkpoint's lab restores and goes on.
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/core/tf';
import { Runner } from '../../src/core/runner';
import { MemoryStore } from '../../src/core/checkpoint/store';
import { parseExperiment, type Experiment } from '../../src/core/experiment/parse';
import { PRESETS, preset } from '../../src/core/experiment/presets';
import { publicAssets } from '../../src/cli/fs_assets';
import { pixelsSpec } from '../../src/core/tasks/pixels/spec';
import { PixelLab } from '../../src/core/tasks/pixels/pixel_lab';
import { Rng } from '../../src/core/rng';
import { parsePicture } from '../../src/core/tasks/pixels/picture';
import { symmetry } from '../../src/core/tasks/pixels/gold';

beforeAll(async () => {
  await import('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
  await tf.ready();
});

/** A text preset's optimizer block, made small enough for a test. */
function small(opt: Record<string, unknown>): Record<string, unknown> {
  const o = { ...opt };
  const set = (k: string, v: unknown) => k in o && (o[k] = v);
  set('batch_size', 4);
  set('iterations', 2);
  set('minibatches', 1);
  set('epochs', 1);
  set('k', 2);
  set('eval_samples', 4);
  set('n', [1, 4]);
  set('samples', 4);
  return o;
}

describe('every text optimizer on pictures', () => {
  it('runs through the task interface, logs gold and brightness, and keeps the tensor count', async () => {
    const seen = new Set<string>();
    for (const text of PRESETS.filter((p) => p.task.kind === 'text')) {
      const algo = text.optimizer.algo;
      if (seen.has(algo) || !(pixelsSpec.algos as readonly string[]).includes(algo)) continue;
      seen.add(algo);
      const base = preset('pixels-symmetry')!;
      const e: Experiment = parseExperiment({
        ...base,
        task: { ...base.task, prompts: ['a face', 'a tree'] },
        reward_model: { ...base.reward_model, steps: 3, batch_size: 4 },
        schedule: { ...base.schedule, rounds: 1, labels_per_round: 8 },
        optimizer: small(text.optimizer),
      });
      const tensors: number[] = [];
      const runner = await Runner.create(e, {
        store: new MemoryStore(),
        runId: algo,
        backend: 'wasm',
        assets: publicAssets,
        hooks: { onMetrics: () => tensors.push(tf.memory().numTensors) },
      });
      await runner.run();
      expect(runner.status, algo).toBe('done');
      const rows = runner.metrics.slice(1);
      expect(rows.length, algo).toBeGreaterThanOrEqual(2);
      for (const r of rows) {
        expect(r['gold/mean'], algo).toBeGreaterThanOrEqual(0);
        expect(r['gold/mean'], algo).toBeLessThanOrEqual(1);
        expect(Number.isFinite(r['pixels/brightness']), algo).toBe(true);
      }
      expect(new Set(tensors.slice(1)).size, `${algo}: tensors per row ${tensors}`).toBe(1);
      runner.dispose();
    }
    expect([...seen].sort()).toEqual([...pixelsSpec.algos].sort());
  }, 600_000);
});

describe('the pixels lab', () => {
  it('samples whole pictures, scores them with the gold reward, and a rollout + restore keeps the tensor count', async () => {
    const e = parseExperiment({ ...preset('pixels-symmetry')!, task: { ...preset('pixels-symmetry')!.task, prompts: ['a house'] } });
    const start = tf.memory().numTensors;
    const lab = await PixelLab.create(e, new Rng(1), publicAssets);
    const before = tf.memory().numTensors;
    const r = await lab.rollout(4, 1, new Rng(2));
    expect(tf.memory().numTensors).toBe(before);
    expect(r.completions).toHaveLength(4);
    for (const [i, p] of r.completions.entries()) {
      expect(p).toMatch(/^[0-7]{100}$/);
      expect(r.gold[i]).toBeCloseTo(symmetry(parsePicture(p)), 10);
    }
    // Every pixel is a sampled action: 100 per row.
    expect(r.mask!.reduce((a, b) => a + b, 0)).toBe(400);
    // The labeler's bias: absent in this preset, so a labeler's reward is the gold reward.
    expect(lab.labelerReward({} as never, { prompt: 'a house', a: r.completions[0], b: r.completions[1] }, 'a')).toBeCloseTo(r.gold[0], 10);
    const models = lab.models();
    const state = {
      weights: Object.fromEntries(await Promise.all(Object.entries(models).map(async ([k, m]) => [k, Object.fromEntries(await Promise.all(Object.entries(m.params).map(async ([n, t]) => [n, { shape: t.shape, data: (await t.data()) as Float32Array }])))]))),
      specs: Object.fromEntries(Object.entries(models).map(([k, m]) => [k, m.spec])),
    };
    lab.dispose();
    const restored = await PixelLab.restore(e, state, publicAssets);
    const again = await restored.rollout(2, 1, new Rng(3));
    expect(again.completions).toHaveLength(2);
    restored.dispose();
    // Every tensor of both labs (weights, Adam moments) is gone with them.
    expect(tf.memory().numTensors).toBe(start);
  }, 120_000);
});
