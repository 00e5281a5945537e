// Token plus position embeddings on the webgpu backend: one dispatch forward, two backward.
//
// gpt.ts writes the lookup as a one-hot matmul (tfjs-wasm has no gradient for gather), then slices the positions
// and adds them: oneHot, cast, matMul, slice, add, and a backward of matMul, sum and pad. Here a thread per output
// element reads wte[id] + wpe[offset + position]; backward, a thread per element of dwte sums dy over the rows
// holding that token, and one per element of dwpe sums dy over the batch at that position (zero outside the
// window). The token ids are integers without a gradient; the backward reads its own saved copy of them, since a
// caller may make ids inside the function it differentiates (the text reward model does), and tf.grads disposes
// such a tensor when the forward pass ends, before any backward runs.
import { tf, type Tensor } from '../tf';
import { runProgram } from './webgpu_program';

/** Embeddings of ids [B, N] (int32) from wte [V, d] and wpe [T, d], positions from `offset`: [B·N, d]. */
export function fusedEmbedding(ids: Tensor, wte: Tensor, wpe: Tensor, offset = 0): Tensor {
  const [B, N] = ids.shape as [number, number];
  const [V, d] = wte.shape as [number, number];
  const T = wpe.shape[0] as number;
  const ints = { n: N, d, offset, rows: B * N };
  const f = tf.customGrad((te, pe, save) => {
    (save as (ts: Tensor[]) => void)([ids]);
    return {
      value: runProgram(
        {
          key: 'embed',
          inputs: ['Ids', 'Wte', 'Wpe'],
          outputShape: [B * N, d],
          threads: B * N * d,
          ints,
          body: `
            let r = index / uniforms.d;
            let c = index % uniforms.d;
            let pos = uniforms.offset + r % uniforms.n;
            result[index] = Wte[Ids[r] * uniforms.d + c] + Wpe[pos * uniforms.d + c];`,
        },
        [ids, te as Tensor, pe as Tensor],
      ),
      gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => [
        runProgram(
          {
            key: 'embed_dwte',
            inputs: ['Ids', 'Dy'],
            outputShape: [V, d],
            threads: V * d,
            ints,
            body: `
              let v = index / uniforms.d;
              let c = index % uniforms.d;
              var s = 0.0;
              for (var r = 0; r < uniforms.rows; r++) {
                if (Ids[r] == v) { s += Dy[r * uniforms.d + c]; }
              }
              result[index] = s;`,
          },
          [saved[0], dy as Tensor],
        ),
        runProgram(
          {
            key: 'embed_dwpe',
            inputs: ['Dy'],
            outputShape: [T, d],
            threads: T * d,
            ints,
            body: `
              let t = index / uniforms.d - uniforms.offset;
              let c = index % uniforms.d;
              var s = 0.0;
              if (t >= 0 && t < uniforms.n) {
                for (var b = 0; b < uniforms.rows / uniforms.n; b++) { s += Dy[(b * uniforms.n + t) * uniforms.d + c]; }
              }
              result[index] = s;`,
          },
          [dy as Tensor],
        ),
      ],
    };
  });
  return f(wte, wpe) as Tensor;
}
