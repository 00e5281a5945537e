// Checkpoints: the newest KEEP are kept, each record's SHA-256 is verified on load, a damaged newest record falls
// back to the previous one with a notice, and the CLI's file store round-trips typed arrays.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  KEEP,
  SCHEMA,
  hashRecord,
  loadCheckpoint,
  saveCheckpoint,
  sha256Hex,
  type CheckpointRecord,
  type LatestPointer,
} from '../../src/core/checkpoint/record';
import { MemoryStore, keys } from '../../src/core/checkpoint/store';
import { FsStore, decodeJson, encodeJson } from '../../src/cli/fs_store';
import { preset } from '../../src/core/experiment/presets';

const RUN = 'test-run';

/** A small record whose weights and createdAt identify it (i). */
function record(i: number, runId = RUN): Omit<CheckpointRecord, 'sha256'> {
  return {
    schema: SCHEMA,
    runId,
    experiment: preset('landscape-hello')!,
    position: { round: 0, stage: 'policy', stageStep: i, iteration: i },
    models: {
      policy: {
        weights: {
          means: { shape: [1, 2], data: new Float32Array([i + 0.25, -i - 0.5]) },
          log_std: { shape: [1, 2], data: new Float32Array([Math.log(0.6), Math.log(0.6)]) },
        },
        spec: { components: 1 },
      },
    },
    optimizers: { policy: { t: i, m: { means: { shape: [1, 2], data: new Float32Array([0.1 * i, 0]) } }, v: {} } },
    rng: [1, 2, 3, i],
    labels: [{ id: 0, a: [0, 0], b: [1, 1], answer: 'a', labeler: 'simulated:0', round: 0, time: 1000 + i }],
    metrics: [{ step: i, 'gold/mean': 0.1 * i }],
    backend: 'cpu',
    versions: { lab: 'test', tfjs: 'test' },
    createdAt: 1_700_000_000_000 + i,
  };
}

async function saveN(store: MemoryStore | FsStore, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await saveCheckpoint(store, record(i));
}

const ckptKeys = (store: MemoryStore) =>
  [...store.map.keys()].filter((k) => k.startsWith(`rlhf-lab:v1:run:${RUN}:ckpt:`)).sort();

describe('sha256Hex', () => {
  it('matches the FIPS 180-2 test vectors', async () => {
    expect(await sha256Hex(new TextEncoder().encode('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(await sha256Hex(new Uint8Array(0))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('hashRecord changes with any weight bit and ignores the stored sha256 field', async () => {
    const r = record(1);
    const h = await hashRecord(r);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(await hashRecord({ ...r, sha256: 'anything' })).toBe(h);
    const s = structuredClone(r);
    const bytes = new Uint8Array(s.models.policy.weights.means.data.buffer);
    bytes[0] ^= 1; // lowest mantissa bit of one weight
    expect(await hashRecord(s)).not.toBe(h);
  });
});

describe('saveCheckpoint / loadCheckpoint (MemoryStore)', () => {
  it('returns null for a run with no checkpoint', async () => {
    expect(await loadCheckpoint(new MemoryStore(), RUN)).toBeNull();
  });

  it(`keeps the newest ${KEEP} and loads the newest`, async () => {
    expect(KEEP).toBe(3);
    const store = new MemoryStore();
    await saveN(store, 5);
    expect(ckptKeys(store)).toEqual([keys.checkpoint(RUN, 2), keys.checkpoint(RUN, 3), keys.checkpoint(RUN, 4)].sort());
    const pointer = (await store.get(keys.latest(RUN))) as LatestPointer;
    expect(pointer.n).toBe(4);
    expect(pointer.kept).toEqual([2, 3, 4]);
    expect(pointer.name).toBe('landscape-hello');
    expect(await store.get(keys.lastRun)).toBe(RUN);
    const loaded = await loadCheckpoint(store, RUN);
    expect(loaded!.notice).toBeUndefined();
    expect(loaded!.record.position.iteration).toBe(4);
    expect(Array.from(loaded!.record.models.policy.weights.means.data)).toEqual([4.25, -4.5]);
    expect(loaded!.record.models.policy.weights.means.data).toBeInstanceOf(Float32Array);
    expect(loaded!.record.sha256).toBe(await hashRecord(record(4)));
  });

  it('keeps runs apart', async () => {
    const store = new MemoryStore();
    await saveCheckpoint(store, record(7, 'other'));
    await saveN(store, 2);
    expect((await loadCheckpoint(store, 'other'))!.record.position.iteration).toBe(7);
    expect((await loadCheckpoint(store, RUN))!.record.position.iteration).toBe(1);
    expect(await store.get(keys.lastRun)).toBe(RUN);
  });

  it('falls back to the previous checkpoint when a weight of the newest was changed, and says so', async () => {
    const store = new MemoryStore();
    await saveN(store, 5);
    const newest = store.map.get(keys.checkpoint(RUN, 4)) as CheckpointRecord;
    newest.models.policy.weights.means.data[1] = 123; // one weight, sha256 left as it was
    const loaded = await loadCheckpoint(store, RUN);
    expect(loaded!.record.position.iteration).toBe(3);
    expect(loaded!.notice).toContain('#4');
    expect(loaded!.notice).toContain('#3');
  });

  it('detects a change outside the weights too (position, labels), and a missing record', async () => {
    const store = new MemoryStore();
    await saveN(store, 4);
    (store.map.get(keys.checkpoint(RUN, 3)) as CheckpointRecord).position.iteration = 99;
    (store.map.get(keys.checkpoint(RUN, 2)) as CheckpointRecord).labels[0].answer = 'b';
    const loaded = await loadCheckpoint(store, RUN);
    expect(loaded!.record.position.iteration).toBe(1);
    expect(loaded!.notice).toContain('#3');
    expect(loaded!.notice).toContain('#1');

    const gone = new MemoryStore();
    await saveN(gone, 3);
    gone.map.delete(keys.checkpoint(RUN, 2));
    const l2 = await loadCheckpoint(gone, RUN);
    expect(l2!.record.position.iteration).toBe(1);
    expect(l2!.notice).toContain('#2');
  });

  it('refuses a record of another schema version', async () => {
    const store = new MemoryStore();
    await saveN(store, 2);
    const r = store.map.get(keys.checkpoint(RUN, 1)) as CheckpointRecord;
    r.schema = SCHEMA + 1;
    r.sha256 = await hashRecord(r); // hash fine, schema not
    expect((await loadCheckpoint(store, RUN))!.record.position.iteration).toBe(0);
  });

  it('throws a clear error when every kept checkpoint is damaged', async () => {
    const store = new MemoryStore();
    await saveN(store, 5);
    for (const n of [2, 3, 4]) (store.map.get(keys.checkpoint(RUN, n)) as CheckpointRecord).rng[0] += 1;
    await expect(loadCheckpoint(store, RUN)).rejects.toThrow(
      /Every kept checkpoint of run test-run \(#2, #3, #4\) failed its integrity check/,
    );
  });

  it('a saved record is a copy: changing the caller’s arrays later does not change it', async () => {
    const store = new MemoryStore();
    const r = record(1);
    await saveCheckpoint(store, r);
    r.models.policy.weights.means.data[0] = -7;
    const loaded = await loadCheckpoint(store, RUN);
    expect(loaded!.notice).toBeUndefined();
    expect(loaded!.record.models.policy.weights.means.data[0]).toBe(1.25);
  });
});

describe('FsStore', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rlhf-lab-ckpt-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('round-trips a checkpoint with its Float32Arrays bit for bit', async () => {
    const store = new FsStore(join(dir, 'a'));
    await saveN(store, 5);
    const files = (await readdir(join(dir, 'a'))).sort();
    // three records, the pointer, last-run; no temporary files left behind
    expect(files.filter((f) => f.includes('ckpt'))).toHaveLength(3);
    expect(files.some((f) => f.endsWith('.tmp'))).toBe(false);
    const loaded = await loadCheckpoint(store, RUN);
    expect(loaded!.notice).toBeUndefined();
    const w = loaded!.record.models.policy.weights;
    expect(w.means.data).toBeInstanceOf(Float32Array);
    expect(Array.from(w.means.data)).toEqual([4.25, -4.5]);
    expect(w.log_std.data[0]).toBe(Math.fround(Math.log(0.6)));
    expect(loaded!.record.optimizers.policy.m.means.data).toBeInstanceOf(Float32Array);
    expect(loaded!.record.rng).toEqual([1, 2, 3, 4]);
  });

  it('falls back when a record file is edited on disk', async () => {
    const store = new FsStore(join(dir, 'b'));
    await saveN(store, 3);
    const file = join(dir, 'b', (await readdir(join(dir, 'b'))).find((f) => decodeURIComponent(f).endsWith('ckpt:2.json'))!);
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.replace('"iteration":2', '"iteration":20'));
    const loaded = await loadCheckpoint(store, RUN);
    expect(loaded!.record.position.iteration).toBe(1);
    expect(loaded!.notice).toContain('#2');
  });

  it('get of a missing key is undefined; delMany removes; a missing folder has no keys', async () => {
    const store = new FsStore(join(dir, 'c'));
    expect(await store.keys()).toEqual([]);
    expect(await store.get('nothing')).toBeUndefined();
    await store.setMany([['k1', { x: 1 }], ['k2', 2]]);
    expect(await store.get('k1')).toEqual({ x: 1 });
    await store.delMany(['k1']);
    expect(await store.get('k1')).toBeUndefined();
    expect(await store.get('k2')).toBe(2);
  });

  // Store.keys() (store.ts) lists the keys that were set, as MemoryStore does: file names must map back to keys.
  it('keys() returns the keys that were set', async () => {
    const store = new FsStore(join(dir, 'd'));
    await saveCheckpoint(store, record(0));
    const mem = new MemoryStore();
    await saveCheckpoint(mem, record(0));
    expect((await store.keys()).sort()).toEqual((await mem.keys()).sort());
  });

  it('encodeJson / decodeJson keep Float32Arrays, subarrays included', () => {
    const whole = new Float32Array([1.5, -0, Number.NaN, 3.4028234663852886e38, 1e-45]);
    const sub = new Float32Array([9, 8, 7, 6]).subarray(1, 3); // a view at byte offset 4
    const back = decodeJson(encodeJson({ whole, sub, plain: [1, 2], s: 'x' })) as Record<string, unknown>;
    expect(back.whole).toBeInstanceOf(Float32Array);
    const w = back.whole as Float32Array;
    expect(w.length).toBe(5);
    expect(Object.is(w[1], -0)).toBe(true);
    expect(w[2]).toBeNaN();
    expect(w[3]).toBe(whole[3]);
    expect(w[4]).toBe(whole[4]);
    expect(Array.from(back.sub as Float32Array)).toEqual([8, 7]);
    expect(back.plain).toEqual([1, 2]);
    expect(back.s).toBe('x');
  });
});
