// Schema-2 checkpoint records written by the code before the core was restructured
// (tests/fixtures/checkpoints/<name>.json, FsStore's encoding, saved as round 1 of a 2-round run ended) must load
// through the lab's own path (store → loadCheckpoint: SHA-256, migrations → Runner.fromRecord) and resume their
// second round with the very rows that code produced (<name>-resume.jsonl, scripts/record_golden.ts).
// One exception, re-recorded with `record_golden.ts --resume-only` from the untouched schema-2 record: the control
// ensemble's members used to share one Adam over their mean loss and one normalization of the combined score; the one
// ensemble of models/reward_ensemble.ts gives each member its own Adam and normalization (schema 3), so its resumed
// rows are those of the new math, while the landscape ensemble (whose math did not change) resumes exactly.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../../src/core/tf';
import { decodeJson } from '../../src/cli/fs_store';
import { hashRecord, type CheckpointRecord } from '../../src/core/checkpoint/record';
import { CHECKPOINT_DIR, CHECKPOINT_RUNS, decodeRows, diffRows, resumeRecord, useBackend } from '../golden_runs';

describe('schema-2 checkpoint fixtures resume with the recorded rows', () => {
  for (const spec of CHECKPOINT_RUNS) {
    it(`${spec.name} (${spec.preset}, ${spec.backend})`, async () => {
      const stored = decodeJson(readFileSync(join(CHECKPOINT_DIR, `${spec.name}.json`), 'utf8')) as CheckpointRecord;
      // As written by the schema-2 code: untouched, and saved where round 2 starts.
      expect(stored.schema).toBe(2);
      expect(stored.sha256).toBe(await hashRecord(stored));
      expect(stored.position).toEqual({ round: spec.savedAfterRound, stage: 'label', stageStep: 0, iteration: stored.position.iteration });
      expect(stored.experiment.schedule.rounds).toBe(spec.savedAfterRound + 1);
      const expected = decodeRows(readFileSync(join(CHECKPOINT_DIR, `${spec.name}-resume.jsonl`), 'utf8'));
      expect(expected.length).toBeGreaterThan(0);

      await useBackend(spec.backend);
      const before = tf.memory().numTensors;
      const rows = await resumeRecord(spec, stored); // disposes the runner
      expect(tf.memory().numTensors, `${spec.name}: tensors left behind after dispose`).toBe(before);
      const problems = diffRows(`${spec.name} (resumed)`, expected, rows);
      if (problems.length) throw new Error(`${problems.length} differences from the recorded rows:\n${problems.slice(0, 20).join('\n')}`);
    }, 60_000);
  }
});
