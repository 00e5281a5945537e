// Batched and transposed matMul on the wasm backend through a SIMD kernel of our own (wasm_batch_matmul.wat).
//
// tfjs-wasm 4.22 sends a product to XNNPACK only when it is 2-D and untransposed (wasm_matmul_grad.ts's note); a
// batched one, as attention's scores and weighted values are ([B, H, N, dh] by [B, H, dh, N], and their gradients),
// runs a scalar triple loop: on gpt-tiny a third of a training step. This replaces the wasm BatchMatMul kernel with
// one that hands those products to a 724-byte WebAssembly SIMD program working in tfjs-wasm's own heap (no copies:
// the program imports the backend's memory) and leaves every other product to the original kernel. A transposed B
// is transposed first (one Transpose kernel, a pass over memory); a transposed A is read through strides.
// Same numbers up to float rounding (the k-sums run in order, in f32): tests/unit/wasm_batch_matmul.test.ts.
import { tf } from '../tf';
import { WASM_BATCH_MATMUL, WASM_BATCH_MATMUL_SHARED } from './wasm_batch_matmul_wasm';

type TensorInfo = { dataId: object; shape: number[]; dtype: string };
type KernelFunc = (args: { inputs: Record<string, TensorInfo>; backend: unknown; attrs: Record<string, unknown> }) => TensorInfo;
type KernelConfig = { kernelName: string; backendName: string; kernelFunc: KernelFunc; setupFunc?: (backend: unknown) => void };

interface WasmBackend {
  wasm: { asm: { memory: WebAssembly.Memory } };
  dataIdMap: { get(dataId: object): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: string): TensorInfo;
  disposeData(dataId: object): void;
}

type Bmm = (a: number, b: number, c: number, batch: number, M: number, K: number, N: number, sab: number, sbb: number, ars: number, acs: number) => void;

/** tfjs-wasm's own kernel, kept while ours is registered. */
let original: KernelConfig | null = null;
/** Our program, instantiated against a backend's memory (once per backend instance). */
const programs = new WeakMap<object, Bmm | null>();

function programFor(backend: WasmBackend): Bmm | null {
  if (programs.has(backend)) return programs.get(backend)!;
  let bmm: Bmm | null = null;
  const memory = backend.wasm?.asm?.memory;
  // tfjs-wasm's threaded build (a cross-origin-isolated page) has a shared heap, which imports only into the module
  // built to import a shared memory (the same code); the product then runs on the calling thread. Without SIMD the
  // module does not validate. (A page that is not cross-origin isolated has no SharedArrayBuffer at all.)
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory?.buffer instanceof SharedArrayBuffer;
  if (memory instanceof WebAssembly.Memory) {
    try {
      const bytes = Uint8Array.from(atob(shared ? WASM_BATCH_MATMUL_SHARED : WASM_BATCH_MATMUL), (ch) => ch.charCodeAt(0));
      const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
      bmm = instance.exports.bmm as Bmm;
    } catch {
      bmm = null; // no WebAssembly SIMD here: the original kernel runs every product
    }
  }
  programs.set(backend, bmm);
  return bmm;
}

function batchMatMul(args: Parameters<KernelFunc>[0]): TensorInfo {
  const orig = original!.kernelFunc;
  const { a, b } = args.inputs;
  const transposeA = Boolean(args.attrs.transposeA);
  const transposeB = Boolean(args.attrs.transposeB);
  const backend = args.backend as WasmBackend;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const batchA = tf.util.sizeFromShape(a.shape.slice(0, -2));
  const batchB = tf.util.sizeFromShape(b.shape.slice(0, -2));
  const plain2d = batchA === 1 && batchB === 1 && !transposeA && !transposeB; // XNNPACK's case
  // A batch broadcasts when its entries all match or one side has a single one (tfjs's general broadcasting of
  // batch shapes, say [2, 1] against [1, 3], goes to the original kernel).
  const broadcastable = batchA === batchB || batchA === 1 || batchB === 1;
  const outer = broadcastable ? tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2)) : [];
  const bmm = a.dtype === 'float32' && b.dtype === 'float32' && !plain2d && broadcastable ? programFor(backend) : null;
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
  const at = (x: TensorInfo) => backend.dataIdMap.get(x.dataId).memoryOffset;
  // A's element (i, k) sits at i·ars + k·acs in its batch entry: transposed, A is stored [K, M]
  const [ars, acs] = transposeA ? [1, M] : [K, 1];
  bmm(at(a), at(bKN), at(out), batch, M, K, N, batchA > 1 ? M * K : 0, batchB > 1 ? K * N : 0, ars, acs);
  if (bKN !== b) backend.disposeData(bKN.dataId);
  return out;
}

/**
 * With `on`, the wasm backend's BatchMatMul runs batched and transposed products through our SIMD kernel (2-D
 * untransposed ones still go to XNNPACK); with `on` false, tfjs-wasm's own kernel again. Idempotent; a no-op where the
 * wasm backend is not registered.
 */
export function useWasmBatchMatMul(on = true): void {
  const current = tf.getKernel('BatchMatMul', 'wasm') as unknown as KernelConfig | undefined;
  if (!current) return;
  if (on === (original !== null)) return;
  tf.unregisterKernel('BatchMatMul', 'wasm');
  if (on) {
    original = current;
    tf.registerKernel({ ...current, kernelFunc: batchMatMul } as unknown as Parameters<typeof tf.registerKernel>[0]);
  } else {
    tf.registerKernel(original as unknown as Parameters<typeof tf.registerKernel>[0]);
    original = null;
  }
}

/** Whether our kernel is registered now. */
export function wasmBatchMatMulOn(): boolean {
  return original !== null;
}
