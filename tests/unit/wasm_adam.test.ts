// Adam in place on the wasm backend (kernels/wasm_adam.ts, assembly/adam.ts): three steps against Adam written out
// in float64 here, the same state to the bit as the plain tf-op update, nothing added per step (tensors, heap
// buffers), and a parameter whose buffer another tensor shares is updated by the plain ops, leaving that tensor as it was.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '@tensorflow/tfjs-backend-wasm';
import { tf } from '../../src/core/tf';
import { Rng } from '../../src/core/rng';
import { Adam } from '../../src/core/optim';
import { installKernels, useKernels } from '../../src/core/kernels';
import { wasmCalls } from '../../src/core/kernels/wasm_program';
import { makeParams } from '../../src/core/models/params';
import type { Variable } from '../../src/core/tf';

beforeAll(async () => {
  expect(await tf.setBackend('wasm')).toBe(true);
  await tf.ready();
  installKernels();
});
afterAll(() => useKernels({ fused: true }));

const SHAPES: Record<string, number[]> = { w: [7, 6], b: [6], odd: [3] }; // 42, 6 and 3: four lanes and a tail
const LR = 0.01;

function start(seed: number): { params: Record<string, Variable>; grads: Float32Array[][] } {
  const rng = new Rng(seed);
  const params = makeParams(
    Object.fromEntries(Object.entries(SHAPES).map(([k, s]) => [k, { shape: s, data: Float32Array.from({ length: s.reduce((a, b) => a * b) }, () => rng.normal()) }])),
  );
  const grads = [0, 1, 2].map(() => Object.values(SHAPES).map((s) => Float32Array.from({ length: s.reduce((a, b) => a * b) }, () => rng.normal())));
  return { params, grads };
}

/** Three Adam steps; returns the parameters' values after each. */
async function run(fused: boolean, seed = 3): Promise<{ after: Float32Array[][]; tensors: number[]; ids: number[]; calls: number }> {
  useKernels({ fused });
  const { params, grads } = start(seed);
  const adam = new Adam(params, LR);
  const after: Float32Array[][] = [];
  const tensors: number[] = [];
  const ids: number[] = [];
  const calls0 = wasmCalls();
  for (const g of grads) {
    tf.tidy(() => adam.step(Object.fromEntries(Object.keys(SHAPES).map((k, i) => [k, tf.tensor(g[i], SHAPES[k])]))));
    tensors.push(tf.memory().numTensors);
    ids.push(tf.engine().backend.numDataIds());
    after.push(await Promise.all(Object.keys(SHAPES).map(async (k) => (await params[k].data()) as Float32Array)));
  }
  const calls = wasmCalls() - calls0;
  adam.dispose();
  Object.values(params).forEach((p) => p.dispose());
  return { after, tensors, ids, calls };
}

describe('Adam in place on wasm', () => {
  it('follows Adam written out in float64 for three steps (within 1e-6)', async () => {
    const { after, calls } = await run(true);
    expect(calls).toBe(3 * Object.keys(SHAPES).length); // one call per parameter per step: the kernel ran
    const { params, grads } = start(3);
    const theta = await Promise.all(Object.values(params).map(async (p) => Float64Array.from((await p.data()) as Float32Array)));
    Object.values(params).forEach((p) => p.dispose());
    const m = theta.map((x) => new Float64Array(x.length));
    const v = theta.map((x) => new Float64Array(x.length));
    for (let t = 1; t <= 3; t++) {
      theta.forEach((th, i) => {
        for (let j = 0; j < th.length; j++) {
          const g = grads[t - 1][i][j];
          m[i][j] = 0.9 * m[i][j] + 0.1 * g;
          v[i][j] = 0.999 * v[i][j] + 0.001 * g * g;
          th[j] -= (LR * (m[i][j] / (1 - 0.9 ** t))) / (Math.sqrt(v[i][j] / (1 - 0.999 ** t)) + 1e-8);
        }
        for (let j = 0; j < th.length; j++) expect(Math.abs(after[t - 1][i][j] - th[j])).toBeLessThan(1e-6);
      });
    }
  });

  it('gives the plain tf-op update to the bit, and adds no tensor or heap buffer per step', async () => {
    const fused = await run(true);
    const plain = await run(false);
    expect(plain.calls).toBe(0);
    fused.after.forEach((step, t) => step.forEach((x, i) => expect(Array.from(x)).toEqual(Array.from(plain.after[t][i]))));
    expect(new Set(fused.tensors).size).toBe(1);
    expect(new Set(fused.ids).size).toBe(1);
  });

  it('leaves a tensor that shares a parameter\'s buffer as it was (that parameter takes the plain update)', async () => {
    useKernels({ fused: true });
    const { params, grads } = start(4);
    const adam = new Adam(params, LR);
    const clone = tf.reshape(params.w, [-1]); // shares w's buffer (a reshape does; wasm's clone copies)
    const before = Array.from((await clone.data()) as Float32Array);
    const calls0 = wasmCalls();
    tf.tidy(() => adam.step(Object.fromEntries(Object.keys(SHAPES).map((k, i) => [k, tf.tensor(grads[0][i], SHAPES[k])]))));
    expect(wasmCalls() - calls0).toBe(Object.keys(SHAPES).length - 1);
    expect(Array.from((await clone.data()) as Float32Array)).toEqual(before);
    expect(Array.from((await params.w.data()) as Float32Array)).not.toEqual(before);
    clone.dispose();
    adam.dispose();
    Object.values(params).forEach((p) => p.dispose());
  });
});
