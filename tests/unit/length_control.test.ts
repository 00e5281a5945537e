// The length-controlled text reward model (LMArena's style control) on short seeded runs: w takes the sign of the
// labeler's length bias, the policy is scored without it (the proxy of a sample is r_θ alone), w and its Adam survive
// a checkpoint, and no tensor is left behind by a reward step.
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/core/tf';
import { Runner } from '../../src/core/runner';
import { MemoryStore } from '../../src/core/checkpoint/store';
import { loadCheckpoint } from '../../src/core/checkpoint/record';
import { applyOverrides, parseExperiment, ExperimentError, type Experiment } from '../../src/core/experiment/parse';
import { preset } from '../../src/core/experiment/presets';
import { publicAssets } from '../../src/cli/fs_assets';
import { useBackend } from '../golden_runs';
import type { Label } from '../../src/core/feedback/labelers';

beforeAll(async () => {
  await useBackend('wasm');
});

const small = (bias: number) =>
  applyOverrides(preset('text-sentiment-lengthy-controlled')!, [
    'schedule.rounds=1',
    'schedule.labels_per_round=60',
    'reward_model.steps=60',
    'task.max_new_tokens=16',
    'optimizer.iterations=1',
    'optimizer.batch_size=8',
    'optimizer.minibatches=1',
    `labelers[0].length_bias=${bias}`,
  ]);

async function run(e: Experiment, store = new MemoryStore()) {
  const runner = await Runner.create(e, { store, runId: 'run', backend: 'wasm', assets: publicAssets });
  await runner.run();
  expect(runner.status).toBe('done');
  return { runner, store };
}

describe('length-controlled reward model (text, wasm, seed 1)', () => {
  it('fits w with the sign of the labeler\'s length bias and reports it; w and its Adam are checkpointed', async () => {
    const coef: number[] = [];
    for (const bias of [0.25, -0.25]) {
      const { runner, store } = await run(small(bias));
      const last = runner.metrics.at(-1)!;
      coef.push(last['rm/length_coef']);
      const { record } = (await loadCheckpoint(store, 'run'))!;
      expect(record.models.reward_model.weights['reward.length_w'].data[0]).toBeCloseTo(last['rm/length_coef'], 6);
      expect(record.optimizers.reward_model_length.t).toBe(60);
      expect(record.optimizers.reward_model.m).not.toHaveProperty('reward.length_w');
      runner.dispose();
    }
    expect(coef[0]).toBeGreaterThan(0.02);
    expect(coef[1]).toBeLessThan(-0.02);
  }, 180_000);

  it('scores the policy by r_θ alone: w = 100 leaves every score as it was; a reward step leaves no tensor behind', async () => {
    const { runner } = await run(small(0.25));
    type Lab = {
      rm: Record<string, tf.Variable>;
      rewardStep(b: Label[], y: Float32Array): tf.Tensor;
      rewardScores(l: Label[]): Promise<{ a: Float32Array; b: Float32Array }>;
    };
    const lab = runner.lab as unknown as Lab;
    const label: Label = { id: 0, prompt: 'it was', a: ' good', b: ' good and fine and nice', answer: 'a', labeler: 'x', round: 0, time: 0 };
    const before0 = await lab.rewardScores([label]);
    // Were w·length in the score, w = 100 would add 500 and 2200 to these two; the scores must not move at all.
    lab.rm['reward.length_w'].assign(tf.tensor1d([100]));
    const after = await lab.rewardScores([label]);
    expect(Array.from(after.a)).toEqual(Array.from(before0.a));
    expect(Array.from(after.b)).toEqual(Array.from(before0.b));
    const before = tf.memory().numTensors;
    lab.rewardStep([label], Float32Array.from([1])).dispose();
    expect(tf.memory().numTensors).toBe(before);
    runner.dispose();
  }, 120_000);

  it('is refused on the landscape, naming the field', () => {
    const e = preset('landscape-hello')!;
    expect(() => parseExperiment({ ...e, reward_model: { ...e.reward_model, length_control: true } })).toThrow(ExperimentError);
    expect(() => parseExperiment({ ...e, reward_model: { ...e.reward_model, length_control: true } })).toThrow(/reward_model\.length_control: .*text only/);
  });
});
