// An op of the lab's wasm kernels as a tfjs kernel of its own, registered on the wasm backend with its gradient: the
// engine runs it as any op (the tape records it, tf.profile names it), and the tensors its gradient needs are saved
// by the engine after the kernel has run. (tf.customGrad would save them inside the forward, where tfjs-wasm's
// Identity copies each one into a new buffer and the engine, with IS_TEST set as the lab sets it, takes the copy for
// a leaked buffer.) The forward is the kernel's one call into the module, counted by the engine as a kernel; the
// gradient's go through runWasm, which the bench adds to them.
import { tf, type Tensor } from '../tf';
import { addressOf, labKernelsFor, type LabKernels, type WasmBackend } from './wasm_program';

type Attrs = Record<string, number>;

export interface WasmOp {
  /** The kernel's name, unique to the lab: "Lab" and the op's. */
  name: string;
  /** Of the named inputs: the inputs the call reads in order, the output's shape (float32), and the call. */
  forward(inputs: Record<string, Tensor>, attrs: Attrs): { reads: Tensor[]; shape: number[]; call: (k: LabKernels, inAt: number[], outAt: number) => void };
  /** The inputs the gradient reads, in the order it is handed them. */
  save: string[];
  /** Each differentiated input's gradient, of the output's gradient dy. */
  gradient(dy: Tensor, saved: Tensor[], attrs: Attrs): Record<string, () => Tensor>;
}

/** Registers `op` on the wasm backend (once) and returns a function that runs it through the engine. */
export function wasmOp(op: WasmOp): (inputs: Record<string, Tensor>, attrs?: Attrs) => Tensor {
  let registered = false;
  return (inputs, attrs = {}) => {
    if (!registered && !tf.getKernel(op.name, 'wasm')) {
      tf.registerKernel({
        kernelName: op.name,
        backendName: 'wasm',
        kernelFunc: ({ inputs: given, attrs: a, backend }) => {
          const { reads, shape, call } = op.forward(given as Record<string, Tensor>, a as Attrs);
          const wasm = backend as unknown as WasmBackend;
          const out = wasm.makeOutput(shape, 'float32');
          call(labKernelsFor(wasm)!, reads.map((x) => addressOf(wasm, x)), addressOf(wasm, out));
          return out;
        },
      } as Parameters<typeof tf.registerKernel>[0]);
      tf.registerGradient({
        kernelName: op.name,
        inputsToSave: op.save,
        gradFunc: (dy, saved, a) => op.gradient(dy as Tensor, saved, a as Attrs),
      });
    }
    registered = true;
    return tf.engine().runKernel(op.name, inputs, attrs);
  };
}
