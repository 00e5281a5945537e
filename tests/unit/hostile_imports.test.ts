// A bundle cannot make the lab materialize more than it carries (issue: nothing lost, nothing crashes, case 4). On
// e1d67a7 a 77 KB bundle whose record.json referred 40 times to one 64 MB range of arrays.bin made `rlhf-lab import`
// peak at 5.4 GB before the hash refused it: every reference was copied out.
import { describe, expect, it } from 'vitest';
import { BundleError, packRecord, unpackRecord } from '../../src/core/checkpoint/export';

describe('unpackRecord', () => {
  it('refuses references whose sum exceeds arrays.bin, before copying them all out', () => {
    const bin = new Uint8Array(4 * 1024 * 1024); // 4 MB of zeros: 1,048,576 floats
    const refs = Array.from({ length: 40 }, () => ({ $f32: [0, 1024 * 1024] }));
    const json = JSON.stringify({ schema: 3, models: { policy: { weights: Object.fromEntries(refs.map((r, i) => [`w${i}`, { shape: [1024, 1024], data: r }])) } } });
    const before = process.memoryUsage().arrayBuffers;
    expect(() => unpackRecord(json, bin)).toThrow(BundleError);
    expect(() => unpackRecord(json, bin)).toThrow(/refers to more array data/);
    // The refusal comes at the second reference: at most the blob's copy and two arrays were made (< 40 × 4 MB).
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
  });

  it('still reads a packed record whose references tile arrays.bin exactly', () => {
    const a = Float32Array.from([1, 2, 3]);
    const b = Float32Array.from([4, 5]);
    const { json, bin } = packRecord({ models: { m: { weights: { a: { shape: [3], data: a }, b: { shape: [2], data: b } } } } } as never);
    const back = unpackRecord(json, bin) as { models: { m: { weights: Record<string, { data: Float32Array }> } } };
    expect(Array.from(back.models.m.weights.a.data)).toEqual([1, 2, 3]);
    expect(Array.from(back.models.m.weights.b.data)).toEqual([4, 5]);
  });
});

describe('a bundle validated as a record, not only hashed (case 7)', () => {
  it('refuses a landscape run whose labels are strings, even with its SHA-256 recomputed; a link label of 6 fields too', async () => {
    const { tf } = await import('../../src/core/tf');
    const { unzipSync, zipSync } = await import('fflate');
    const { MemoryStore } = await import('../../src/core/checkpoint/store');
    const { Runner } = await import('../../src/core/runner');
    const { applyOverrides } = await import('../../src/core/experiment/parse');
    const { preset } = await import('../../src/core/experiment/presets');
    const { hashRecord, loadCheckpoint } = await import('../../src/core/checkpoint/record');
    const { buildBundle } = await import('../../src/core/checkpoint/export');
    const { ImportError, readBundle } = await import('../../src/core/checkpoint/import');
    await tf.setBackend('cpu');
    const store = new MemoryStore();
    const e = applyOverrides(preset('landscape-hello')!, ['schedule.rounds=1', 'schedule.labels_per_round=4', 'reward_model.steps=2', 'optimizer.iterations=1']);
    const runner = await Runner.create(e, { store, runId: 'r', backend: 'cpu' });
    await runner.run();
    runner.dispose();
    const good = buildBundle((await loadCheckpoint(store, 'r'))!.record);
    await expect(readBundle(good)).resolves.toBeDefined();

    // What someone editing the bundle does: change the record, recompute its hash with the lab's own function, repack.
    type Editable = Record<string, unknown> & { labels: { a: unknown }[]; models: Record<string, { weights: Record<string, { data: Float32Array }> }> };
    const edit = async (change: (r: Editable) => void) => {
      const files = unzipSync(good);
      const record = unpackRecord(new TextDecoder().decode(files['checkpoint/record.json']), files['checkpoint/arrays.bin']) as Editable;
      change(record);
      record.sha256 = await hashRecord(record as never);
      const { json, bin } = packRecord(record as never);
      files['checkpoint/record.json'] = new TextEncoder().encode(json);
      files['checkpoint/arrays.bin'] = new Uint8Array(bin);
      delete files['models/policy.safetensors']; // an editor who cannot match the safetensors copy leaves it out
      return zipSync(files);
    };
    const stringLabel = await edit((r) => (r.labels[0].a = 'not a point'));
    await expect(readBundle(stringLabel)).rejects.toThrow(ImportError);
    await expect(readBundle(stringLabel)).rejects.toThrow(/label 0 \(id \d+\) has a side "a" that is not a landscape sample/);
    // Weights that are not finite are what a diverged run leaves: the lab never saves them, nor imports them.
    const nan = await edit((r) => (r.models.policy.weights.means.data[1] = Number.NaN));
    await expect(readBundle(nan)).rejects.toThrow(/policy\.means holds values that are not finite/);
    // Within those checks a re-hashed edit imports: SHA-256 proves a bundle arrived intact, not who made it (README).
    await expect(readBundle(await edit((r) => (r.models.policy.weights.means.data[1] *= 10)))).resolves.toBeDefined();

    // A link's label is 4 coordinates and an answer: a sixth field used to be accepted and cut.
    const { decodeLink, LinkError } = await import('../../src/core/share/link');
    const { zlibSync, strToU8 } = await import('fflate');
    const linkOf = (labels: number[][]) => `#share=v1.${Buffer.from(zlibSync(strToU8(JSON.stringify({ experiment: e, labels })))).toString('base64url')}`;
    expect(decodeLink(linkOf([[0, 0, 1, 1, 0]])).labels).toHaveLength(1);
    expect(() => decodeLink(linkOf([[0, 0, 1, 1, 0, 5]]))).toThrow(LinkError);
    expect(() => decodeLink(linkOf([[0, 0, 1, 1e6, 0]]))).toThrow(LinkError);
  }, 60_000);
});
