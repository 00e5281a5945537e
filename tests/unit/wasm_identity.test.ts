// Identity without a copy on wasm (kernels/wasm_identity.ts): with the fused path on, a clone shares its input's
// heap buffer and keeps its values after the input is disposed; off, tfjs-wasm copies again; and Adam in place
// leaves a clone of a parameter (a shared buffer) as it was.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '@tensorflow/tfjs-backend-wasm';
import { tf } from '../../src/core/tf';
import { installKernels, useKernels } from '../../src/core/kernels';
import { makeParams } from '../../src/core/models/params';
import { Adam } from '../../src/core/optim';

beforeAll(async () => {
  expect(await tf.setBackend('wasm')).toBe(true);
  await tf.ready();
  installKernels();
});
afterAll(() => useKernels({ fused: true }));

describe('wasm Identity', () => {
  it('shares the buffer when fused, and copies when not', async () => {
    for (const fused of [true, false]) {
      useKernels({ fused });
      const x = tf.tensor([1, 2, 3]);
      const buffers = tf.engine().backend.numDataIds();
      const y = tf.clone(x);
      expect(tf.engine().backend.numDataIds() - buffers).toBe(fused ? 0 : 1);
      x.dispose();
      expect(Array.from(await y.data())).toEqual([1, 2, 3]); // still there: the buffer had two references
      y.dispose();
      expect(tf.engine().backend.numDataIds()).toBe(buffers - 1);
    }
  });

  it('leaves a clone of a parameter as it was when Adam updates the parameter', async () => {
    useKernels({ fused: true });
    const p = makeParams({ w: { shape: [5], data: Float32Array.from([1, 2, 3, 4, 5]) } });
    const adam = new Adam(p, 0.1);
    const clone = tf.clone(p.w);
    tf.tidy(() => adam.step({ w: tf.ones([5]) }));
    expect(Array.from(await clone.data())).toEqual([1, 2, 3, 4, 5]);
    const w = Array.from(await p.w.data());
    w.forEach((x, i) => expect(x).toBeCloseTo(i + 1 - 0.1, 5)); // Adam's first step moves each by lr
    clone.dispose();
    adam.dispose();
    p.w.dispose();
  });
});
