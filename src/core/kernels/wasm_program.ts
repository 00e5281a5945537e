// The lab's WebAssembly kernels (assembly/*.ts, shipped as wasm_kernels_wasm.ts) instantiated against a tfjs-wasm
// backend's own heap, so that they read and write tensors where they lie: no copies. Used by wasm_batch_matmul.ts
// (products) and wasm_ops.ts (layer norm, attention, token log-probabilities, embedding, Adam).
import { tf, type Tensor } from '../tf';
import { KernelThreads, type KernelWorker } from './wasm_threads';
import { LAB_KERNELS, LAB_KERNELS_RELAXED, LAB_KERNELS_RELAXED_SHARED, LAB_KERNELS_SHARED } from './wasm_kernels_wasm';

export type TensorInfo = { dataId: object; shape: number[]; dtype: string };

/** The parts of tfjs-wasm 4.22's BackendWasm the kernels use. */
export interface WasmBackend {
  /** The heap: asm.memory in the single-threaded builds; wasmMemory in the threaded one (it imports its memory). */
  wasm: { asm: { memory?: WebAssembly.Memory }; wasmMemory?: WebAssembly.Memory; _malloc(bytes: number): number };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: string): TensorInfo;
  disposeData(dataId: object): void;
}

/** The backend's heap, where its build keeps it. */
function heapOf(backend: WasmBackend): WebAssembly.Memory | undefined {
  return backend.wasm?.asm?.memory ?? backend.wasm?.wasmMemory;
}

/** The module's exports: every argument an i32 (a byte address or a count) or an f32. */
export type LabKernels = Record<string, (...args: number[]) => void>;

const instances = new WeakMap<object, LabKernels | null>();
const relaxed = new WeakMap<object, boolean>();
const modules = new WeakMap<object, WebAssembly.Module>();
const pools = new WeakMap<object, KernelThreads>();

/** Whether the kernels on this backend were built with relaxed SIMD (fused multiply-adds): for the bench's line. */
export function wasmKernelsRelaxed(backend: WasmBackend): boolean {
  return labKernelsFor(backend) !== null && relaxed.get(backend) === true;
}

/**
 * The kernels on `backend`'s heap (instantiated once per backend), or null where they cannot run: no WebAssembly SIMD
 * (the module does not validate), or a backend without the heap tfjs-wasm 4.22 has. Built with relaxed SIMD where
 * the engine has it (Chromium; Node with --experimental-wasm-relaxed-simd, which the CLI sets), else plain SIMD.
 */
export function labKernelsFor(backend: WasmBackend): LabKernels | null {
  if (instances.has(backend)) return instances.get(backend)!;
  let kernels: LabKernels | null = null;
  const memory = heapOf(backend);
  // tfjs-wasm's threaded build (a cross-origin-isolated page) has a shared heap, which imports only into the module
  // built to import a shared memory (the same code); the kernels then run on the calling thread.
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory?.buffer instanceof SharedArrayBuffer;
  if (memory instanceof WebAssembly.Memory) {
    // Relaxed SIMD first (fused multiply-adds), then plain SIMD; a module the engine cannot compile throws
    for (const b64 of shared ? [LAB_KERNELS_RELAXED_SHARED, LAB_KERNELS_SHARED] : [LAB_KERNELS_RELAXED, LAB_KERNELS]) {
      try {
        const bytes = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
        const module = new WebAssembly.Module(bytes);
        kernels = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as LabKernels;
        modules.set(backend, module);
        relaxed.set(backend, b64 === LAB_KERNELS_RELAXED || b64 === LAB_KERNELS_RELAXED_SHARED);
        break;
      } catch {
        kernels = null; // no WebAssembly SIMD here at all: tfjs's kernels run
      }
    }
  }
  instances.set(backend, kernels);
  return kernels;
}

/** The active backend as tfjs-wasm's, with its kernels, when the active backend is wasm and they run there. */
export function activeWasm(): { backend: WasmBackend; kernels: LabKernels } | null {
  if (tf.getBackend() !== 'wasm') return null;
  const backend = tf.backend() as unknown as WasmBackend;
  const kernels = labKernelsFor(backend);
  return kernels ? { backend, kernels } : null;
}

/** A tensor's byte address in the wasm heap. */
export function addressOf(backend: WasmBackend, t: TensorInfo | Tensor): number {
  const entry = backend.dataIdMap.get((t as TensorInfo).dataId);
  if (!entry) throw new Error('a tensor given to a wasm kernel is not on the wasm backend');
  return entry.memoryOffset;
}

/** Calls into the lab's kernels by runWasm since the start (the bench adds them to a step's kernel count). */
let calls = 0;
export function wasmCalls(): number {
  return calls;
}
/** Counts a call made without runWasm (an update in place). */
export function countWasmCall(): void {
  calls += 1;
}

/**
 * One call into the lab's kernels on the active wasm backend: fresh outputs of the given shapes are allocated in the
 * heap, `kernel` is called with the module, the inputs' byte addresses and the outputs', and the outputs come back
 * as tensors the caller owns (tracked by tf.tidy as any op's). Only where activeWasm() is not null.
 */
export function runWasm(
  inputs: Tensor[],
  outputs: { shape: number[]; dtype?: 'float32' | 'int32' }[],
  kernel: (k: LabKernels, inAt: number[], outAt: number[]) => void,
): Tensor[] {
  const wasm = activeWasm();
  if (!wasm) throw new Error('runWasm: the lab\'s wasm kernels run only on the wasm backend with WebAssembly SIMD');
  const { backend, kernels } = wasm;
  const infos = outputs.map((o) => backend.makeOutput(o.shape, o.dtype ?? 'float32'));
  // Addresses after every allocation: an allocation may grow the heap, never move a tensor.
  kernel(kernels, inputs.map((x) => addressOf(backend, x)), infos.map((x) => addressOf(backend, x)));
  calls += 1;
  return infos.map((info) => tf.engine().makeTensorFromTensorInfo(info as never));
}

/**
 * Starts the lab's kernel threads on the active wasm backend (wasm_threads.ts): `threads` in all, the calling thread
 * included, from workers `spawn` makes (each running kernelThread). Only on a shared heap (tfjs-wasm's threaded build,
 * a cross-origin-isolated page); resolves to the threads the kernels now use (1 where they cannot have more).
 */
export async function startWasmKernelThreads(threads: number, spawn: () => KernelWorker): Promise<number> {
  const wasm = activeWasm();
  if (!wasm || threads < 2) return 1;
  const memory = heapOf(wasm.backend);
  if (!memory || !(memory.buffer instanceof SharedArrayBuffer)) return 1;
  pools.get(wasm.backend)?.stop();
  const control = wasm.backend.wasm._malloc(128); // the pool's control block, kept for the backend's life
  const pool = await KernelThreads.start(threads, spawn, memory, modules.get(wasm.backend)!, wasm.kernels, control);
  pools.set(wasm.backend, pool);
  return pool.size;
}

/** The kernel threads running on `backend` (null: the calling thread alone). */
export function kernelThreadsOf(backend: WasmBackend): KernelThreads | null {
  const pool = pools.get(backend);
  return pool && pool.size > 1 ? pool : null;
}

/** The kernel threads of the active wasm backend, if it has more than the calling one. */
export function activeKernelThreads(): KernelThreads | null {
  const wasm = activeWasm();
  return wasm ? kernelThreadsOf(wasm.backend) : null;
}

type KernelFunc<A> = (args: A) => TensorInfo | TensorInfo[];
type KernelConfig = { kernelName: string; backendName: string; kernelFunc: KernelFunc<never> };

/**
 * One of tfjs-wasm's kernels that the lab replaces while switched on (wasm_batch_matmul.ts, wasm_identity.ts): the
 * replacement gets tfjs-wasm's own kernel function to fall back on; off, tfjs-wasm's own kernel is registered again.
 */
export class WasmKernelSwap<A> {
  private original: KernelConfig | null = null;
  /** The kernel function registered while on (one function for the swap's life). */
  private readonly kernel = (args: A) => this.replacement(args, this.original!.kernelFunc as unknown as KernelFunc<A>);

  constructor(
    private readonly name: string,
    private readonly replacement: (args: A, original: KernelFunc<A>) => TensorInfo | TensorInfo[],
  ) {}

  /** Whether the replacement is registered now. */
  get on(): boolean {
    return this.original !== null;
  }

  /** Registers the replacement (`on`) or tfjs-wasm's own kernel. Idempotent; a no-op where the wasm backend is not registered. */
  use(on: boolean): void {
    const current = tf.getKernel(this.name, 'wasm') as unknown as KernelConfig | undefined;
    if (!current || on === this.on) return;
    tf.unregisterKernel(this.name, 'wasm');
    const register = (config: KernelConfig) => tf.registerKernel(config as unknown as Parameters<typeof tf.registerKernel>[0]);
    if (on) {
      this.original = current;
      register({ ...current, kernelFunc: this.kernel as KernelFunc<never> });
    } else {
      register(this.original!);
      this.original = null;
    }
  }
}
