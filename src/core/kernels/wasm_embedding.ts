// Token plus position embeddings on the wasm backend: one call into the lab's kernels each way
// (assembly/embedding.ts), where the plain op is a one-hot matmul (tfjs-wasm has no gradient for gather) with oneHot,
// cast, matMul, slice and add, and a backward of matMul, sum and pad. Forward, row b·N + n is wte[id] + wpe[offset + n];
// backward, dwte[v] sums dy's rows of token v and dwpe[offset + n] sums dy over the batch at position n (the other
// rows zero). The ids are integers: they take no gradient (zeros, should anything ask). webgpu_embedding.ts is the
// same on webgpu.
import { tf, type Tensor } from '../tf';
import { runWasm } from './wasm_program';
import { wasmOp } from './wasm_op';

// V and T ride along as attributes: the backward needs the shapes of wte and wpe, not their values.
const embedding = wasmOp({
  name: 'LabEmbedding',
  forward: ({ ids, wte, wpe }, { offset }) => {
    const [B, N] = ids.shape as [number, number];
    const [V, d] = wte.shape as [number, number];
    return { reads: [ids, wte, wpe], shape: [B * N, d], call: (k, [ia, tea, pea], oa) => k.embedding_forward(ia, tea, pea, oa, B, N, V, d, offset) };
  },
  save: ['ids'],
  gradient: (dy, [ids], { offset, V, T }) => {
    const [B, N] = ids.shape as [number, number];
    const d = dy.shape[1] as number;
    const [dwte, dwpe] = runWasm([dy, ids], [{ shape: [V, d] }, { shape: [T, d] }], (k, [dya, ia], [dte, dpe]) =>
      k.embedding_backward(dya, ia, dte, dpe, B, N, V, T, d, offset),
    );
    return { ids: () => tf.zeros(ids.shape), wte: () => dwte, wpe: () => dwpe };
  },
});

/** Embeddings of int32 ids [B, N] from float32 wte [V, d] and wpe [T, d], positions from `offset`: [B·N, d], on wasm. */
export function wasmEmbedding(ids: Tensor, wte: Tensor, wpe: Tensor, offset = 0): Tensor {
  const N = ids.shape[1] as number;
  const T = wpe.shape[0] as number;
  if (!Number.isInteger(offset) || offset < 0 || offset + N > T) {
    throw new Error(`embedding: positions ${offset}…${offset + N - 1} do not fit the ${T} position embeddings; give at most ${T} tokens from offset 0`);
  }
  return embedding({ ids, wte, wpe }, { offset, V: wte.shape[0] as number, T });
}
