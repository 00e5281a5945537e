// No leaks over long runs (issue: nothing lost, nothing crashes): summary.json records tf.memory().numTensors before
// and after the run, and it is the same over 1,000 landscape REINFORCE iterations and 30 text PPO iterations.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPreset } from './cli_run';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rlhf-lab-long-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const short = ['schedule.rounds=1', 'schedule.labels_per_round=10', 'reward_model.steps=5'].flatMap((s) => ['--set', s]);

describe('tensors alive before and after a long run', () => {
  it('landscape: 1,000 REINFORCE iterations', async () => {
    const { rows, summary } = await runPreset(dir, 'landscape-hello', 'cpu', [...short, '--set', 'optimizer.iterations=1000', '--set', 'optimizer.batch_size=8']);
    expect(rows.at(-1)!.step).toBe(1000);
    const t = summary.tensors as { before: number; after: number };
    expect(t.before).toBeGreaterThan(0);
    expect(t.after).toBe(t.before);
  }, 120_000);

  it('text: 30 PPO iterations on wasm', async () => {
    const { rows, summary } = await runPreset(dir, 'text-sentiment-ppo', 'wasm', [...short, '--set', 'optimizer.iterations=30', '--set', 'optimizer.batch_size=4', '--set', 'optimizer.minibatches=2']);
    expect(rows.at(-1)!.step).toBe(30);
    const t = summary.tensors as { before: number; after: number };
    expect(t.after).toBe(t.before);
  }, 120_000);
});
