// One `rlhf-lab bench` line, timed in a browser worker as the lab's worker trains: tfjs-wasm picks its build (threaded
// SIMD where the page is cross-origin isolated), `threads` (0: one per core) before the backend starts, the lab's
// kernels installed as a run installs them, and with `threads` > 1 the lab's kernel threads as the lab starts them.
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { tf } from '../../src/core/tf';
import { selectBackend } from '../../src/core/backend';
import { installKernels, startWasmKernelThreads } from '../../src/core/kernels';

const spawnKernelThread = () => new Worker(new URL('../../src/worker/kernel_thread.worker.ts', import.meta.url), { type: 'module' });
import { benchWorkload } from '../../src/core/bench/measure';

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
});

self.onmessage = async (e: MessageEvent<{ threads: number; workload: string; steps: number; warmup: number }>) => {
  const { threads, workload, steps, warmup } = e.data;
  try {
    if (threads > 0) setThreadsCount(threads);
    await selectBackend('wasm', true);
    installKernels();
    // The lab's kernel threads, as the lab's worker starts them for ?threads=N (a shared heap only)
    const kernelThreads = threads > 1 ? await startWasmKernelThreads(threads, spawnKernelThread) : 1;
    const r = await benchWorkload(workload, { steps, warmup });
    const threadedBuild = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    postMessage({ ...r, threads: getThreadsCount(), kernel_threads: kernelThreads, threaded_build: threadedBuild, cores: navigator.hardwareConcurrency, isolated: crossOriginIsolated });
  } catch (err) {
    postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
};
