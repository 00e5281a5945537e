// Which tfjs-wasm build the lab's worker trains on, and on how many threads.
//
// tfjs-wasm picks its threaded SIMD build wherever SharedArrayBuffer exists (a cross-origin-isolated page:
// vite.config.ts's headers). Its own thread pool starts no thread in Chromium, but the build's shared heap lets the
// lab's kernel threads share the products and attention (core/kernels/wasm_threads.ts): an isolated page trains on
// one thread per core (at most MAX_THREADS) unless ?threads=N says otherwise; a page that is not isolated, or a bad
// ?threads=, trains on the single-threaded SIMD build.
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { tf } from '../core/tf';
import { startWasmKernelThreads } from '../core/kernels';
import { parseThreadCount } from '../core/backend';

const MAX_THREADS = 8;

/** A kernel thread of the lab's wasm kernels (kernel_thread.worker.ts). */
const spawnKernelThread = () => new Worker(new URL('./kernel_thread.worker.ts', import.meta.url), { type: 'module', name: 'kernel thread' });

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
});

/**
 * Chooses the build and the threads before the wasm backend starts: from ?threads= (`requested`; a bad value is
 * thrown, after choosing the single-threaded build), else one per core on an isolated page. Returns the threads wanted.
 */
export function chooseWasmThreads(requested: string | null): number {
  try {
    const wanted = requested
      ? parseThreadCount(requested)
      : self.crossOriginIsolated && navigator.hardwareConcurrency > 1
        ? Math.min(navigator.hardwareConcurrency, MAX_THREADS)
        : 0;
    if (wanted > 0) setThreadsCount(wanted);
    else tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    return Math.max(wanted, 1);
  } catch (e) {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    throw e;
  }
}

/**
 * Once the wasm backend runs: the threads it trains on, starting the lab's kernel threads where more than one is
 * wanted (only on the threaded build's shared heap; elsewhere it stays at 1). A thread that fails to start is thrown.
 */
export async function startWasmThreads(wanted: number): Promise<number> {
  const threads = getThreadsCount();
  return wanted > 1 ? Math.max(threads, await startWasmKernelThreads(wanted, spawnKernelThread)) : threads;
}
