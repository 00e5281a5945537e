// The fused webgpu layer norm (kernels/webgpu_layernorm.ts) against gpt.ts's tf-op layer norm: the same output and
// gradients (x, γ, β) on webgpu (Dawn on SwiftShader) and against the cpu backend, fewer dispatches, nothing left
// behind; and a whole GPT's language-model loss and gradients with the fused kernels on and off.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_SWIFTSHADER, maxRelDiff, registerWebgpu, useBackend } from './dawn';
import { tf, type Tensor } from '../../src/core/tf';
import { Rng } from '../../src/core/rng';
import { initGpt, layerNorm, type GptConfig } from '../../src/core/models/gpt';
import { disposeParams, gradsOf, makeParams } from '../../src/core/models/params';
import { lmLoss } from '../../src/core/algos/sft';
import { countDispatches, useFusedKernels } from '../../src/core/kernels';

// A 3-D input (rows of a batch of sequences) and one of 130 rows (more than one 64-thread workgroup).
const CASES: number[][] = [[3, 5, 48], [130, 32]];

interface LnResult {
  /** y, dx, dγ, dβ per case. */
  values: Float32Array[][];
  dispatches: number[];
  leaked: number;
}

async function runLayerNorm(backend: string, fused: boolean): Promise<LnResult> {
  await useBackend(backend);
  useFusedKernels(fused);
  const values: Float32Array[][] = [];
  const dispatches: number[] = [];
  const before = tf.memory().numTensors;
  for (const [i, shape] of CASES.entries()) {
    const rng = new Rng(10 + i);
    const d = shape[shape.length - 1];
    const n = shape.reduce((a, b) => a * b, 1);
    const draw = (k: number, s: number, c = 0) => Float32Array.from({ length: k }, () => c + s * rng.normal());
    // Rows with an offset and a spread of their own, as a residual stream has.
    const x = tf.tidy(() => tf.add(tf.tensor(draw(n, 2), shape), tf.tensor(draw(n / d, 3), [...shape.slice(0, -1), 1])));
    const g = tf.tensor1d(draw(d, 0.3, 1));
    const b = tf.tensor1d(draw(d, 0.3));
    const w = tf.tensor(draw(n, 1), shape); // loss = Σ w·y, so dy = w
    const f = (xx: Tensor, gg: Tensor, bb: Tensor) => tf.sum(tf.mul(layerNorm(xx, gg, bb), w));
    let out: Tensor[] = [];
    const counted = await countDispatches(async () => {
      const y = tf.tidy(() => layerNorm(x, g, b)); // as the lab calls it: gpt.ts's tf-op version is not tidy itself
      const grads = tf.grads(f)([x, g, b]);
      out = [y, ...grads];
      await Promise.all(out.map((t) => t.data()));
    });
    dispatches.push(counted.dispatches ?? counted.kernels);
    values.push((await Promise.all(out.map((t) => t.data()))) as Float32Array[]);
    tf.dispose([x, g, b, w, ...out]);
  }
  useFusedKernels(true);
  return { values, dispatches, leaked: tf.memory().numTensors - before };
}


const CFG: GptConfig = { V: 34, T: 16, d: 32, L: 2, H: 4, act: 'gelu' };

async function runGpt(fused: boolean): Promise<{ loss: number; grads: Record<string, Float32Array>; dispatches: number }> {
  await useBackend('webgpu');
  useFusedKernels(fused);
  const rng = new Rng(5);
  const p = makeParams(initGpt(CFG, new Rng(rng.seed())));
  const x = tf.tensor2d(Int32Array.from({ length: 4 * 12 }, () => rng.int(CFG.V)), [4, 12], 'int32');
  let loss = 0;
  const grads: Record<string, Float32Array> = {};
  const counted = await countDispatches(async () => {
    const r = gradsOf(p, () => lmLoss(CFG, p, x));
    loss = (await r.value.data())[0];
    for (const [k, t] of Object.entries(r.grads)) grads[k] = (await t.data()) as Float32Array;
    tf.dispose([r.value, ...Object.values(r.grads)]);
  });
  x.dispose();
  disposeParams(p);
  useFusedKernels(true);
  return { loss, grads, dispatches: counted.dispatches ?? counted.kernels };
}

describe.skipIf(!HAVE_SWIFTSHADER)('fused layer norm on webgpu', () => {
  let fused: LnResult;
  let unfused: LnResult;
  let cpu: LnResult;

  beforeAll(async () => {
    await registerWebgpu();
    fused = await runLayerNorm('webgpu', true);
    unfused = await runLayerNorm('webgpu', false);
    cpu = await runLayerNorm('cpu', true); // off webgpu: the tf-op layer norm
  });

  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('gives the tf-op output and gradients (relative error < 1e-4), on webgpu and against cpu', () => {
    const names = ['y', 'dx', 'dgamma', 'dbeta'];
    const worst: Record<string, number> = {};
    for (const [c, shape] of CASES.entries()) {
      for (const [i, name] of names.entries()) {
        const f = fused.values[c][i];
        expect(Math.max(...Array.from(cpu.values[c][i], Math.abs)), name).toBeGreaterThan(0.1); // not all zeros
        worst[`${name}_vs_unfused`] = Math.max(worst[`${name}_vs_unfused`] ?? 0, maxRelDiff(f, unfused.values[c][i]));
        worst[`${name}_vs_cpu`] = Math.max(worst[`${name}_vs_cpu`] ?? 0, maxRelDiff(f, cpu.values[c][i]));
        expect(f.length, `${name} of ${shape}`).toBe(name.startsWith('d') && name !== 'dx' ? shape[shape.length - 1] : shape.reduce((a, b) => a * b, 1));
      }
    }
    console.log('fused layer norm, max relative error', worst);
    for (const [k, e] of Object.entries(worst)) expect(e, k).toBeLessThan(1e-4);
  });

  it('takes 5 dispatches for forward and backward, and leaves no tensor behind', () => {
    console.log('layer norm forward + backward dispatches: fused', fused.dispatches, 'unfused', unfused.dispatches);
    // Each count holds two forwards (y, and the one inside tf.grads) and one backward, plus the test's own loss
    // (mul, sum) and its backward, the same for both paths: fused, 1 + 1 + 4 and 4 of the loss's.
    for (const [c] of CASES.entries()) {
      expect(fused.dispatches[c]).toBeLessThanOrEqual(10);
      expect(unfused.dispatches[c] - fused.dispatches[c]).toBeGreaterThan(30);
    }
    expect(fused.leaked).toBe(0);
    expect(unfused.leaked).toBe(0);
    expect(cpu.leaked).toBe(0);
  });

  it("leaves a GPT's loss and gradients as they were (relative error < 1e-4), in fewer dispatches", async () => {
    const on = await runGpt(true);
    const off = await runGpt(false);
    expect(Math.abs(on.loss - off.loss) / off.loss).toBeLessThan(1e-4);
    let worst = 0;
    for (const k of Object.keys(off.grads)) worst = Math.max(worst, maxRelDiff(on.grads[k], off.grads[k]));
    console.log('GPT lm loss and gradients, fused vs unfused: max relative error', worst, 'dispatches', on.dispatches, 'vs', off.dispatches);
    expect(worst).toBeLessThan(1e-4);
    expect(on.dispatches).toBeLessThan(off.dispatches);
  });
});
