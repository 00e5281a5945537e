// The lab's kernel threads: more cores for the lab's wasm kernels, on tfjs-wasm's shared heap.
//
// tfjs-wasm 4.22's threaded build gives the page a shared heap (a cross-origin-isolated page), but its own thread pool
// starts no thread in Chromium (README "Threads in the tab"). The lab's kernels need none of it: they are pure
// functions of addresses in that heap. So here n − 1 workers each instantiate the lab's module on the same shared
// memory and wait on a control block in the heap; a product big enough to share is cut into n parts (whole batch
// entries, or runs of 4-row tiles: assembly/gemm.ts gemm_part), the calling thread runs part 0 and the workers the
// others, and the caller waits until all are done; attention likewise by whole rows of the batch. Each element is computed as one thread would: the same numbers
// to the bit. Hosts supply the workers (the tab: src/worker/kernel_thread.worker.ts; tests: Node's worker_threads),
// which run kernelThread() below.

/** The control block: 32 int32s in the heap. */
const GENERATION = 0; // bumped for each job (and to stop)
const DONE = 1; // parts finished by the workers
const JOB = 2; // the export to run: an index into PARTED, −1 stop
const PARTS = 3; // n
const ARGS = 4; // the export's arguments after (t, n)
const SLOTS = 32;
/** The module's exports that run part t of n of a kernel (each takes t, n, then the kernel's own arguments). */
const PARTED = ['gemm_part', 'attention_forward_part', 'attention_backward_part'] as const;
export type PartedKernel = (typeof PARTED)[number];

/** Products below this many multiply-adds run on the calling thread alone: waking a worker costs more. */
export const MIN_SHARED_WORK = 1 << 20;

/** What a host's worker is to the pool: messages both ways, and an end. */
export interface KernelWorker {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (e: { data: unknown }) => void): void;
  terminate(): void;
}

/** What a kernel thread is sent first. */
export interface KernelThreadInit {
  memory: WebAssembly.Memory;
  module: WebAssembly.Module;
  /** The control block's byte address. */
  control: number;
  /** This thread's part (1 … n − 1; the caller runs part 0). */
  index: number;
}

type Kernels = Record<string, (...args: number[]) => void>;

/** A worker's whole life: instantiate, say ready, then run parts until told to stop. Blocks its thread (Atomics.wait). */
export function kernelThread(init: KernelThreadInit, ready: (message: unknown) => void): void {
  const kernels = new WebAssembly.Instance(init.module, { env: { memory: init.memory } }).exports as unknown as Kernels;
  const ctl = new Int32Array(init.memory.buffer, init.control, SLOTS);
  let seen = Atomics.load(ctl, GENERATION);
  ready({ ready: init.index });
  for (;;) {
    Atomics.wait(ctl, GENERATION, seen);
    const generation = Atomics.load(ctl, GENERATION);
    if (generation === seen) continue;
    seen = generation;
    const job = ctl[JOB];
    if (job < 0) return;
    const n = ctl[PARTS];
    if (init.index < n) kernels[PARTED[job]](init.index, n, ...Array.from(ctl.subarray(ARGS, SLOTS)));
    Atomics.add(ctl, DONE, 1);
    Atomics.notify(ctl, DONE);
  }
}

/** A pool of n − 1 kernel threads on one shared heap, and the calling thread's own instance of the module. */
export class KernelThreads {
  private readonly ctl: Int32Array;

  private constructor(
    private readonly kernels: Kernels,
    private readonly workers: KernelWorker[],
    control: number,
    memory: WebAssembly.Memory,
  ) {
    this.ctl = new Int32Array(memory.buffer, control, SLOTS);
  }

  /** Threads in all, the caller's included. */
  get size(): number {
    return this.workers.length + 1;
  }

  /**
   * Starts `threads` − 1 workers (from `spawn`) on `memory` (shared), the control block at byte address `control`
   * (SLOTS int32s the caller keeps for the pool), and resolves once each has instantiated the module.
   */
  static async start(
    threads: number,
    spawn: () => KernelWorker,
    memory: WebAssembly.Memory,
    module: WebAssembly.Module,
    kernels: Kernels,
    control: number,
  ): Promise<KernelThreads> {
    if (!(memory.buffer instanceof SharedArrayBuffer)) throw new Error('kernel threads need a shared heap (a cross-origin-isolated page, tfjs-wasm\'s threaded build)');
    new Int32Array(memory.buffer, control, SLOTS).fill(0);
    const workers: KernelWorker[] = [];
    try {
      await Promise.all(
        Array.from({ length: threads - 1 }, (_, i) => {
          const worker = spawn();
          workers.push(worker);
          return new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`kernel thread ${i + 1} did not start within 20 s`)), 20_000);
            worker.addEventListener('message', (e) => {
              const data = e.data as { ready?: number; error?: string };
              clearTimeout(timer);
              if (data.error) reject(new Error(`kernel thread ${i + 1}: ${data.error}`));
              else resolve();
            });
            worker.postMessage({ memory, module, control, index: i + 1 } satisfies KernelThreadInit);
          });
        }),
      );
    } catch (e) {
      workers.forEach((w) => w.terminate());
      throw e;
    }
    return new KernelThreads(kernels, workers, control, memory);
  }

  /** `kernel` (a part export of the module) with its arguments after (t, n), in `size` parts at once; returns when all are done. */
  run(kernel: PartedKernel, args: number[]): void {
    const job = PARTED.indexOf(kernel);
    if (job < 0 || args.length > SLOTS - ARGS) throw new Error(`kernel threads: ${kernel} is not a part kernel, or has too many arguments`);
    const n = this.size;
    const ctl = this.ctl;
    ctl[JOB] = job;
    ctl[PARTS] = n;
    ctl.set(args, ARGS);
    Atomics.store(ctl, DONE, 0);
    Atomics.add(ctl, GENERATION, 1);
    Atomics.notify(ctl, GENERATION);
    this.kernels[kernel](0, n, ...args);
    const others = n - 1;
    for (let done = Atomics.load(ctl, DONE); done < others; done = Atomics.load(ctl, DONE)) {
      try {
        Atomics.wait(ctl, DONE, done, 50);
      } catch {
        // a page's main thread may not wait: spin
      }
    }
  }

  /** Stops and ends the workers. */
  stop(): void {
    this.ctl[JOB] = -1;
    Atomics.add(this.ctl, GENERATION, 1);
    Atomics.notify(this.ctl, GENERATION);
    this.workers.forEach((w) => w.terminate());
    this.workers.length = 0;
  }
}
