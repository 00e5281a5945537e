// Adam in place on the wasm backend: one call into the lab's module per parameter (assembly/adam.ts), which rewrites
// θ, m and v where they lie in tfjs-wasm's heap, in place of plain.ts's ~13 tf ops per parameter (each a pass over
// memory and a fresh buffer). The same arithmetic in the same order: the same state to the bit.
import type { Tensor, Variable } from '../tf';
import type { AdamHyper } from './webgpu_adam';
import { activeWasm, addressOf, countWasmCall, type WasmBackend } from './wasm_program';

interface RefCounted {
  refCount(dataId: object): number;
}

/** Whether each tensor is float32 and alone on its buffer (no clone shares it), and no two share one: safe to write in place. */
export function ownsWasmBuffers(backend: WasmBackend, tensors: Tensor[]): boolean {
  const ids = new Set<object>();
  for (const x of tensors) {
    if (x.dtype !== 'float32' || ids.has(x.dataId)) return false;
    if ((backend as unknown as RefCounted).refCount(x.dataId) !== 1) return false;
    ids.add(x.dataId);
  }
  return true;
}

/**
 * One Adam step of p with gradient g and moments m, v, in place when they own their buffers (else false: the caller
 * runs the plain update).
 */
export function wasmAdamInPlace(p: Variable, g: Tensor, m: Variable, v: Variable, h: AdamHyper): boolean {
  const wasm = activeWasm();
  if (!wasm || g.dtype !== 'float32' || g.size !== p.size || !ownsWasmBuffers(wasm.backend, [p, m, v])) return false;
  const at = (x: Tensor) => addressOf(wasm.backend, x);
  wasm.kernels.adam_update(at(p), at(g), at(m), at(v), p.size, h.lr, h.beta1, h.beta2, 1 - h.beta1, 1 - h.beta2, h.c1, h.c2, h.eps);
  countWasmCall();
  return true;
}


