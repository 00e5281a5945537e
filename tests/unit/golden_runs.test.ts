// Golden runs: every spec of tests/golden_runs.ts (landscape optimizers, ensembles, rollback and over-optimization on
// cpu; PPO, DPO, RLOO, GRPO, best-of-n and over-optimization on text with wasm; the control presets on cpu) re-run
// in-process and compared row by row, key by key, with the rows recorded by scripts/record_golden.ts before the
// core was restructured. A difference is a change of behaviour: find it, do not record the fixtures again to hide it.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../../src/core/tf';
import { GOLDEN_DIR, GOLDEN_RTOL, GOLDEN_RUNS, decodeRows, diffRows, runGolden, useBackend } from '../golden_runs';

describe('golden runs: the same rows as recorded', () => {
  it('compares exactly, or within a relative tolerance of at most 1e-6', () => {
    expect(GOLDEN_RTOL).toBeGreaterThanOrEqual(0);
    expect(GOLDEN_RTOL).toBeLessThanOrEqual(1e-6);
  });

  for (const spec of GOLDEN_RUNS) {
    it(`${spec.name} (${spec.preset}, ${spec.backend}, seed ${spec.seed})`, async () => {
      const expected = decodeRows(readFileSync(join(GOLDEN_DIR, `${spec.name}.jsonl`), 'utf8'));
      expect(expected.length, `${spec.name}: the fixture has no rows`).toBeGreaterThan(1);
      await useBackend(spec.backend);
      const before = tf.memory().numTensors;
      const rows = await runGolden(spec); // disposes the runner
      expect(tf.memory().numTensors, `${spec.name}: tensors left behind after dispose`).toBe(before);
      const problems = diffRows(spec.name, expected, rows);
      if (problems.length) {
        const more = problems.length > 20 ? `\n… and ${problems.length - 20} more` : '';
        throw new Error(`${problems.length} differences from the golden rows:\n${problems.slice(0, 20).join('\n')}${more}`);
      }
    }, 60_000);
  }
});
