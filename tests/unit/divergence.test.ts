// A run that diverges stops with a message that says where and what to lower, keeps its last finite checkpoint as
// the newest, and still exports (issue: nothing lost, nothing crashes, case 5). On e1d67a7 text PPO with lr 1 ended
// `done` with exit 0, its final checkpoint 104,641 of 106,433 policy weights non-finite, and its export threw.
// Since the lab's fused wasm kernels, that PPO run collapses (entropy 0, KL ~283) with every number finite and ends
// `done`, as it does on the cpu backend; GRPO at lr 1 still reaches NaN, at step 2, and is the run checked here.
import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './cli_run';
import { decodeJson } from '../../src/cli/fs_store';
import { nonFiniteWeights, type CheckpointRecord } from '../../src/core/checkpoint/record';

describe('rlhf-lab run of a diverging text GRPO (lr 1, wasm)', () => {
  it('exits 3 naming the stage and the learning rate, with a finite checkpoint that exports and imports', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rlhf-lab-diverge-'));
    try {
      const out = join(dir, 'run');
      const sets = ['optimizer.lr=1', 'reward_model.lr=1', 'schedule.rounds=1', 'schedule.labels_per_round=12', 'reward_model.steps=10', 'optimizer.iterations=6', 'optimizer.batch_size=8'];
      const r = await cli(['run', 'text-sentiment-grpo', '--backend', 'wasm', '--seed', '1', '--out', out, ...sets.flatMap((s) => ['--set', s])]);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toMatch(/training diverged at step \d+ of round 1's policy stage: loss\/policy is NaN\. .*lower optimizer\.lr \(now 1\)/);
      const record = decodeJson(await readFile(join(out, 'checkpoint.json'), 'utf8')) as CheckpointRecord;
      expect(nonFiniteWeights(record)).toBeNull();
      const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
      expect(summary.status).toBe('error');
      const imported = await cli(['import', join(out, 'export.zip')]);
      expect(imported.code, imported.stderr).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
