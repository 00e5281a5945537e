// Every float32 matMul on the wasm backend through the lab's SIMD product (assembly/gemm.ts, in tfjs-wasm's own heap).
//
// tfjs-wasm 4.22 sends a product to XNNPACK only when it is 2-D and untransposed (wasm_matmul_grad.ts's note); a
// batched one, as attention's scores and weighted values are ([B, H, N, dh] by [B, H, dh, N], and their gradients),
// runs a scalar triple loop: on gpt-tiny a third of a training step. This replaces the wasm BatchMatMul kernel with
// one that hands every float32 product whose batches broadcast simply to the lab's kernel, a blocked product (4×8
// tiles of C in registers, k in slices that keep a panel of B in cache): as fast as XNNPACK on a layer's forward
// product and faster on the backward's long sums (gpt-tiny lm: dW = xᵀ·dy, k = 2048 tokens, 19 ms → 10 ms), and it
// reads a transposed A through strides, so the weight gradient needs no Transpose. A transposed B is transposed first
// (one Transpose kernel, a pass over memory). No copies: the kernel imports the backend's memory.
// Same numbers up to float rounding (the k-sums run in order, in f32): tests/unit/wasm_batch_matmul.test.ts.
import { tf } from '../tf';
import { kernelThreadsOf, labKernelsFor, WasmKernelSwap, type TensorInfo, type WasmBackend } from './wasm_program';
import { MIN_SHARED_WORK } from './wasm_threads';

type Args = { inputs: Record<string, TensorInfo>; backend: unknown; attrs: Record<string, unknown> };

function batchMatMul(args: Args, orig: (args: Args) => TensorInfo | TensorInfo[]): TensorInfo | TensorInfo[] {
  const { a, b } = args.inputs;
  const transposeA = Boolean(args.attrs.transposeA);
  const transposeB = Boolean(args.attrs.transposeB);
  const backend = args.backend as WasmBackend;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const batchA = tf.util.sizeFromShape(a.shape.slice(0, -2));
  const batchB = tf.util.sizeFromShape(b.shape.slice(0, -2));
  // A batch broadcasts when its entries all match or one side has a single one (tfjs's general broadcasting of
  // batch shapes, say [2, 1] against [1, 3], goes to the original kernel).
  const broadcastable = batchA === batchB || batchA === 1 || batchB === 1;
  const outer = broadcastable ? tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2)) : [];
  const bmm = a.dtype === 'float32' && b.dtype === 'float32' && broadcastable ? (labKernelsFor(backend)?.gemm ?? null) : null;
  if (!bmm) return orig(args);
  const M = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const K = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const N = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  // B as [batch, K, N], row-major
  let bKN = b;
  if (transposeB) {
    const perm = [...b.shape.keys()];
    [perm[rb - 2], perm[rb - 1]] = [perm[rb - 1], perm[rb - 2]];
    bKN = tf.getKernel('Transpose', 'wasm')!.kernelFunc({ inputs: { x: b }, backend, attrs: { perm } } as never) as unknown as TensorInfo;
  }
  const batch = Math.max(batchA, batchB);
  const out = backend.makeOutput([...outer, M, N], 'float32');
  const at = (x: TensorInfo) => backend.dataIdMap.get(x.dataId)!.memoryOffset;
  // A's element (i, k) sits at i·ars + k·acs in its batch entry: transposed, A is stored [K, M]
  const [ars, acs] = transposeA ? [1, M] : [K, 1];
  const gemmArgs = [at(a), at(bKN), at(out), batch, M, K, N, batchA > 1 ? M * K : 0, batchB > 1 ? K * N : 0, ars, acs];
  // Shared among the kernel threads where they run and the product is big enough (wasm_threads.ts)
  const threads = batch * M * K * N >= MIN_SHARED_WORK ? kernelThreadsOf(backend) : null;
  if (threads) threads.run('gemm_part', gemmArgs);
  else bmm(...gemmArgs);
  if (bKN !== b) backend.disposeData(bKN.dataId);
  return out;
}

const swap = new WasmKernelSwap<Args>('BatchMatMul', batchMatMul);

/**
 * With `on`, the wasm backend's BatchMatMul runs float32 products through the lab's SIMD kernel; with `on` false,
 * tfjs-wasm's own kernel again. Idempotent; a no-op where the wasm backend is not registered.
 */
export function useWasmBatchMatMul(on = true): void {
  swap.use(on);
}

/** Whether our kernel is registered now. */
export function wasmBatchMatMulOn(): boolean {
  return swap.on;
}
