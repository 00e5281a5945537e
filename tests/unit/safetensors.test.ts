// safetensors exactly to the format, bit for bit both ways, and every malformed file refused with the reason.
import { describe, expect, it } from 'vitest';
import { readSafetensors, writeSafetensors, SafetensorsError } from '../../src/core/checkpoint/safetensors';

const weights = {
  w0: { shape: [2, 3], data: new Float32Array([1, -2, 3.5, Number.NaN, -0, 3.4028234663852886e38]) },
  b0: { shape: [3], data: new Float32Array([1e-45, 0.1, -7]) },
  scalar: { shape: [], data: new Float32Array([42]) },
};

describe('safetensors', () => {
  it('writes the layout of the format: u64 LE header length, JSON header padded to 8, F32 LE data in offset order', () => {
    const bytes = writeSafetensors(weights, { format: 'np', note: '<script>' });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(header.__metadata__).toEqual({ format: 'np', note: '<script>' });
    // names sorted: b0, scalar, w0
    expect(header.b0).toEqual({ dtype: 'F32', shape: [3], data_offsets: [0, 12] });
    expect(header.scalar).toEqual({ dtype: 'F32', shape: [], data_offsets: [12, 16] });
    expect(header.w0).toEqual({ dtype: 'F32', shape: [2, 3], data_offsets: [16, 40] });
    expect(bytes.length).toBe(8 + n + 40);
    const data = new DataView(bytes.buffer, 8 + n);
    expect(data.getFloat32(0, true)).toBe(Math.fround(1e-45));
    expect(data.getFloat32(12, true)).toBe(42);
    expect(data.getFloat32(16 + 8, true)).toBe(3.5);
    // the bytes of 1.0f little-endian: 00 00 80 3f
    expect(Array.from(bytes.subarray(8 + n + 16, 8 + n + 20))).toEqual([0, 0, 0x80, 0x3f]);
  });

  it('round-trips every bit, NaN and -0 included', () => {
    const back = readSafetensors(writeSafetensors(weights, { a: 'b' }));
    expect(back.metadata).toEqual({ a: 'b' });
    for (const [k, w] of Object.entries(weights)) {
      expect(back.tensors[k].shape).toEqual(w.shape);
      expect(new Uint8Array(back.tensors[k].data.buffer)).toEqual(new Uint8Array(w.data.buffer));
    }
  });

  it('refuses malformed files with the reason', () => {
    const good = writeSafetensors(weights);
    const n = Number(new DataView(good.buffer).getBigUint64(0, true));
    const withHeader = (h: unknown, data = new Uint8Array(40)) => {
      const head = new TextEncoder().encode(JSON.stringify(h));
      const out = new Uint8Array(8 + head.length + data.length);
      new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
      out.set(head, 8);
      out.set(data, 8 + head.length);
      return out;
    };
    const cases: [Uint8Array, RegExp][] = [
      [good.subarray(0, 5), /too short/],
      [good.subarray(0, 8 + n - 1), /runs past the end/],
      [withHeader([1, 2]), /not a JSON object/],
      [withHeader({ x: { dtype: 'F16', shape: [2], data_offsets: [0, 4] } }, new Uint8Array(4)), /dtype "F16"/],
      [withHeader({ x: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4)), /shape/],
      [withHeader({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, new Uint8Array(4)), /needs 8 bytes/],
      [withHeader({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(4)), /past the end/],
      [withHeader({ x: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8)), /without holes/],
      [withHeader({ x: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(8)), /belong to no tensor/],
      [withHeader({ __metadata__: { a: 1 } }, new Uint8Array(0)), /__metadata__.a is not a string/],
    ];
    for (const [bytes, why] of cases) expect(() => readSafetensors(bytes)).toThrow(why);
    let bad = 0;
    for (const [bytes] of cases) {
      try {
        readSafetensors(bytes);
      } catch (e) {
        if (e instanceof SafetensorsError) bad++;
      }
    }
    expect(bad).toBe(cases.length);
  });
});
