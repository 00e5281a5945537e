// `rlhf-lab run --out DIR` leaves DIR/export.zip, and `rlhf-lab import FILE` checks a bundle or a preference file:
// exit 0 and a summary when valid, exit 2 and the reason when not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strFromU8, unzipSync, zipSync, strToU8 } from 'fflate';
import { decodeJson } from '../../src/cli/fs_store';
import { cli } from './cli_run';
import type { CheckpointRecord } from '../../src/core/checkpoint/record';

let tmp: string;
let out: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'rlhf-lab-import-'));
  out = join(tmp, 'run');
  const r = await cli(['run', 'landscape-hello', '--set', 'schedule.rounds=1', '--set', 'schedule.labels_per_round=30', '--set', 'reward_model.steps=20', '--set', 'optimizer.iterations=3', '--out', out]);
  expect(r.code, r.stderr).toBe(0);
}, 120_000);
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('rlhf-lab import', () => {
  it('run --out leaves export.zip holding the final checkpoint; import says what it holds', async () => {
    const zip = await readFile(join(out, 'export.zip'));
    const files = unzipSync(new Uint8Array(zip));
    const ckpt = decodeJson(await readFile(join(out, 'checkpoint.json'), 'utf8')) as CheckpointRecord;
    expect(JSON.parse(strFromU8(files['experiment.json']))).toEqual(ckpt.experiment);
    expect(strFromU8(files['metrics.jsonl']).trim().split('\n')).toHaveLength(ckpt.metrics.length);
    const r = await cli(['import', join(out, 'export.zip')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('an RLHF Lab export bundle, valid');
    expect(r.stdout).toContain(`labels      ${ckpt.labels.length}`);
    expect(r.stdout).toContain('finished, 3 policy iterations');
    expect(r.stdout).toMatch(/model {7}reward_model: 4417 parameters/);
  });

  it('a preference file (TRL layout, from the bundle) is valid and read as landscape labels', async () => {
    const files = unzipSync(new Uint8Array(await readFile(join(out, 'export.zip'))));
    const path = join(tmp, 'prefs.jsonl');
    await writeFile(path, files['preferences.jsonl']);
    const pairs = strFromU8(files['preferences.jsonl']).trim().split('\n').length;
    const r = await cli(['import', path]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`a preference file, valid: ${pairs} pairs (TRL layout)`);
    expect(r.stdout).toContain(`usable as ${pairs} landscape labels`);
  });

  it('exits 2 with the reason for a bad preference file, an edited bundle, a missing file, and no file', async () => {
    const bad = join(tmp, 'bad.jsonl');
    await writeFile(bad, '{"prompt":"p","chosen":"a","rejected":"b"}\n{"prompt":"p","chosen":"a"}\n');
    let r = await cli(['import', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bad.jsonl is not a valid preference file, nothing was imported');
    expect(r.stderr).toContain('line 2: rejected: missing');

    const files = unzipSync(new Uint8Array(await readFile(join(out, 'export.zip'))));
    const edited = join(tmp, 'edited.zip');
    const rec = strFromU8(files['checkpoint/record.json']).replace('"answer":"a"', '"answer":"b"');
    await writeFile(edited, zipSync({ ...files, 'checkpoint/record.json': strToU8(rec) }));
    r = await cli(['import', edited]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/edited.zip: the checkpoint does not match its SHA-256 .*changed after it was exported/);

    r = await cli(['import', join(tmp, 'nope.zip')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cannot read');
    r = await cli(['import']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('import needs exactly one file');
  });
});
