// Records the golden fixtures with the code of today: the metric rows of every run of tests/golden_runs.ts
// (tests/fixtures/golden/<name>.jsonl) and the schema-2 checkpoint records with the rows their resumption gives
// (tests/fixtures/checkpoints/<name>.json and <name>-resume.jsonl). Run from the repository root:
//   npx tsx scripts/record_golden.ts              every fixture
//   npx tsx scripts/record_golden.ts NAME ...     only these runs or checkpoints
//   npx tsx scripts/record_golden.ts --resume-only NAME ...
//                                                 only the resumed rows of stored checkpoint records, which stay as
//                                                 the older code wrote them (a record's schema is never rewritten)
// Record again only with the code whose behaviour the fixtures are meant to pin (never to make a failing test pass).
import { mkdirSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  CHECKPOINT_DIR,
  CHECKPOINT_RUNS,
  GOLDEN_DIR,
  GOLDEN_RUNS,
  encodeRows,
  recordAfterRound,
  resumeRecord,
  runGolden,
} from '../tests/golden_runs';
import { encodeJson, decodeJson } from '../src/cli/fs_store';
import { tf } from '../src/core/tf';

const resumeOnly = process.argv.includes('--resume-only');
const only = new Set(process.argv.slice(2).filter((a) => a !== '--resume-only'));
const wanted = (name: string) => only.size === 0 || only.has(name);
const kb = (path: string) => `${(statSync(path).size / 1024).toFixed(1)} KB`;

mkdirSync(GOLDEN_DIR, { recursive: true });
mkdirSync(CHECKPOINT_DIR, { recursive: true });

const started = performance.now();
for (const spec of GOLDEN_RUNS.filter((s) => wanted(s.name) && !resumeOnly)) {
  const t0 = performance.now();
  const before = tf.memory().numTensors;
  const rows = await runGolden(spec);
  const leaked = tf.memory().numTensors - before;
  const path = join(GOLDEN_DIR, `${spec.name}.jsonl`);
  writeFileSync(path, encodeRows(rows));
  console.log(
    `${spec.name.padEnd(36)} ${spec.backend.padEnd(4)} ${((performance.now() - t0) / 1000).toFixed(2).padStart(6)} s  ` +
      `${String(rows.length).padStart(3)} rows  ${kb(path)}${leaked ? `  (${leaked} tensors left behind)` : ''}`,
  );
}

for (const spec of CHECKPOINT_RUNS.filter((s) => wanted(s.name))) {
  const t0 = performance.now();
  const path = join(CHECKPOINT_DIR, `${spec.name}.json`);
  if (!resumeOnly) writeFileSync(path, encodeJson(await recordAfterRound(spec)));
  // Resume what the file holds, as the test will: the expected rows of the record's next round.
  const rows = await resumeRecord(spec, decodeJson(readFileSync(path, 'utf8')));
  const resumePath = join(CHECKPOINT_DIR, `${spec.name}-resume.jsonl`);
  writeFileSync(resumePath, encodeRows(rows));
  console.log(
    `${spec.name.padEnd(36)} ${spec.backend.padEnd(4)} ${((performance.now() - t0) / 1000).toFixed(2).padStart(6)} s  ` +
      `record ${kb(path)}, ${rows.length} resumed rows ${kb(resumePath)}`,
  );
}
console.log(`all in ${((performance.now() - started) / 1000).toFixed(1)} s`);
