// A faster gradient of 2-D matMul on the wasm backend, the same numbers up to float rounding.
//
// tfjs-wasm 4.22 sends a matMul to XNNPACK only when neither operand is transposed and there is no batch
// (batch_mat_mul_impl.cc: `!transpose_a && !transpose_b && a_batch == 1 && b_batch == 1`); everything else runs a
// scalar triple loop. tfjs-core's gradient of C = A·B is dA = matMul(dY, B, false, true) and
// dB = matMul(A, dY, true, false): both transposed, so every backward matmul of a linear layer takes the slow loop
// (tf.profile of a gpt-tiny step: ~27 ms for a [1536×64]·[64×256] product there, ~3 ms for the forward's).
// Here B is transposed first (a Transpose kernel: one pass over memory) and the product is a plain one; A is too
// when tfjs-wasm's own BatchMatMul runs, while the lab's (wasm_batch_matmul.ts) reads a transposed A through strides
// and takes dB = Aᵀ·dY as it is. Other backends, and batched or transposed products, keep tfjs-core's gradient.
import { tf, type Tensor } from '../tf';
import { wasmBatchMatMulOn } from './wasm_batch_matmul';

type GradFunc = (dy: Tensor | Tensor[], saved: Tensor[], attrs: Record<string, unknown>) => Record<string, () => Tensor>;
interface GradConfig {
  kernelName: string;
  inputsToSave?: string[];
  gradFunc: GradFunc;
}

/** tfjs-core's own gradient, kept while ours is registered. */
let original: GradConfig | null = null;

/**
 * With `on`, replaces BatchMatMul's gradient (registered for every backend; only wasm's 2-D, untransposed case
 * changes); with `on` false, puts tfjs-core's back. Idempotent.
 */
export function useWasmMatMulGradient(on = true): void {
  if (!on) {
    if (original) tf.registerGradient(original as unknown as Parameters<typeof tf.registerGradient>[0]);
    original = null;
    return;
  }
  if (original) return;
  const core = tf.getGradient('BatchMatMul') as unknown as GradConfig | undefined;
  if (!core) throw new Error('tfjs has no BatchMatMul gradient to wrap');
  original = core;
  const config: GradConfig = {
    kernelName: 'BatchMatMul',
    inputsToSave: core.inputsToSave,
    gradFunc: (dy, saved, attrs) => {
      const [a, b] = saved;
      const grad = dy as Tensor;
      if (tf.getBackend() !== 'wasm' || a.rank !== 2 || b.rank !== 2 || attrs.transposeA || attrs.transposeB) {
        return core.gradFunc(dy, saved, attrs);
      }
      return {
        a: () => tf.matMul(grad, tf.transpose(b)),
        b: () => (wasmBatchMatMulOn() ? tf.matMul(a, grad, true, false) : tf.matMul(tf.transpose(a), grad)),
      };
    },
  };
  tf.registerGradient(config as unknown as Parameters<typeof tf.registerGradient>[0]); // overrides (warns only with DEBUG)
}

/** Whether our gradient is registered now. */
export function wasmMatMulGradientOn(): boolean {
  return original !== null;
}
