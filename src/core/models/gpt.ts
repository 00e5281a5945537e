// A character-level GPT (Radford et al. 2019, after nanoGPT): learned token and position embeddings,
// pre-LayerNorm blocks of causal self-attention and a 4d-wide MLP, a final LayerNorm and an untied output head.
// Heads on the last hidden state: next-token logits (the policy), a value V(s_t) (PPO's critic) and a scalar
// reward on the last token (the reward model). Embeddings are one-hot matmuls, so every backend trains it
// (tfjs-wasm has no gradient for gather).
import { tf, type Tensor } from '../tf';
import type { Rng } from '../rng';
import type { Params, Weights } from './params';
import { ops, plain } from '../kernels';

export interface GptConfig {
  /** Vocabulary size. */
  V: number;
  /** Context length (positions). */
  T: number;
  /** Width. */
  d: number;
  /** Blocks. */
  L: number;
  /** Attention heads (d must divide by H). */
  H: number;
  act: 'relu' | 'gelu';
}

export type GptHead = 'value' | 'reward';

/** GPT-2's initialization: N(0, 0.02), residual projections scaled by 1/√(2L); heads start near zero. */
export function initGpt(cfg: GptConfig, rng: Rng, heads: readonly GptHead[] = []): Weights {
  if (cfg.d % cfg.H !== 0) throw new Error(`GPT width d=${cfg.d} does not divide into H=${cfg.H} heads`);
  const w: Weights = {};
  const normal = (shape: number[], std: number) => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = std * rng.normal();
    return { shape, data };
  };
  const fill = (shape: number[], v: number) => ({ shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(v) });
  const { V, T, d, L } = cfg;
  const resid = 0.02 / Math.sqrt(2 * L);
  w.wte = normal([V, d], 0.02);
  w.wpe = normal([T, d], 0.01);
  for (let l = 0; l < L; l++) {
    w[`h${l}.ln1.g`] = fill([d], 1);
    w[`h${l}.ln1.b`] = fill([d], 0);
    w[`h${l}.attn.qkv`] = normal([d, 3 * d], 0.02);
    w[`h${l}.attn.proj`] = normal([d, d], resid);
    w[`h${l}.ln2.g`] = fill([d], 1);
    w[`h${l}.ln2.b`] = fill([d], 0);
    w[`h${l}.mlp.fc`] = normal([d, 4 * d], 0.02);
    w[`h${l}.mlp.proj`] = normal([4 * d, d], resid);
  }
  w['lnf.g'] = fill([d], 1);
  w['lnf.b'] = fill([d], 0);
  w.lm_head = normal([d, V], 0.02);
  for (const h of heads) Object.assign(w, initHead(cfg, h, rng));
  return w;
}

/** A fresh scalar head on the backbone: a value head starts at zero, a reward head small. */
export function initHead(cfg: GptConfig, head: GptHead, rng: Rng): Weights {
  const data = new Float32Array(cfg.d);
  if (head === 'reward') for (let i = 0; i < cfg.d; i++) data[i] = rng.normal() / Math.sqrt(cfg.d) * 0.1;
  return { [`${head}.w`]: { shape: [cfg.d, 1], data }, [`${head}.b`]: { shape: [1], data: new Float32Array(1) } };
}

/** The backbone's weights of a set (no value or reward head): what a reward model or policy starts from. */
export function backboneOf(weights: Weights): Weights {
  const out: Weights = {};
  for (const [k, v] of Object.entries(weights)) if (!k.startsWith('value.') && !k.startsWith('reward.')) out[k] = v;
  return out;
}

/** LayerNorm over the last axis, eps 1e-5 (kernels' ops: fused on webgpu, tf ops elsewhere). */
export function layerNorm(x: Tensor, g: Tensor, b: Tensor): Tensor {
  return ops.layerNorm(x, g, b);
}

/** The MLP's activation: ReLU, or GELU in its tanh form (Hendrycks & Gimpel 2016) as GPT-2. */
export function activation(cfg: GptConfig, x: Tensor): Tensor {
  return ops.activation(cfg.act, x);
}

/** [N, N] additive mask: 0 where a position may attend (itself and earlier), −1e9 after. */
export function causalMask(n: number): Tensor {
  const m = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) m[i * n + j] = -1e9;
  return tf.tensor2d(m, [n, n]);
}

/** Token plus position embeddings of ids [B, N] starting at position `offset`: [B·N, d]. */
function embed(cfg: GptConfig, p: Params, ids: Tensor, offset = 0): Tensor {
  return ops.embedding(ids, p.wte, p.wpe, offset);
}

/** Splits [B·N, d] into heads: [B, H, N, dh]. */
function heads(cfg: GptConfig, x: Tensor, B: number, N: number): Tensor {
  return plain.splitHeads(x, B, N, cfg.H, cfg.d);
}

function mergeHeads(cfg: GptConfig, x: Tensor, B: number, N: number): Tensor {
  return plain.mergeHeads(x, B, N, cfg.d);
}

/** Causal self-attention of qkv [B·N, 3d] with the additive mask [N, N], on tf ops: the merged heads [B·N, d]. */
export function attention(cfg: GptConfig, qkv: Tensor, mask: Tensor, B: number, N: number): Tensor {
  return plain.causalAttention(qkv, mask, { B, N, H: cfg.H, d: cfg.d });
}

/** The MLP's inner activations act(LN(x)·W_fc), [B·N, 4d]; its output is these times W_proj (residual below). */
function mlpHidden(cfg: GptConfig, p: Params, l: number, x: Tensor): Tensor {
  const h = layerNorm(x, p[`h${l}.ln2.g`], p[`h${l}.ln2.b`]);
  return activation(cfg, tf.matMul(h, p[`h${l}.mlp.fc`]));
}

/** x + y·W, the residual stream after a block's projection (on webgpu the add is the matmul's epilogue). */
function residual(x: Tensor, y: Tensor, w: Tensor): Tensor {
  return ops.residual(x, y, w);
}

/** The final hidden states of ids [B, N] (int32, N ≤ T): [B, N, d], after the final LayerNorm. */
export function gptHidden(cfg: GptConfig, p: Params, ids: Tensor): Tensor {
  return tf.tidy(() => {
    const [B, N] = ids.shape;
    if (N > cfg.T) throw new Error(`sequence of ${N} tokens is longer than the GPT's context of ${cfg.T}`);
    const mask = causalMask(N);
    let x = embed(cfg, p, ids);
    for (let l = 0; l < cfg.L; l++) {
      const h = layerNorm(x, p[`h${l}.ln1.g`], p[`h${l}.ln1.b`]);
      const qkv = tf.matMul(h, p[`h${l}.attn.qkv`]);
      const y = ops.causalAttention(qkv, mask, { B, N, H: cfg.H, d: cfg.d });
      x = residual(x, y, p[`h${l}.attn.proj`]);
      x = residual(x, mlpHidden(cfg, p, l, x), p[`h${l}.mlp.proj`]);
    }
    return tf.reshape(layerNorm(x, p['lnf.g'], p['lnf.b']), [B, N, cfg.d]);
  });
}

/** log softmax over the last axis, written out (tf.logSoftmax leaks a tensor on the wasm backend, tfjs 4.22). */
export const logSoftmax = plain.logSoftmax;

/** Next-token logits of hidden states [B, N, d]: [B, N, V]. */
export function gptLogits(cfg: GptConfig, p: Params, hidden: Tensor): Tensor {
  return tf.tidy(() => {
    const [B, N] = hidden.shape;
    return tf.reshape(tf.matMul(tf.reshape(hidden, [B * N, cfg.d]), p.lm_head), [B, N, cfg.V]);
  });
}

/** A scalar head on every position: [B, N]. */
export function gptScalarHead(cfg: GptConfig, p: Params, head: GptHead, hidden: Tensor): Tensor {
  return tf.tidy(() => {
    const [B, N] = hidden.shape;
    const out = tf.add(tf.matMul(tf.reshape(hidden, [B * N, cfg.d]), p[`${head}.w`]), p[`${head}.b`]);
    return tf.reshape(out, [B, N]);
  });
}

export interface TokenStats {
  /** log π(ids[t+1] | ids[≤t]) at temperature τ: [B, N−1]. */
  logp: Tensor;
  /** Entropy of π(· | ids[≤t]): [B, N−1]. */
  entropy: Tensor;
}

/** Log-probabilities of the tokens that follow each position, and the entropies there. */
/** The logits at temperature τ of positions 0 … N−2 ([B, N−1, V]) and the tokens they predict ([B, N−1]). */
function nextTokenLogits(cfg: GptConfig, hidden: Tensor, p: Params, ids: Tensor, temperature: number): { scaled: Tensor; next: Tensor } {
  const [B, N] = ids.shape;
  const logits = tf.slice(gptLogits(cfg, p, hidden), [0, 0, 0], [B, N - 1, cfg.V]);
  return { scaled: temperature === 1 ? logits : tf.div(logits, temperature), next: tf.slice(ids, [0, 1], [B, N - 1]) };
}

export function tokenStats(cfg: GptConfig, hidden: Tensor, p: Params, ids: Tensor, temperature = 1): TokenStats {
  return tf.tidy(() => {
    const { scaled, next } = nextTokenLogits(cfg, hidden, p, ids, temperature);
    return ops.tokenStats(scaled, next); // fused on webgpu: one dispatch each way for each
  });
}

/**
 * Σ_t mask[b, t]·log π(ids[b, t+1] | ids[b, ≤t]) at temperature τ: each row's log-probability of the tokens the mask
 * [B, N−1] picks (a completion's, as DPO scores it), [B]. Fused on webgpu (kernels/webgpu_token_logp.ts: one
 * dispatch each way, and no entropy computed).
 */
export function maskedSequenceLogp(cfg: GptConfig, hidden: Tensor, p: Params, ids: Tensor, mask: Tensor, temperature = 1): Tensor {
  return tf.tidy(() => {
    const { scaled, next } = nextTokenLogits(cfg, hidden, p, ids, temperature);
    return ops.maskedSequenceLogp(scaled, next, mask);
  });
}

/**
 * The reward head of each row: on its last token (`pool` "last", as in InstructGPT), or averaged over the
 * tokens from `first[b]` to `last[b]` (`pool` "mean": a per-token reward, apt when the preference adds up over words).
 * Returns [B].
 */
export function gptReward(
  cfg: GptConfig,
  p: Params,
  ids: Tensor,
  last: Int32Array,
  pool: 'last' | 'mean' = 'last',
  first?: Int32Array,
): Tensor {
  return tf.tidy(() => {
    const [B, N] = ids.shape;
    const hidden = gptHidden(cfg, p, ids);
    let weights: Tensor;
    if (pool === 'last') {
      weights = tf.oneHot(tf.tensor1d(last, 'int32'), N).cast('float32'); // [B, N]
    } else {
      const w = new Float32Array(B * N);
      for (let b = 0; b < B; b++) {
        const from = first ? first[b] : 0;
        for (let t = from; t <= last[b]; t++) w[b * N + t] = 1 / (last[b] - from + 1);
      }
      weights = tf.tensor2d(w, [B, N]);
    }
    const h = tf.sum(tf.mul(hidden, tf.expandDims(weights, 2)), 1); // [B, d]
    return tf.reshape(tf.add(tf.matMul(h, p['reward.w']), p['reward.b']), [B]);
  });
}

export interface SampleOptions {
  /** Tokens each row must emit before sampling starts (BOS + prompt), one array per row. */
  prefixes: number[][];
  /** Tokens sampled after the prefix, at most. */
  maxNew: number;
  temperature: number;
  /** Keep only the k most likely tokens (0: all). */
  topK: number;
  /** The token that ends a completion; later positions repeat it. */
  eos: number;
}

export interface Samples {
  /** [B, N] with N = longest prefix + maxNew, row-major. */
  ids: Int32Array;
  B: number;
  N: number;
  /** Per row: index of the last prefix token (the first action is ids[start + 1]). */
  start: Int32Array;
  /** Per row: tokens sampled, EOS included when it came. */
  length: Int32Array;
}

/**
 * Batched sampling with a key/value cache: one position per step for every row, the prefix forced, then
 * tokens drawn on the host with the run's generator (one readback of [B, V] logits per step).
 */
export async function sampleGpt(cfg: GptConfig, p: Params, opts: SampleOptions, rng: Rng): Promise<Samples> {
  const B = opts.prefixes.length;
  const longest = Math.max(...opts.prefixes.map((x) => x.length));
  const N = longest + opts.maxNew;
  if (N > cfg.T) throw new Error(`prompt (${longest} tokens) plus ${opts.maxNew} new tokens exceed the context of ${cfg.T}`);
  const ids = new Int32Array(B * N).fill(opts.eos);
  const start = new Int32Array(B);
  const length = new Int32Array(B);
  const done = new Uint8Array(B);
  for (let b = 0; b < B; b++) {
    opts.prefixes[b].forEach((t, i) => (ids[b * N + i] = t));
    start[b] = opts.prefixes[b].length - 1;
  }
  const dh = cfg.d / cfg.H;
  const scale = 1 / Math.sqrt(dh);
  let cacheK: Tensor[] = [];
  let cacheV: Tensor[] = [];
  try {
    for (let t = 0; t < N - 1; t++) {
      const current = new Int32Array(B);
      for (let b = 0; b < B; b++) current[b] = ids[b * N + t];
      const logitsT = tf.tidy(() => {
        let x = embed(cfg, p, tf.tensor2d(current, [B, 1], 'int32'), t); // [B, d]
        const nextK: Tensor[] = [];
        const nextV: Tensor[] = [];
        for (let l = 0; l < cfg.L; l++) {
          const h = layerNorm(x, p[`h${l}.ln1.g`], p[`h${l}.ln1.b`]);
          const [q, k, v] = tf.split(tf.matMul(h, p[`h${l}.attn.qkv`]), 3, 1);
          const kh = heads(cfg, k, B, 1);
          const vh = heads(cfg, v, B, 1);
          const K = t === 0 ? kh : tf.concat([cacheK[l], kh], 2); // [B, H, t+1, dh]
          const Vv = t === 0 ? vh : tf.concat([cacheV[l], vh], 2);
          nextK.push(tf.keep(K));
          nextV.push(tf.keep(Vv));
          const att = tf.softmax(tf.mul(tf.matMul(heads(cfg, q, B, 1), K, false, true), scale)); // [B, H, 1, t+1]
          x = residual(x, mergeHeads(cfg, tf.matMul(att, Vv), B, 1), p[`h${l}.attn.proj`]);
          x = residual(x, mlpHidden(cfg, p, l, x), p[`h${l}.mlp.proj`]);
        }
        for (const c of [...cacheK, ...cacheV]) c.dispose();
        cacheK = nextK;
        cacheV = nextV;
        return tf.matMul(layerNorm(x, p['lnf.g'], p['lnf.b']), p.lm_head); // [B, V]
      });
      // Rows still inside their prefix need no draw; skip the readback when every row is.
      const needed = opts.prefixes.some((x, b) => !done[b] && t >= x.length - 1);
      const logits = needed ? ((await logitsT.data()) as Float32Array) : null;
      logitsT.dispose();
      for (let b = 0; b < B; b++) {
        if (t < opts.prefixes[b].length - 1 || done[b]) continue;
        const tok = drawToken(logits!.subarray(b * cfg.V, (b + 1) * cfg.V), opts.temperature, opts.topK, rng);
        ids[b * N + t + 1] = tok;
        length[b] += 1;
        if (tok === opts.eos || length[b] >= opts.maxNew) done[b] = 1;
      }
      if (done.every((x) => x === 1)) break;
    }
  } finally {
    for (const c of [...cacheK, ...cacheV]) c.dispose();
  }
  return { ids, B, N, start, length };
}

/** One token from logits at temperature τ, among the top k (k = 0: all). τ = 0 takes the most likely. */
export function drawToken(logits: Float32Array, temperature: number, topK: number, rng: Rng): number {
  const V = logits.length;
  let order: number[] | null = null;
  if (topK > 0 && topK < V) order = Array.from({ length: V }, (_, i) => i).sort((a, b) => logits[b] - logits[a]).slice(0, topK);
  const candidates = order ?? Array.from({ length: V }, (_, i) => i);
  if (temperature <= 0) return candidates.reduce((best, i) => (logits[i] > logits[best] ? i : best), candidates[0]);
  let max = -Infinity;
  for (const i of candidates) max = Math.max(max, logits[i]);
  const w = candidates.map((i) => Math.exp((logits[i] - max) / temperature));
  let u = rng.uniform() * w.reduce((a, b) => a + b, 0);
  for (let j = 0; j < candidates.length; j++) {
    u -= w[j];
    if (u < 0) return candidates[j];
  }
  return candidates[candidates.length - 1];
}
