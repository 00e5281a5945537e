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
