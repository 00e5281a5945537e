// A kernel thread in Node's worker_threads (tests/unit/kernel_threads.test.ts): what src/worker/kernel_thread.worker.ts
// is in the tab. Plain JavaScript that registers tsx, so that the core's TypeScript loads as the CLI's does.
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { kernelThread } = await import('../../src/core/kernels/wasm_threads.ts');
parentPort.once('message', (init) => {
  try {
    kernelThread(init, (m) => parentPort.postMessage(m));
  } catch (e) {
    parentPort.postMessage({ error: e instanceof Error ? e.message : String(e) });
  }
});
