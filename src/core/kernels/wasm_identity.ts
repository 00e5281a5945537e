// Identity without a copy on the wasm backend, as tfjs's cpu and webgpu backends have it.
//
// tfjs-wasm 4.22's Identity allocates a buffer and copies its input; the engine runs it for every tensor the
// gradient tape saves for the backward (tf.clone of each saved input and output), so a gpt-tiny step made ~130 copies
// (11–19 ms) and held a second copy of every saved activation until the backward ran (gpt-small's peak heap). Here
// Identity hands back its input's buffer with one more reference (incRef), as the cpu backend does; tensors are
// immutable, and the lab's one kernel that writes in place (Adam, wasm_adam.ts) writes only a buffer with a single
// reference. Kernels of tfjs-wasm that call its identity() directly keep copying.
import { WasmKernelSwap, type TensorInfo } from './wasm_program';

type Args = { inputs: { x: TensorInfo }; backend: unknown };
interface RefCounting {
  incRef(dataId: object): void;
}

const swap = new WasmKernelSwap<Args>('Identity', (args, original) => {
  const { x } = args.inputs;
  if (x.dtype === 'string') return original(args);
  (args.backend as RefCounting).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
});

/** With `on`, the wasm backend's Identity shares its input's buffer; off, tfjs-wasm's copy again. Idempotent; a no-op without wasm. */
export function useWasmAliasIdentity(on = true): void {
  swap.use(on);
}
