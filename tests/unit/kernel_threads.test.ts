// The lab's kernel threads (kernels/wasm_threads.ts) on a shared memory, with Node's worker_threads standing in for
// the tab's workers: products cut into parts by batch entries or by 4-row tiles (ragged rows, fewer rows than
// threads, one batch entry per thread and fewer entries than threads) give gemm's numbers on one thread to the bit and
// a float64 triple loop's within 2e-6 of the largest value; attention's parts, by rows of the batch, give one
// thread's forward and backward to the bit; many products in a row keep the workers in step; and
// stopping ends them.
import { afterAll, describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { Rng } from '../../src/core/rng';
import { KernelThreads, type KernelWorker } from '../../src/core/kernels/wasm_threads';
import { LAB_KERNELS_SHARED } from '../../src/core/kernels/wasm_kernels_wasm';

const memory = new WebAssembly.Memory({ initial: 64, maximum: 65536, shared: true } as WebAssembly.MemoryDescriptor);
const module = new WebAssembly.Module(Buffer.from(LAB_KERNELS_SHARED, 'base64'));
const kernels = new WebAssembly.Instance(module, { env: { memory } }).exports as Record<string, (...a: number[]) => void>;
const spawned: Worker[] = [];
const spawn = (): KernelWorker => {
  const w = new Worker(new URL('./kernel_thread_node.mjs', import.meta.url));
  spawned.push(w);
  return {
    postMessage: (m) => w.postMessage(m),
    addEventListener: (_, listener) => void w.on('message', (data) => listener({ data })),
    terminate: () => void w.terminate(),
  };
};
let pool: KernelThreads | null = null;
afterAll(() => pool?.stop());

/** C = A·B (A read through strides) per batch entry, in float64. */
function reference(a: Float32Array, b: Float32Array, batch: number, M: number, K: number, N: number, ta: boolean): Float64Array {
  const c = new Float64Array(batch * M * N);
  for (let p = 0; p < batch; p++)
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a[p * M * K + (ta ? k * M + i : i * K + k)] * b[p * K * N + k * N + j];
        c[(p * M + i) * N + j] = s;
      }
  return c;
}

// [batch, M, K, N, A transposed]
const CASES: [number, number, number, number, boolean][] = [
  [1, 37, 300, 21, false], // rows by tiles: 10 tiles over 3 threads, the last ragged
  [1, 6, 40, 9, true], // 2 tiles for 3 threads: one thread has none
  [1, 2, 5, 3, false], // one tile
  [3, 5, 33, 12, false], // a batch entry each
  [7, 9, 17, 8, true], // 7 entries over 3 threads
  [2, 13, 20, 10, false], // fewer entries than threads: rows within each
];

describe('kernel threads', () => {
  it('start three threads on a shared memory, and cut products into parts that give one thread\'s numbers to the bit', async () => {
    pool = await KernelThreads.start(3, spawn, memory, module, kernels, 64);
    expect(pool.size).toBe(3);
    const rng = new Rng(9);
    const f32 = () => new Float32Array(memory.buffer);
    for (const [batch, M, K, N, ta] of CASES) {
      const label = JSON.stringify([batch, M, K, N, ta]);
      const av = Float32Array.from({ length: batch * M * K }, () => rng.normal());
      const bv = Float32Array.from({ length: batch * K * N }, () => rng.normal());
      const [a, b] = [1024, 1024 + av.length * 4];
      const [c1, cn] = [b + bv.length * 4, b + bv.length * 4 + batch * M * N * 4];
      f32().set(av, a / 4);
      f32().set(bv, b / 4);
      f32().fill(Number.NaN, c1 / 4, cn / 4 + batch * M * N); // every output element must be written
      const [ars, acs] = ta ? [1, M] : [K, 1];
      kernels.gemm(a, b, c1, batch, M, K, N, M * K, K * N, ars, acs);
      pool.run('gemm_part', [a, b, cn, batch, M, K, N, M * K, K * N, ars, acs]);
      const one = f32().slice(c1 / 4, c1 / 4 + batch * M * N);
      const parts = f32().slice(cn / 4, cn / 4 + batch * M * N);
      expect(Array.from(parts), label).toEqual(Array.from(one));
      const want = reference(av, bv, batch, M, K, N, ta);
      const scale = Math.max(1, ...Array.from(want, Math.abs));
      for (let i = 0; i < want.length; i++) expect(Math.abs(parts[i] - want[i]), label).toBeLessThanOrEqual(2e-6 * scale);
    }
  }, 60_000);

  it('run attention forward and backward by rows of the batch, to one thread\'s numbers to the bit', () => {
    expect(pool).not.toBeNull();
    const [B, N, H, d] = [5, 7, 2, 8]; // 5 rows over 3 threads
    const rng = new Rng(4);
    const f32 = () => new Float32Array(memory.buffer);
    const size = { qkv: B * N * 3 * d, y: B * N * d, p: B * H * N * N, ds: 3 * N * N };
    let next = 1 << 16;
    const alloc = (n: number) => ((next += n * 4), next - n * 4);
    const [qkv, dout] = [alloc(size.qkv), alloc(size.y)];
    f32().set(Float32Array.from({ length: size.qkv }, () => rng.normal()), qkv / 4);
    f32().set(Float32Array.from({ length: size.y }, () => rng.normal()), dout / 4);
    const one = { y: alloc(size.y), p: alloc(size.p), dq: alloc(size.qkv), ds: alloc(size.ds) };
    const parts = { y: alloc(size.y), p: alloc(size.p), dq: alloc(size.qkv), ds: alloc(size.ds) };
    f32().fill(Number.NaN, parts.y / 4, next / 4); // every output element must be written
    kernels.attention_forward(qkv, one.y, one.p, B, N, H, d);
    pool!.run('attention_forward_part', [qkv, parts.y, parts.p, B, N, H, d]);
    kernels.attention_backward(dout, qkv, one.p, one.dq, one.ds, B, N, H, d);
    pool!.run('attention_backward_part', [dout, qkv, parts.p, parts.dq, parts.ds, B, N, H, d]);
    const read = (at: number, n: number) => Array.from(f32().slice(at / 4, at / 4 + n));
    expect(read(parts.y, size.y)).toEqual(read(one.y, size.y));
    expect(read(parts.p, size.p)).toEqual(read(one.p, size.p));
    expect(read(parts.dq, size.qkv)).toEqual(read(one.dq, size.qkv));
    expect(read(one.dq, size.qkv).some((x) => x !== 0)).toBe(true);
  });

  it('keep in step over many products, then stop', async () => {
    expect(pool).not.toBeNull();
    const [M, K, N] = [16, 8, 8];
    const f32 = new Float32Array(memory.buffer);
    f32.fill(1, 256, 256 + M * K + K * N);
    for (let r = 0; r < 200; r++) {
      f32[256] = r; // A[0, 0] changes each time: C[0, 0] = r + K − 1
      pool!.run('gemm_part', [256 * 4, (256 + M * K) * 4, 4096, 1, M, K, N, 0, 0, K, 1]); // A at float 256, B after it, C at byte 4096
      expect(f32[4096 / 4]).toBe(r + K - 1);
      expect(f32[4096 / 4 + (M - 1) * N]).toBe(K); // a row another thread computes
    }
    const exits = spawned.map((w) => new Promise<number>((res) => w.once('exit', res)));
    pool!.stop();
    await Promise.all(exits);
    expect(pool!.size).toBe(1);
  }, 60_000);
});
