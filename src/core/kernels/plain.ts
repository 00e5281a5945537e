// The lab's ops written on tfjs's own ops: what every backend runs when the fused kernels do not (cpu, wasm, webgpu
// with them off, a tfjs other than the one they were written for), and the reference the fused kernels are tested
// against. index.ts's `ops` picks between these and the fused ones; callers use `ops`, tests may call these directly.
// Each is the exact sequence of tf ops the model code ran before the fence was built (models/gpt.ts, optim.ts,
// bench/workloads.ts), so the numbers are the same.
import { tf, type Tensor, type Variable } from '../tf';
import type { AdamHyper } from './webgpu_adam';

export type Activation = 'relu' | 'gelu';

/** The width d and heads H of causal attention over B rows of N positions. */
export interface AttentionShape {
  B: number;
  N: number;
  H: number;
  d: number;
}

/** LayerNorm over the last axis with gain g and bias b (eps 1e-5). */
export function layerNorm(x: Tensor, g: Tensor, b: Tensor): Tensor {
  const mean = tf.mean(x, -1, true);
  const xc = tf.sub(x, mean);
  const variance = tf.mean(tf.square(xc), -1, true);
  return tf.add(tf.mul(tf.mul(xc, tf.rsqrt(tf.add(variance, 1e-5))), g), b);
}

export function activation(act: Activation, x: Tensor): Tensor {
  if (act === 'relu') return tf.relu(x);
  // GELU, tanh form (Hendrycks & Gimpel 2016), as GPT-2.
  const inner = tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI));
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
}

/**
 * Token plus position embeddings of ids [B, N] from wte [V, d] and wpe [T, d], positions from `offset`: [B·N, d].
 * A one-hot matmul, so every backend trains it (tfjs-wasm has no gradient for gather).
 */
export function embedding(ids: Tensor, wte: Tensor, wpe: Tensor, offset = 0): Tensor {
  const [B, N] = ids.shape;
  const [V, d] = wte.shape;
  const oneHot = tf.oneHot(tf.reshape(ids, [-1]), V); // [B·N, V]
  const tok = tf.matMul(tf.cast(oneHot, 'float32'), wte); // [B·N, d]
  const pos = tf.slice(wpe, [offset, 0], [N, d]); // [N, d]
  return tf.reshape(tf.add(tf.reshape(tok, [B, N, d]), pos), [B * N, d]);
}

/** x + y·W: the residual stream after a projection. */
export function residual(x: Tensor, y: Tensor, w: Tensor): Tensor {
  return tf.add(x, tf.matMul(y, w));
}

/** Splits [B·N, d] into H heads: [B, H, N, d/H]. */
export function splitHeads(x: Tensor, B: number, N: number, H: number, d: number): Tensor {
  return tf.transpose(tf.reshape(x, [B, N, H, d / H]), [0, 2, 1, 3]);
}

/** The heads [B, H, N, d/H] merged back: [B·N, d]. */
export function mergeHeads(x: Tensor, B: number, N: number, d: number): Tensor {
  return tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [B * N, d]);
}

/** Causal self-attention of qkv [B·N, 3d] with the additive mask [N, N]: the merged heads [B·N, d]. */
export function causalAttention(qkv: Tensor, mask: Tensor, { B, N, H, d }: AttentionShape): Tensor {
  const scale = 1 / Math.sqrt(d / H);
  const [q, k, v] = tf.split(qkv, 3, 1);
  const att = tf.softmax(tf.add(tf.mul(tf.matMul(splitHeads(q, B, N, H, d), splitHeads(k, B, N, H, d), false, true), scale), mask));
  return mergeHeads(tf.matMul(att, splitHeads(v, B, N, H, d)), B, N, d);
}

/** log softmax over the last axis, written out (tf.logSoftmax leaks a tensor on the wasm backend, tfjs 4.22). */
export function logSoftmax(logits: Tensor): Tensor {
  return tf.tidy(() => {
    const max = tf.max(logits, -1, true); // its gradient cancels: d(x − m − log Σe^(x−m)) has no m term
    const shifted = tf.sub(logits, max);
    return tf.sub(shifted, tf.log(tf.sum(tf.exp(shifted), -1, true)));
  });
}

/**
 * Of logits [B, M, V] and the tokens they predict [B, M]: log softmax at each token, and the entropy of each
 * position's distribution, both [B, M] (gpt.ts's tokenStats).
 */
export function tokenStats(logits: Tensor, next: Tensor): { logp: Tensor; entropy: Tensor } {
  const [B, M, V] = logits.shape;
  const logprobs = logSoftmax(logits);
  const picked = tf.cast(tf.oneHot(tf.reshape(next, [-1]), V), 'float32');
  const logp = tf.sum(tf.mul(logprobs, tf.reshape(picked, [B, M, V])), -1);
  const entropy = tf.neg(tf.sum(tf.mul(tf.exp(logprobs), logprobs), -1));
  return { logp, entropy };
}

/** Σ_t mask[b, t]·(tokenStats's logp)[b, t]: each row's log-probability of the tokens the mask [B, M] picks, [B]. */
export function maskedSequenceLogp(logits: Tensor, next: Tensor, mask: Tensor): Tensor {
  return tf.sum(tf.mul(tokenStats(logits, next).logp, mask), -1);
}

/** log softmax(logits)[targets] of logits [B, N, V] and targets [B, N]: [B, N] (the bench's causal-LM terms). */
export function tokenLogp(logits: Tensor, targets: Tensor): Tensor {
  const logprobs = logSoftmax(logits);
  const picked = tf.cast(tf.oneHot(targets, logits.shape[logits.rank - 1]), 'float32'); // [B, N, V]
  return tf.sum(tf.mul(logprobs, picked), -1);
}

/** tokenLogp summed over each row: [B]. */
export function sequenceLogp(logits: Tensor, targets: Tensor): Tensor {
  return tf.tidy(() => tf.sum(tokenLogp(logits, targets), -1));
}

/** One Adam step of parameter p with gradient g and moments m, v (optim.ts's arithmetic); run inside tf.tidy. */
export function adamUpdate(p: Variable, g: Tensor, m: Variable, v: Variable, h: AdamHyper): void {
  m.assign(tf.add(tf.mul(m, h.beta1), tf.mul(g, 1 - h.beta1)));
  v.assign(tf.add(tf.mul(v, h.beta2), tf.mul(tf.square(g), 1 - h.beta2)));
  const update = tf.div(tf.div(m, h.c1), tf.add(tf.sqrt(tf.div(v, h.c2)), h.eps));
  p.assign(tf.sub(p, tf.mul(update, h.lr)));
}
