// Causal self-attention fused on wasm (kernels/assembly/attention.ts, wasm_attention.ts): the merged heads and the
// gradient with respect to qkv against a float64 implementation written here (itself checked by central differences),
// for one and several heads, one and several rows, ragged lengths; the lab's plain tf-op path gives the same
// gradient; a GPT trained two Adam steps with it on has the losses it has with it off; nothing is left behind, with or
// without a gradient tape; NaN comes out as NaN; heads too narrow for its SIMD step run the plain ops.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '@tensorflow/tfjs-backend-wasm';
import { tf, type Tensor } from '../../src/core/tf';
import { Rng } from '../../src/core/rng';
import { makeParams, disposeParams, gradsOf } from '../../src/core/models/params';
import { causalMask } from '../../src/core/models/gpt';
import { referenceWeights, tokenLogp } from '../../src/core/bench/workloads';
import { Adam } from '../../src/core/optim';
import { installKernels, ops, plain, useKernels, wasmFusedKernels } from '../../src/core/kernels';
import { wasmCausalAttention } from '../../src/core/kernels/wasm_attention';
import { wasmCalls } from '../../src/core/kernels/wasm_program';
import { SMALL_GPT } from './wasm_gpt';

type Shape = { B: number; N: number; H: number; d: number };

beforeAll(async () => {
  expect(await tf.setBackend('wasm')).toBe(true);
  await tf.ready();
  installKernels();
});
afterAll(() => useKernels({ fused: true }));

// ---- the float64 reference ---------------------------------------------------------------------------------------

/** Where q (part 0), k (1) or v (2) of row b·N + i, head h, column c lies in qkv [B·N, 3d]. */
const ix = ({ N, H, d }: Shape, part: number, b: number, i: number, h: number, c: number) => (b * N + i) * 3 * d + part * d + h * (d / H) + c;

/** y [B·N, d] and the attention weights P[b][h][i][j] (j ≤ i), in float64. */
function attention64(qkv: ArrayLike<number>, s: Shape): { y: Float64Array; P: number[][][][] } {
  const { B, N, H, d } = s;
  const dh = d / H;
  const y = new Float64Array(B * N * d);
  const P: number[][][][] = [];
  for (let b = 0; b < B; b++) {
    P.push([]);
    for (let h = 0; h < H; h++) {
      P[b].push([]);
      for (let i = 0; i < N; i++) {
        const scores: number[] = [];
        for (let j = 0; j <= i; j++) {
          let dot = 0;
          for (let c = 0; c < dh; c++) dot += qkv[ix(s, 0, b, i, h, c)] * qkv[ix(s, 1, b, j, h, c)];
          scores.push(dot / Math.sqrt(dh));
        }
        const mx = Math.max(...scores);
        const e = scores.map((x) => Math.exp(x - mx));
        const sum = e.reduce((a, x) => a + x, 0);
        const p = e.map((x) => x / sum);
        P[b][h].push(p);
        for (let j = 0; j <= i; j++) for (let c = 0; c < dh; c++) y[(b * N + i) * d + h * dh + c] += p[j] * qkv[ix(s, 2, b, j, h, c)];
      }
    }
  }
  return { y, P };
}

/** d(Σ y·dy)/d qkv [B·N, 3d], in float64, by the chain rule through softmax written out. */
function attentionGrad64(qkv: ArrayLike<number>, dy: ArrayLike<number>, s: Shape): Float64Array {
  const { B, N, H, d } = s;
  const dh = d / H;
  const { P } = attention64(qkv, s);
  const g = new Float64Array(B * N * 3 * d);
  const dyAt = (b: number, i: number, h: number, c: number) => dy[(b * N + i) * d + h * dh + c];
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < N; i++) {
        const p = P[b][h][i];
        // dP_ij = dy_i·v_j; dS_ij = P_ij (dP_ij − Σ_j' P_ij' dP_ij')
        const dP = p.map((_, j) => {
          let x = 0;
          for (let c = 0; c < dh; c++) x += dyAt(b, i, h, c) * qkv[ix(s, 2, b, j, h, c)];
          return x;
        });
        const mean = p.reduce((a, pj, j) => a + pj * dP[j], 0);
        for (let j = 0; j <= i; j++) {
          const dS = (p[j] * (dP[j] - mean)) / Math.sqrt(dh);
          for (let c = 0; c < dh; c++) {
            g[ix(s, 0, b, i, h, c)] += dS * qkv[ix(s, 1, b, j, h, c)];
            g[ix(s, 1, b, j, h, c)] += dS * qkv[ix(s, 0, b, i, h, c)];
            g[ix(s, 2, b, j, h, c)] += p[j] * dyAt(b, i, h, c);
          }
        }
      }
    }
  }
  return g;
}

const dot64 = (x: ArrayLike<number>, y: ArrayLike<number>) => Array.from(x).reduce((a, xi, i) => a + xi * y[i], 0);
const maxAbs = (x: ArrayLike<number>) => Math.max(...Array.from(x, Math.abs));
const maxDiff = (x: ArrayLike<number>, y: ArrayLike<number>) => Math.max(...Array.from(x, (xi, i) => Math.abs(xi - y[i])));

function random(rng: Rng, n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => scale * rng.normal());
}

/** The kernel's y and dqkv (of Σ y·w) for qkv, and whether it left a tensor or heap buffer behind. */
async function run(qkvData: Float32Array, w: Float32Array, s: Shape, attn: (qkv: Tensor) => Tensor) {
  const qkv = tf.tensor2d(qkvData, [s.B * s.N, 3 * s.d]);
  const wt = tf.tensor2d(w, [s.B * s.N, s.d]);
  const tensors = tf.memory().numTensors;
  const ids = tf.engine().backend.numDataIds();
  const calls = wasmCalls();
  let value: Tensor | undefined, grad: Tensor | undefined, y: Tensor | undefined;
  const profile = await tf.profile(() => {
    ({ value, grad } = tf.valueAndGrad((x: Tensor) => tf.sum(tf.mul(attn(x), wt)))(qkv));
    y = tf.tidy(() => attn(qkv)); // without a tape: P is not kept
  });
  const out = { y: (await y!.data()) as Float32Array, grad: (await grad!.data()) as Float32Array, value: (await value!.data())[0] };
  tf.dispose([value!, grad!, y!]);
  const left = { tensors: tf.memory().numTensors - tensors, ids: tf.engine().backend.numDataIds() - ids };
  tf.dispose([qkv, wt]);
  // the fused forward is a kernel (twice: under the tape and without); its backward one call into the module
  const kernels = profile.kernels.map((k) => k.name);
  const fused = { forward: kernels.filter((k) => k === 'LabCausalAttention').length, backward: wasmCalls() - calls, softmax: kernels.includes('Softmax') };
  return { ...out, left, fused };
}

const CASES: Shape[] = [
  { B: 1, N: 1, H: 1, d: 4 }, // one position: P = [1]
  { B: 1, N: 7, H: 1, d: 8 },
  { B: 3, N: 5, H: 4, d: 16 }, // dh 4
  { B: 3, N: 13, H: 4, d: 32 }, // dh 8, ragged N
  { B: 1, N: 24, H: 4, d: 128 }, // dh 32, as gpt-tiny
];

describe('wasm causal attention', () => {
  it('has a float64 reference gradient that central differences confirm', () => {
    const s: Shape = { B: 2, N: 4, H: 2, d: 8 };
    const rng = new Rng(2);
    const qkv = Float64Array.from(random(rng, s.B * s.N * 3 * s.d));
    const w = random(rng, s.B * s.N * s.d);
    const g = attentionGrad64(qkv, w, s);
    const f = (x: Float64Array) => dot64(attention64(x, s).y, w);
    for (let n = 0; n < qkv.length; n += 5) {
      const [up, down] = [Float64Array.from(qkv), Float64Array.from(qkv)];
      up[n] += 1e-6;
      down[n] -= 1e-6;
      expect(Math.abs((f(up) - f(down)) / 2e-6 - g[n]), `element ${n}`).toBeLessThan(1e-7);
    }
    expect(maxAbs(g)).toBeGreaterThan(0.1);
  });

  it('gives the float64 merged heads and qkv gradient (within 2e-6 of the largest), leaving nothing behind', async () => {
    const rng = new Rng(7);
    for (const s of CASES) {
      const label = JSON.stringify(s);
      const qkv = random(rng, s.B * s.N * 3 * s.d, 1.5);
      const w = random(rng, s.B * s.N * s.d);
      const got = await run(qkv, w, s, (x) => wasmCausalAttention(x, s));
      expect(got.fused, label).toEqual({ forward: 2, backward: 1, softmax: false });
      const want = attention64(qkv, s).y;
      const wantGrad = attentionGrad64(qkv, w, s);
      expect(maxDiff(got.y, want) / Math.max(1, maxAbs(want)), label).toBeLessThan(2e-6);
      expect(maxDiff(got.grad, wantGrad) / Math.max(1, maxAbs(wantGrad)), label).toBeLessThan(2e-6);
      expect(Math.abs(got.value - dot64(want, w)), label).toBeLessThan(1e-4 * Math.max(1, Math.abs(got.value)));
      expect(got.left, label).toEqual({ tensors: 0, ids: 0 });
    }
  });

  it("gives the plain tf-op path's output and gradient, and ops.causalAttention takes it on wasm", async () => {
    const s: Shape = { B: 3, N: 11, H: 4, d: 32 };
    const rng = new Rng(9);
    const qkv = random(rng, s.B * s.N * 3 * s.d, 1.5);
    const w = random(rng, s.B * s.N * s.d);
    const mask = causalMask(s.N);
    const theirs = await run(qkv, w, s, (x) => plain.causalAttention(x, mask, s));
    expect(wasmFusedKernels()).toBe(true);
    const ours = await run(qkv, w, s, (x) => ops.causalAttention(x, mask, s));
    mask.dispose();
    expect(theirs.fused).toEqual({ forward: 0, backward: 0, softmax: true });
    expect(ours.fused).toEqual({ forward: 2, backward: 1, softmax: false });
    expect(ours.left).toEqual({ tensors: 0, ids: 0 });
    expect(maxDiff(ours.y, theirs.y) / maxAbs(theirs.y)).toBeLessThan(2e-6);
    expect(maxDiff(ours.grad, theirs.grad) / maxAbs(theirs.grad)).toBeLessThan(2e-6);
  });

  it('runs the plain ops for heads whose width is not a multiple of 4, and says what is wrong with a bad qkv', async () => {
    const s: Shape = { B: 2, N: 5, H: 2, d: 12 }; // dh 6
    const mask = causalMask(s.N);
    const rng = new Rng(4);
    const qkv = random(rng, s.B * s.N * 3 * s.d);
    const w = random(rng, s.B * s.N * s.d);
    const got = await run(qkv, w, s, (x) => ops.causalAttention(x, mask, s));
    expect(got.fused).toEqual({ forward: 0, backward: 0, softmax: true });
    expect(maxDiff(got.y, attention64(qkv, s).y)).toBeLessThan(1e-5);
    mask.dispose();
    const x = tf.zeros([10, 24]);
    expect(() => wasmCausalAttention(x, { B: 2, N: 4, H: 2, d: 8 })).toThrow(/qkv is float32 \[10, 24\].*needs float32 \[8, 24\]/);
    expect(() => wasmCausalAttention(x, { B: 2, N: 5, H: 2, d: 12 })).toThrow(/needs float32 \[10, 36\]/);
    x.dispose();
    await tf.setBackend('cpu');
    const c = tf.zeros([8, 24]);
    try {
      expect(() => wasmCausalAttention(c, { B: 2, N: 4, H: 2, d: 8 })).toThrow(/only on the wasm backend .*the backend is cpu/);
    } finally {
      c.dispose();
      await tf.setBackend('wasm');
    }
  });

  it('passes NaN through (no trap), as the plain ops do, and saturates as float64 does', async () => {
    const s: Shape = { B: 1, N: 7, H: 1, d: 8 }; // rows of 1 to 7 scores: 4 at a time and one at a time
    const qkv = new Float32Array(s.N * 3 * s.d).fill(0.5);
    qkv[ix(s, 1, 0, 0, 0, 0)] = NaN; // k_0: every row's scores
    const x = tf.tensor2d(qkv, [s.N, 3 * s.d]);
    const y = wasmCausalAttention(x, s);
    expect(Array.from(await y.data()).every(Number.isNaN)).toBe(true);
    tf.dispose([x, y]);
    // scores hundreds apart: most weights e^(s − max) under the smallest float (0), the rest as float64 has them
    const big = random(new Rng(8), s.N * 3 * s.d, 12);
    const xb = tf.tensor2d(big, [s.N, 3 * s.d]);
    const yb = wasmCausalAttention(xb, s);
    const want = attention64(big, s);
    expect(Math.min(...want.P.flat(3))).toBeLessThan(1e-38);
    expect(maxDiff(await yb.data(), want.y) / maxAbs(want.y)).toBeLessThan(2e-6);
    tf.dispose([xb, yb]);
  });

  it("trains a GPT two Adam steps to the losses of the plain ops (within 1e-5), one call each way per layer, tensor counts constant", async () => {
    const train = async (fused: boolean) => {
      useKernels({ fused });
      const p = makeParams(referenceWeights(SMALL_GPT, 'lm', new Rng(1)));
      const rng = new Rng(5);
      const [rows, N] = [5, 13]; // ragged N
      const ids = tf.tensor2d(Int32Array.from({ length: rows * N }, () => rng.int(SMALL_GPT.V)), [rows, N], 'int32');
      const targets = tf.tensor2d(Int32Array.from({ length: rows * N }, () => rng.int(SMALL_GPT.V)), [rows, N], 'int32');
      const opt = new Adam(p, 1e-2);
      const tensors = tf.memory().numTensors;
      let dataIds = 0;
      const losses: number[] = [];
      const calls = wasmCalls();
      for (let step = 0; step < 3; step++) {
        const { value, grads } = gradsOf(p, () => tf.neg(tf.mean(tokenLogp(SMALL_GPT, p, ids, targets))));
        losses.push((await value.data())[0]);
        if (step < 2) opt.step(grads); // the third only measures the loss after two updates
        tf.dispose([value, ...Object.values(grads)]);
        expect(tf.memory().numTensors, `step ${step}`).toBe(tensors);
        // heap buffers are counted from the first step on
        if (step === 0) dataIds = tf.engine().backend.numDataIds();
        expect(tf.engine().backend.numDataIds(), `step ${step}`).toBe(dataIds);
      }
      const moduleCalls = wasmCalls() - calls;
      const params = Object.keys(p).length;
      tf.dispose([ids, targets]);
      disposeParams(p);
      return { losses, moduleCalls, params };
    };
    const off = await train(false);
    const on = await train(true);
    console.log('GPT losses, fused attention on', on.losses, 'off', off.losses);
    expect(off.moduleCalls).toBe(0);
    // per step, one backward call (each forward is a tfjs kernel) for each layer's attention, each of the 2L + 1 layer
    // norms, the token log-probabilities and the embedding (wasm_rows.test.ts); and Adam in place per parameter and update
    const { L } = SMALL_GPT;
    expect(on.moduleCalls).toBe(3 * (L + 2 * L + 1 + 1 + 1) + 2 * on.params);
    expect(off.losses[2]).toBeLessThan(off.losses[0] - 0.05); // the two updates learned something
    for (let i = 0; i < 3; i++) expect(Math.abs(on.losses[i] - off.losses[i]), `loss ${i}`).toBeLessThan(1e-5);
  });
});
