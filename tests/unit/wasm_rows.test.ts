// The row-wise ops on wasm through the lab's own kernels (kernels/assembly/layernorm.ts, token_logp.ts,
// embedding.ts; wasm_layernorm.ts, wasm_token_logp.ts, wasm_embedding.ts): each forward against a float64 reference
// written here, each gradient against central differences of that reference in float64 (the embedding's against its
// scatter sums), widths that are not multiples of 4, out-of-range ids and targets as the one-hot ops treat them, and
// nothing left behind (tensors or heap buffers); then GPT training steps on wasm with the fused kernels on and off
// giving the same losses after two Adam updates.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '@tensorflow/tfjs-backend-wasm';
import { tf, type Tensor } from '../../src/core/tf';
import { Rng } from '../../src/core/rng';
import { countDispatches, installKernels, ops, useKernels, wasmFusedKernels } from '../../src/core/kernels';
import { wasmCalls } from '../../src/core/kernels/wasm_program';
import { buildWorkload, type BenchModel } from '../../src/core/bench/workloads';
import { PPO_BENCH } from '../../src/core/bench/ppo_iteration';

beforeAll(async () => {
  expect(await tf.setBackend('wasm')).toBe(true);
  await tf.ready();
  installKernels();
});
afterAll(() => useKernels({ fused: true }));

const randn = (rng: Rng, n: number, scale = 1) => Float64Array.from({ length: n }, () => scale * rng.normal());
const f32 = (a: Float64Array) => Float32Array.from(a);

/** Largest |got − want| over the largest |want| (at least 1). */
function relErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  expect(got.length).toBe(want.length);
  let scale = 1;
  let diff = 0;
  for (let i = 0; i < want.length; i++) {
    scale = Math.max(scale, Math.abs(want[i]));
    diff = Math.max(diff, Math.abs(got[i] - want[i]));
  }
  return diff / scale;
}

/** d f / d x_i by central differences, in float64. */
function numericGrad(f: (x: Float64Array) => number, x: Float64Array, h = 1e-6): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const keep = x[i];
    x[i] = keep + h;
    const up = f(x);
    x[i] = keep - h;
    const down = f(x);
    x[i] = keep;
    g[i] = (up - down) / (2 * h);
  }
  return g;
}

/** Σ w·y: a scalar whose gradient weighs each output by w (an upstream dy of w). */
const weighted = (y: Float64Array, w: Float64Array) => y.reduce((s, v, i) => s + v * w[i], 0);

/** Runs `body` with the wasm kernels on, checking it leaves as many tensors and heap buffers as it found. */
async function leavesNothing(body: () => Promise<void>): Promise<void> {
  const tensors = tf.memory().numTensors;
  const ids = tf.engine().backend.numDataIds();
  await body();
  expect(tf.memory().numTensors).toBe(tensors);
  expect(tf.engine().backend.numDataIds()).toBe(ids);
}

/** The op's value and its gradients with respect to `wrt` (float32 tensors made from the arrays), under weights w. */
async function valueAndGrads(op: (...xs: Tensor[]) => Tensor, wrt: { data: Float64Array; shape: number[] }[], w: Float64Array) {
  const xs = wrt.map((x) => tf.tensor(f32(x.data), x.shape));
  const y = op(...xs);
  const calls = wasmCalls();
  // runWasm's calls under tf.grads: the backward's (the forward is a kernel of the engine's)
  const grads = tf.grads((...a: Tensor[]) => tf.sum(tf.mul(op(...a), tf.reshape(tf.tensor(f32(w)), y.shape))))(xs);
  const out = { y: (await y.data()) as Float32Array, grads: await Promise.all(grads.map((g) => g.data() as Promise<Float32Array>)), calls: wasmCalls() - calls };
  tf.dispose([y, ...grads, ...xs]);
  return out;
}

// ---- float64 references ----------------------------------------------------------------------------------------

function layerNorm64(x: Float64Array, g: Float64Array, b: Float64Array, d: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < x.length / d; r++) {
    const row = x.subarray(r * d, (r + 1) * d);
    const mean = row.reduce((s, v) => s + v, 0) / d;
    const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / d;
    for (let j = 0; j < d; j++) y[r * d + j] = ((row[j] - mean) / Math.sqrt(variance + 1e-5)) * g[j] + b[j];
  }
  return y;
}

/** log softmax of each row of x [rows, V]. */
function logSoftmax64(x: Float64Array, V: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let r = 0; r < x.length / V; r++) {
    const row = x.subarray(r * V, (r + 1) * V);
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
    for (let j = 0; j < V; j++) out[r * V + j] = row[j] - lse;
  }
  return out;
}

/** log softmax(x)[t] per row; 0 where t is outside [0, V) (the one-hot picks nothing). */
function tokenLogp64(x: Float64Array, t: Int32Array, V: number): Float64Array {
  const lp = logSoftmax64(x, V);
  return Float64Array.from(t, (tr, r) => (tr >= 0 && tr < V ? lp[r * V + tr] : 0));
}

function entropy64(x: Float64Array, V: number): Float64Array {
  const lp = logSoftmax64(x, V);
  return Float64Array.from({ length: x.length / V }, (_, r) => {
    let h = 0;
    for (let j = 0; j < V; j++) h -= Math.exp(lp[r * V + j]) * lp[r * V + j];
    return h;
  });
}

describe('wasm row kernels', () => {
  it('are on for the wasm backend', () => {
    expect(wasmFusedKernels()).toBe(true);
  });

  for (const shape of [[6, 37], [2, 3, 32], [3, 5]]) {
    it(`layer norm of ${JSON.stringify(shape)} and its gradients match float64 (one kernel each way)`, async () => {
      const d = shape[shape.length - 1];
      const n = shape.reduce((a, b) => a * b, 1);
      const rng = new Rng(d);
      const x = randn(rng, n, 2).map((v, i) => v + (i % d) * 0.1); // rows with a mean
      const g = randn(rng, d).map((v) => 1 + 0.3 * v);
      const b = randn(rng, d, 0.5);
      const w = randn(rng, n);
      await leavesNothing(async () => {
        const got = await valueAndGrads((xs, gs, bs) => ops.layerNorm(xs, gs, bs), [{ data: x, shape }, { data: g, shape: [d] }, { data: b, shape: [d] }], w);
        expect(relErr(got.y, layerNorm64(x, g, b, d))).toBeLessThan(2e-6);
        const loss = (xx: Float64Array, gg: Float64Array, bb: Float64Array) => weighted(layerNorm64(xx, gg, bb, d), w);
        expect(relErr(got.grads[0], numericGrad((v) => loss(v, g, b), x))).toBeLessThan(2e-5);
        expect(relErr(got.grads[1], numericGrad((v) => loss(x, v, b), g))).toBeLessThan(2e-5);
        expect(relErr(got.grads[2], numericGrad((v) => loss(x, g, v), b))).toBeLessThan(2e-5);
        expect(got.calls).toBe(1); // the backward's runWasm (the forward is an engine kernel)
      });
    });
  }

  for (const V of [13, 64]) {
    it(`token log-probabilities and entropy over V = ${V} and their gradients match float64`, async () => {
      const [B, N] = [2, 5];
      const rng = new Rng(V);
      const x = randn(rng, B * N * V, 3);
      x[7] = 40; // one large logit: the max subtraction keeps exp finite
      const t = Int32Array.from({ length: B * N }, () => rng.int(V));
      t[3] = V; // out of range: the one-hot picks nothing
      t[8] = -1;
      const w = randn(rng, B * N);
      const targets = tf.tensor2d(t, [B, N], 'int32');
      await leavesNothing(async () => {
        const lp = await valueAndGrads((xs) => ops.tokenLogp(xs, targets), [{ data: x, shape: [B, N, V] }], w);
        expect(relErr(lp.y, tokenLogp64(x, t, V))).toBeLessThan(2e-6);
        expect(relErr(lp.grads[0], numericGrad((v) => weighted(tokenLogp64(v, t, V), w), x))).toBeLessThan(2e-5);
        expect(lp.grads[0].slice(3 * V, 4 * V).every((v) => v === 0)).toBe(true);
        expect(lp.calls).toBe(1);
        const h = await valueAndGrads((xs) => tf.tidy(() => ops.tokenStats(xs, targets).entropy), [{ data: x, shape: [B, N, V] }], w);
        expect(relErr(h.y, entropy64(x, V))).toBeLessThan(2e-6);
        expect(relErr(h.grads[0], numericGrad((v) => weighted(entropy64(v, V), w), x))).toBeLessThan(2e-5);
      });
      targets.dispose();
    });
  }

  it('sums token log-probabilities per sequence, masked or not, as float64 does', async () => {
    const [B, N, V] = [3, 4, 10];
    const rng = new Rng(7);
    const x = randn(rng, B * N * V, 2);
    const t = Int32Array.from({ length: B * N }, () => rng.int(V));
    const mask = Float32Array.from({ length: B * N }, (_, i) => (i % 3 === 0 ? 0 : 1));
    const lp = tokenLogp64(x, t, V);
    const rows = (m: ArrayLike<number>) => Float64Array.from({ length: B }, (_, b) => lp.slice(b * N, (b + 1) * N).reduce((s, v, k) => s + v * m[b * N + k], 0));
    const [logits, targets, maskT] = [tf.tensor3d(f32(x), [B, N, V]), tf.tensor2d(t, [B, N], 'int32'), tf.tensor2d(mask, [B, N])];
    await leavesNothing(async () => {
      const seq = ops.sequenceLogp(logits, targets);
      const masked = ops.maskedSequenceLogp(logits, targets, maskT);
      const stats = ops.tokenStats(logits, targets);
      expect(relErr(await seq.data(), rows(new Float32Array(B * N).fill(1)))).toBeLessThan(2e-6);
      expect(relErr(await masked.data(), rows(mask))).toBeLessThan(2e-6);
      expect(relErr(await stats.logp.data(), lp)).toBeLessThan(2e-6);
      tf.dispose([seq, masked, stats.logp, stats.entropy]);
    });
    tf.dispose([logits, targets, maskT]);
  });

  it('embeds tokens and positions and scatters their gradients as float64 sums, d = 13, from an offset', async () => {
    const [B, N, V, T, d, offset] = [3, 4, 7, 9, 13, 2];
    const rng = new Rng(13);
    const wte = randn(rng, V * d);
    const wpe = randn(rng, T * d);
    const w = randn(rng, B * N * d);
    const idv = Int32Array.from({ length: B * N }, () => rng.int(V));
    idv[5] = V; // out of range: no token row, no gradient, as the one-hot
    const ids = tf.tensor2d(idv, [B, N], 'int32');
    const want = new Float64Array(B * N * d);
    const dwte = new Float64Array(V * d);
    const dwpe = new Float64Array(T * d);
    for (let r = 0; r < B * N; r++) {
      const pos = offset + (r % N);
      for (let c = 0; c < d; c++) {
        const tok = idv[r] < V ? wte[idv[r] * d + c] : 0;
        want[r * d + c] = tok + wpe[pos * d + c];
        if (idv[r] < V) dwte[idv[r] * d + c] += w[r * d + c];
        dwpe[pos * d + c] += w[r * d + c];
      }
    }
    await leavesNothing(async () => {
      const got = await valueAndGrads((te, pe) => ops.embedding(ids, te, pe, offset), [{ data: wte, shape: [V, d] }, { data: wpe, shape: [T, d] }], w);
      expect(relErr(got.y, want)).toBeLessThan(1e-6);
      expect(relErr(got.grads[0], dwte)).toBeLessThan(1e-6);
      expect(relErr(got.grads[1], dwpe)).toBeLessThan(1e-6);
      expect(got.calls).toBe(1); // the backward's runWasm (the forward is an engine kernel)
    });
    const [te, pe] = [tf.zeros([V, d]), tf.zeros([T, d])];
    expect(() => ops.embedding(ids, te, pe, 6)).toThrow(/positions 6…9 do not fit the 9 position embeddings/);
    tf.dispose([ids, te, pe]);
  });
});

describe('the bench\'s kernel count', () => {
  it('counts each call into the lab\'s module once, the gradient\'s too', async () => {
    const [x, g, b] = [tf.randomNormal([4, 6]), tf.ones([6]), tf.zeros([6])];
    const step = async () => tf.dispose(tf.tidy(() => tf.grads((xs: Tensor) => tf.sum(ops.layerNorm(xs, g, b)))([x])));
    const profiled = (await tf.profile(step)).kernels.map((k) => k.name);
    expect(profiled.filter((n) => n === 'LabLayerNorm')).toHaveLength(1); // the forward, through the engine
    const { kernels } = await countDispatches(step);
    expect(kernels).toBe(profiled.length + 1); // and the backward's call, outside it
    tf.dispose([x, g, b]);
  });
});

describe('a GPT on wasm with the row kernels', () => {
  // d = 30 over 3 heads and V = 13: every row kernel's tail runs.
  const models: Record<string, BenchModel> = { small: { V: 13, T: 12, d: 30, L: 2, H: 3, B: 4, act: 'gelu', linear_bias: false, lr: 0.01 } };
  const ppo = { ...PPO_BENCH, completions: 8, new_tokens: 5, prompt_tokens: 3, epochs: 1, minibatches: 2 };

  /**
   * The losses of three steps (the third after two Adam updates), the second and third each leaving as many tensors
   * and buffers as it found (the first makes Adam's moments).
   */
  async function losses(kind: string, fused: boolean): Promise<number[]> {
    useKernels({ fused });
    const w = buildWorkload(`small:${kind}`, 5, models, ppo);
    const out: number[] = [];
    for (let i = 0; i < 3; i++) {
      const tensors = tf.memory().numTensors;
      const ids = tf.engine().backend.numDataIds();
      const t = await w.step();
      out.push(...((await t.data()) as Float32Array).slice(0, 1));
      t.dispose();
      if (i === 0) continue;
      expect(tf.memory().numTensors).toBe(tensors);
      expect(tf.engine().backend.numDataIds()).toBe(ids);
    }
    w.dispose();
    return out;
  }

  for (const kind of ['lm', 'rm', 'dpo', 'ppo']) {
    it(`${kind}: the same losses after two Adam updates with the kernels as with tf ops, within 1e-5`, async () => {
      const off = await losses(kind, false);
      const calls = wasmCalls();
      const on = await losses(kind, true);
      expect(wasmCalls()).toBeGreaterThan(calls);
      for (let i = 0; i < 3; i++) expect(Math.abs(on[i] - off[i]), `step ${i}: ${on} vs ${off}`).toBeLessThan(1e-5 * Math.max(1, Math.abs(off[i])));
      expect(off[2]).not.toBe(off[0]); // the updates changed the model
    }, 60_000);
  }
});
