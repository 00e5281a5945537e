// Checkpoint schema migrations: a record written by every older schema (tests/fixtures/checkpoint-schema<n>.json,
// made by the code of that time) verifies as stored, migrates to the current schema, and resumes a run.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { MIGRATIONS, SchemaError, migrate, type RawRecord } from '../../src/core/checkpoint/migrations';
import { SCHEMA, hashRecord, loadCheckpoint, verifyRecord, type LatestPointer } from '../../src/core/checkpoint/record';
import { MemoryStore, keys } from '../../src/core/checkpoint/store';
import { decodeJson } from '../../src/cli/fs_store';
import { Runner } from '../../src/core/runner';

/** The record written by schema n's code: schema 2's is the control ensemble's of tests/fixtures/checkpoints. */
const FIXTURES: Record<number, string> = { 1: 'tests/fixtures/checkpoint-schema1.json', 2: 'tests/fixtures/checkpoints/schema2-control-ensemble.json' };
const fixture = (n: number) => decodeJson(readFileSync(FIXTURES[n], 'utf8')) as RawRecord;

describe('migrations', () => {
  it('has one numbered migration and one fixture for every schema before the current one', () => {
    for (let n = 1; n < SCHEMA; n++) {
      expect(MIGRATIONS[n], `migration ${n} → ${n + 1}`).toBeDefined();
      expect(fixture(n).schema).toBe(n);
    }
    expect(MIGRATIONS[SCHEMA]).toBeUndefined();
  });

  it('schema 1 → 2: the fixture verifies as stored, gains versions, keeps everything else', async () => {
    const old = fixture(1);
    expect(old.sha256).toBe(await hashRecord(old as never)); // written by the schema-1 code, untouched
    const up = migrate(old, 2);
    expect(up.schema).toBe(2);
    expect(up.versions).toEqual({ lab: 'unknown (written before schema 2)', tfjs: 'unknown' });
    const { schema: _a, versions: _b, ...rest } = up;
    const { schema: _c, ...oldRest } = old;
    expect(rest).toEqual(oldRest);
    expect(old.schema).toBe(1); // the stored copy is not changed in place
  });

  it('schema 2 → 3: a control ensemble stored under m<k>. prefixes becomes one model and one Adam per member', async () => {
    const old = fixture(2);
    expect(old.sha256).toBe(await hashRecord(old as never));
    type Model = { weights: Record<string, { shape: number[]; data: Float32Array }>; spec: Record<string, unknown> };
    type AdamState = { t: number; m: Model['weights']; v: Model['weights'] };
    const oldRm = (old.models as Record<string, Model>).reward_model;
    const oldAdam = (old.optimizers as Record<string, AdamState>).reward_model;
    const K = (oldRm.spec.ensemble as number);
    expect(K).toBeGreaterThan(1);
    const up = migrate(old, 3);
    expect(up.schema).toBe(3);
    const models = up.models as Record<string, Model>;
    const opts = up.optimizers as Record<string, AdamState>;
    for (let k = 0; k < K; k++) {
      const name = k === 0 ? 'reward_model' : `reward_model_${k}`;
      // every weight and both moments of member k, under the names a single model has
      for (const [w, x] of Object.entries(oldRm.weights).filter(([w]) => w.startsWith(`m${k}.`))) {
        expect(models[name].weights[w.slice(3)]).toEqual(x);
        expect(opts[name].m[w.slice(3)]).toEqual(oldAdam.m[w]);
        expect(opts[name].v[w.slice(3)]).toEqual(oldAdam.v[w]);
      }
      expect(Object.keys(models[name].weights)).toHaveLength(Object.keys(oldRm.weights).length / K);
      expect(opts[name].t).toBe(oldAdam.t);
      expect(models[name].spec.norm).toEqual(oldRm.spec.norm);
      expect(models[name].spec.ensemble).toBeUndefined();
    }
    expect(models.policy).toEqual((old.models as Record<string, Model>).policy);
    // A record without a prefixed ensemble (the landscape's, the text task's) is the same record at schema 3.
    const land = { schema: 2, models: { reward_model: { weights: { w0: { shape: [1], data: new Float32Array(1) } }, spec: {} } } };
    expect(migrate(land, 3)).toEqual({ ...land, schema: 3 });
  });

  it('verifyRecord migrates a stored old record and re-hashes it; a damaged old record is refused', async () => {
    const rec = await verifyRecord(fixture(1));
    expect(rec.schema).toBe(SCHEMA);
    expect(rec.sha256).toBe(await hashRecord(rec));
    expect(rec.labels).toHaveLength(12);
    expect(rec.models.policy.weights.means.data).toBeInstanceOf(Float32Array);

    const bad = fixture(1);
    (bad.labels as { answer: string }[])[0].answer = (bad.labels as { answer: string }[])[0].answer === 'a' ? 'b' : 'a';
    await expect(verifyRecord(bad)).rejects.toThrow(/does not match its SHA-256/);
  });

  it('a run stored by schema 1 loads from the store and resumes to the end', async () => {
    const old = fixture(1);
    const store = new MemoryStore();
    const pointer: LatestPointer = { n: 0, kept: [0], name: 'old run', updatedAt: 1 };
    await store.setMany([
      [keys.checkpoint(old.runId as string, 0), old],
      [keys.latest(old.runId as string), pointer],
    ]);
    const loaded = await loadCheckpoint(store, old.runId as string);
    expect(loaded!.notice).toBeUndefined();
    expect(loaded!.record.schema).toBe(SCHEMA);
    const runner = await Runner.fromRecord(loaded!.record, { store, runId: old.runId as string, backend: 'cpu' });
    expect(runner.status).toBe('done');
    // the stored record is still the schema-1 one: reads never rewrite
    expect(((await store.get(keys.checkpoint(old.runId as string, 0))) as RawRecord).schema).toBe(1);
    runner.dispose();
  });

  it('refuses newer schemas, records without a schema and gaps in the chain, with the reason', () => {
    expect(() => migrate({ schema: SCHEMA + 1 }, SCHEMA)).toThrow(/newer version of the lab .*update the lab/);
    expect(() => migrate({ schema: 0 }, SCHEMA)).toThrow(SchemaError);
    expect(() => migrate({ schema: 1.5 }, SCHEMA)).toThrow(/no valid schema version/);
    expect(() => migrate({ schema: 1 }, SCHEMA + 5)).toThrow(new RegExp(`no migration from checkpoint schema ${SCHEMA} to ${SCHEMA + 1}`));
  });

  it('a newer-schema newest checkpoint falls back to the previous one with the reason in the notice', async () => {
    const store = new MemoryStore();
    const a = await verifyRecord(fixture(1));
    const b = { ...a, schema: SCHEMA + 1, createdAt: a.createdAt + 1 };
    const bHashed = { ...b, sha256: await hashRecord(b) };
    await store.setMany([
      [keys.checkpoint('r', 0), a],
      [keys.checkpoint('r', 1), bHashed],
      [keys.latest('r'), { n: 1, kept: [0, 1], name: 'r', updatedAt: 2 } satisfies LatestPointer],
    ]);
    const loaded = await loadCheckpoint(store, 'r');
    expect(loaded!.record.createdAt).toBe(a.createdAt);
    expect(loaded!.notice).toMatch(/\(#1\) could not be used \(the checkpoint was written by a newer version/);
  });
});
