// log softmax(logits)[target] and the entropy of softmax(logits), per position, on the wasm backend: one call into
// the lab's kernels (assembly/token_logp.ts, SIMD over the V tokens) each way for each, where tf ops take max, sub,
// exp, sum, log, sub, then oneHot, cast, mul and sum to pick the target, and the tape's backward of each.
// d log p_t / dx_j = 1[j = t] − p_j; dH/dx_j = −p_j (log p_j + H). The targets are integers: they take no gradient
// (zeros, should anything ask). webgpu_token_logp.ts is the same on webgpu.
import { tf, type Tensor } from '../tf';
import { runWasm } from './wasm_program';
import { wasmOp } from './wasm_op';

/** Rows and width of logits [..., V]. */
const rowsOf = (x: Tensor): [number, number] => {
  const V = x.shape[x.rank - 1];
  return [V ? x.size / V : 0, V];
};

const tokenLogp = wasmOp({
  name: 'LabTokenLogp',
  forward: ({ logits, targets }) => {
    const [R, V] = rowsOf(logits);
    return { reads: [logits, targets], shape: targets.shape, call: (k, [xa, ta], oa) => k.token_logp_forward(xa, ta, oa, R, V) };
  },
  save: ['logits', 'targets'],
  gradient: (dy, [logits, targets]) => {
    const [R, V] = rowsOf(logits);
    return {
      logits: () => runWasm([dy, logits, targets], [{ shape: logits.shape }], (k, [dya, xa, ta], [dxa]) => k.token_logp_backward(dya, xa, ta, dxa, R, V))[0],
      targets: () => tf.zeros(targets.shape),
    };
  },
});

const entropy = wasmOp({
  name: 'LabEntropy',
  forward: ({ logits }) => {
    const [R, V] = rowsOf(logits);
    return { reads: [logits], shape: logits.shape.slice(0, -1), call: (k, [xa], oa) => k.entropy_forward(xa, oa, R, V) };
  },
  save: ['logits'],
  gradient: (dy, [logits]) => {
    const [R, V] = rowsOf(logits);
    return { logits: () => runWasm([dy, logits], [{ shape: logits.shape }], (k, [dya, xa], [dxa]) => k.entropy_backward(dya, xa, dxa, R, V))[0] };
  },
});

/** log π(targets | ·) from float32 logits [..., V] and int32 targets [...]: [...], on wasm. */
export function wasmTokenLogp(logits: Tensor, targets: Tensor): Tensor {
  return tokenLogp({ logits, targets });
}

/** Entropy −Σ_j p_j log p_j of softmax(logits) per row of float32 logits [..., V]: [...], on wasm. */
export function wasmEntropy(logits: Tensor): Tensor {
  return entropy({ logits });
}
