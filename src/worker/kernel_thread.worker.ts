// One of the lab's kernel threads (core/kernels/wasm_threads.ts): started by the lab's worker on a cross-origin-
// isolated page, it instantiates the lab's wasm module on tfjs-wasm's shared heap and runs its parts of each product
// until the lab stops it.
import { kernelThread, type KernelThreadInit } from '../core/kernels/wasm_threads';

self.onmessage = (e: MessageEvent<KernelThreadInit>) => {
  try {
    kernelThread(e.data, (m) => postMessage(m));
  } catch (err) {
    postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
};
