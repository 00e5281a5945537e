// The wasm backend's matMul through the lab's SIMD product (kernels/assembly/gemm.ts, wasm_batch_matmul.ts): products
// of every layout a GPT takes (plain 2-D, attention's batches, transposes on either side, broadcast batches, ragged
// sizes, sums longer than one k-slice) against a float64 triple loop written here, a GPT's gradients against
// tfjs-wasm's own kernel, nothing left behind in the wasm heap, tfjs's kernel back when turned off; the shipped bytes
// are the built source; and the variant for a shared heap (tfjs-wasm's threaded build) multiplies in a shared memory
// as the triple loop does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '@tensorflow/tfjs-backend-wasm';
import { tf } from '../../src/core/tf';
import { Rng } from '../../src/core/rng';
import { makeParams, disposeParams } from '../../src/core/models/params';
import { referenceWeights } from '../../src/core/bench/workloads';
import { useWasmBatchMatMul, wasmBatchMatMulOn } from '../../src/core/kernels/wasm_batch_matmul';
import { LAB_KERNELS, LAB_KERNELS_RELAXED, LAB_KERNELS_RELAXED_SHARED, LAB_KERNELS_SHARED } from '../../src/core/kernels/wasm_kernels_wasm';
import { setFlagsFromString } from 'node:v8';
import { compileKernels } from '../../scripts/asc';
import { SMALL_GPT, expectGradsClose, lmGrads } from './wasm_gpt';

beforeAll(async () => {
  expect(await tf.setBackend('wasm')).toBe(true);
  await tf.ready();
});
afterAll(() => useWasmBatchMatMul(false));

/** The ids of a WebAssembly module's sections, in order (each: an id byte, a LEB128 length, the contents). */
function sectionIds(bytes: Uint8Array): number[] {
  const ids: number[] = [];
  let at = 8; // magic and version
  while (at < bytes.length) {
    ids.push(bytes[at++]);
    let length = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = bytes[at++];
      length |= (byte & 0x7f) << shift;
      if (!(byte & 0x80)) break;
    }
    at += length;
  }
  return ids;
}

const size = (s: number[]) => s.reduce((x, y) => x * y, 1);

/** C = op(A)·op(B) per batch entry (batch shapes equal, or one of them a single entry), in float64. */
function reference(a: Float32Array, sa: number[], b: Float32Array, sb: number[], ta: boolean, tb: boolean): Float64Array {
  const [ra, rb] = [sa.length, sb.length];
  const M = ta ? sa[ra - 1] : sa[ra - 2];
  const K = ta ? sa[ra - 2] : sa[ra - 1];
  const N = tb ? sb[rb - 2] : sb[rb - 1];
  const [ba, bb] = [size(sa.slice(0, -2)), size(sb.slice(0, -2))];
  const batch = Math.max(ba, bb);
  const c = new Float64Array(batch * M * N);
  for (let p = 0; p < batch; p++) {
    const ao = (ba > 1 ? p : 0) * M * K;
    const bo = (bb > 1 ? p : 0) * K * N;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a[ao + (ta ? k * M + i : i * K + k)] * b[bo + (tb ? j * K + k : k * N + j)];
        c[(p * M + i) * N + j] = s;
      }
    }
  }
  return c;
}

// [a shape, b shape, transposeA, transposeB]
const CASES: [number[], number[], boolean, boolean][] = [
  [[8, 4, 24, 8], [8, 4, 24, 8], false, true], // attention scores q·kᵀ
  [[8, 4, 24, 24], [8, 4, 24, 8], false, false], // weighted values p·v
  [[8, 4, 24, 24], [8, 4, 24, 8], true, false], // their gradient pᵀ·dy
  [[8, 4, 24, 8], [8, 4, 24, 8], true, false],
  [[3, 5, 37], [3, 37, 21], false, false], // 21 columns: 16 at a time, 4 at a time, then one
  [[3, 37, 5], [3, 21, 37], true, true],
  [[1, 5, 7], [4, 7, 19], false, false], // a single A for every B
  [[2, 3, 5, 7], [7, 9], false, false], // a 2-D B for every A
  [[5, 7], [9, 7], false, true], // 2-D and transposed
  [[6, 0, 4], [6, 4, 3], false, false], // empty
  [[37, 300], [300, 21], false, false], // plain 2-D: rows 4 at a time then one; k in two slices
  [[300, 6], [300, 13], true, false], // a weight's gradient xᵀ·dy, read through strides
  [[9, 13], [8, 13], false, true], // an input's gradient dy·Wᵀ
  [[2, 0], [0, 5], false, false], // an empty sum: zeros
];

describe('useWasmBatchMatMul', () => {
  it('ships the bytes its AssemblyScript source builds to, a module that imports only its memory', async () => {
    expect(Buffer.from(await compileKernels()).toString('base64')).toBe(LAB_KERNELS);
    expect(Buffer.from(await compileKernels({ shared: true })).toString('base64')).toBe(LAB_KERNELS_SHARED);
    expect(Buffer.from(await compileKernels({ relaxed: true })).toString('base64')).toBe(LAB_KERNELS_RELAXED);
    expect(Buffer.from(await compileKernels({ relaxed: true, shared: true })).toString('base64')).toBe(LAB_KERNELS_RELAXED_SHARED);
    const mod = new WebAssembly.Module(Buffer.from(LAB_KERNELS, 'base64'));
    expect(WebAssembly.Module.imports(mod)).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
    // No data section (id 11): its segments would be written into tfjs-wasm's heap at instantiation
    const ids = sectionIds(Buffer.from(LAB_KERNELS, 'base64'));
    expect(ids).toContain(10); // code
    expect(ids).not.toContain(11);
  }, 60_000);

  it.each([
    ['plain SIMD', LAB_KERNELS, LAB_KERNELS_SHARED],
    ['relaxed SIMD (fused multiply-adds)', LAB_KERNELS_RELAXED, LAB_KERNELS_RELAXED_SHARED],
  ])('multiplies in a shared memory (the threaded build\'s heap) with the %s shared variant, which the plain one cannot import', (_, plainB64, sharedB64) => {
    setFlagsFromString('--experimental-wasm-relaxed-simd'); // Node 20 has relaxed SIMD behind this flag (the CLI sets it)
    const decode = (b64: string) => new WebAssembly.Module(Buffer.from(b64, 'base64'));
    // tfjs-wasm's threaded heap: shared, with a maximum of 4 GB (65536 pages); a smaller one here.
    const memory = new WebAssembly.Memory({ initial: 2, maximum: 1024, shared: true } as WebAssembly.MemoryDescriptor);
    expect(memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(() => new WebAssembly.Instance(decode(plainB64), { env: { memory } })).toThrow();
    const gemm = new WebAssembly.Instance(decode(sharedB64), { env: { memory } }).exports.gemm as (...args: number[]) => void;
    // [3, 5, 290]ᵀ-A (stored [3, 290, 5]) times B [3, 290, 21]: a transposed, batched product with a ragged N, k in two slices.
    const [batch, M, K, N] = [3, 5, 290, 21];
    const rng = new Rng(5);
    const av = Float32Array.from({ length: batch * K * M }, () => rng.normal());
    const bv = Float32Array.from({ length: batch * K * N }, () => rng.normal());
    const f32 = new Float32Array(memory.buffer);
    const [a, b, c] = [64, 64 + av.length * 4, 64 + (av.length + bv.length) * 4];
    f32.set(av, a / 4);
    f32.set(bv, b / 4);
    gemm(a, b, c, batch, M, K, N, M * K, K * N, 1, M);
    const got = f32.slice(c / 4, c / 4 + batch * M * N);
    const want = reference(av, [batch, K, M], bv, [batch, K, N], true, false);
    const scale = Math.max(...want.map(Math.abs));
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(2e-6 * scale);
  });

  it('multiplies every layout as a float64 triple loop does, within 2e-6 of the largest value, leaving nothing behind', async () => {
    useWasmBatchMatMul(true);
    expect(wasmBatchMatMulOn()).toBe(true);
    const rng = new Rng(11);
    for (const [sa, sb, ta, tb] of CASES) {
      const label = JSON.stringify([sa, sb, ta, tb]);
      const av = Float32Array.from({ length: size(sa) }, () => rng.normal());
      const bv = Float32Array.from({ length: size(sb) }, () => rng.normal());
      const [a, b] = [tf.tensor(av, sa), tf.tensor(bv, sb)];
      const tensors = tf.memory().numTensors;
      const ids = tf.engine().backend.numDataIds();
      const c = tf.matMul(a, b, ta, tb);
      const got = (await c.data()) as Float32Array;
      const want = reference(av, sa, bv, sb, ta, tb);
      expect(got.length, label).toBe(want.length);
      const scale = Math.max(1, ...Array.from(want, Math.abs));
      let diff = 0;
      for (let i = 0; i < want.length; i++) diff = Math.max(diff, Math.abs(got[i] - want[i]));
      expect(diff / scale, label).toBeLessThan(2e-6);
      c.dispose();
      expect(tf.memory().numTensors, label).toBe(tensors);
      expect(tf.engine().backend.numDataIds(), label).toBe(ids); // the transposed B it made is freed
      tf.dispose([a, b]);
    }
  });

  it("gives a GPT's gradients as tfjs-wasm's kernel does, within 1e-5 of the largest", async () => {
    const p = makeParams(referenceWeights(SMALL_GPT, 'lm', new Rng(1)));
    useWasmBatchMatMul(false);
    const theirs = await lmGrads(SMALL_GPT, p);
    const before = tf.memory().numTensors;
    useWasmBatchMatMul(true);
    const ours = await lmGrads(SMALL_GPT, p);
    expect(tf.memory().numTensors).toBe(before);
    expectGradsClose(ours, theirs, 1e-5);
    disposeParams(p);
  });

  it("turns off to tfjs-wasm's own kernel", () => {
    useWasmBatchMatMul(true);
    const ours = tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc;
    useWasmBatchMatMul(false);
    expect(wasmBatchMatMulOn()).toBe(false);
    const theirs = tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc;
    expect(theirs).not.toBe(ours);
    useWasmBatchMatMul(true);
    useWasmBatchMatMul(true); // idempotent
    expect(tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc).toBe(ours);
    useWasmBatchMatMul(false);
    expect(tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc).toBe(theirs);
  });
});
