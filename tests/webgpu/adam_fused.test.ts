// Adam's fused webgpu update (kernels/webgpu_adam.ts) against the tf-op update it replaces: the same parameters and
// moments after several steps (one with a gradient missing, so the per-tensor update runs too, and a checkpoint
// read mid-run), on webgpu (Dawn on SwiftShader) and against the cpu backend; one dispatch per parameter tensor
// and two more; no tensor left behind; the checkpointable state unchanged in layout.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_SWIFTSHADER, maxRelDiff, registerWebgpu, useBackend } from './dawn';
import { tf, type Tensor } from '../../src/core/tf';
import { Adam, type AdamState } from '../../src/core/optim';
import { disposeParams, makeParams, readWeights } from '../../src/core/models/params';
import { countDispatches } from '../../src/core/bench/measure';
import { useFusedKernels } from '../../src/core/kernels/webgpu_program';
import { Rng } from '../../src/core/rng';
import type { Weights } from '../../src/core/models/params';

// Shapes of a small GPT's tensors: matrices, vectors, a 3-D one, and one of 70,000 elements (> 1,024 workgroups).
const SHAPES: Record<string, number[]> = { wte: [34, 32], ln_g: [32], qkv: [2, 32, 96], big: [70, 1000], b: [96] };
const STEPS = 6;

function init(seed: number): Weights {
  const rng = new Rng(seed);
  const w: Weights = {};
  for (const [k, shape] of Object.entries(SHAPES)) {
    const n = shape.reduce((a, b) => a * b, 1);
    w[k] = { shape, data: Float32Array.from({ length: n }, () => rng.normal() * 0.5) };
  }
  return w;
}

/** Gradients of step s: deterministic, with signs and scales that vary from step to step. */
function grads(s: number): Record<string, Tensor> {
  const rng = new Rng(100 + s);
  const g: Record<string, Tensor> = {};
  for (const [k, shape] of Object.entries(SHAPES)) {
    if (k === 'b' && s === 1) continue; // a parameter without a gradient this step is left alone
    const n = shape.reduce((a, b) => a * b, 1);
    g[k] = tf.tensor(Float32Array.from({ length: n }, () => rng.normal() * 10 ** ((s % 3) - 2)), shape);
  }
  return g;
}

interface Result {
  params: Weights;
  state: AdamState;
  /** tf.memory().numTensors after each step. */
  tensors: number[];
  /** Dispatches of one Adam step over every tensor (webgpu only). */
  dispatches: number | null;
}

async function train(backend: string, fused: boolean): Promise<Result> {
  await useBackend(backend);
  const p = makeParams(init(7));
  const opt = new Adam(p, 1e-2);
  useFusedKernels(fused);
  const tensors: number[] = [];
  let dispatches: number | null = null;
  for (let s = 0; s < STEPS; s++) {
    if (s === 3) opt.lr = 3e-3; // lr is read at each step
    const g = grads(s);
    if (s === 4) dispatches = (await countDispatches(async () => opt.step(g))).dispatches;
    else opt.step(g);
    if (s === 2) await opt.state(); // a checkpoint mid-run, read from the flat moments on webgpu
    tf.dispose(Object.values(g));
    tensors.push(tf.memory().numTensors);
  }
  useFusedKernels(true);
  const result = { params: await readWeights(p), state: await opt.state(), tensors, dispatches };
  opt.dispose();
  disposeParams(p);
  return result;
}

/** Largest |a − b| over a tensor, relative to the tensor's largest |b|, over the tensors of b. */
function relErr(a: Weights, b: Weights): number {
  return Math.max(...Object.keys(b).map((k) => maxRelDiff(a[k].data, b[k].data)));
}

describe.skipIf(!HAVE_SWIFTSHADER)('fused Adam on webgpu', () => {
  let fused: Result;
  let unfused: Result;
  let cpu: Result;

  beforeAll(async () => {
    await registerWebgpu();
    fused = await train('webgpu', true);
    unfused = await train('webgpu', false);
    cpu = await train('cpu', true); // no fused path off webgpu: the tf-op update
  });

  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('moves the parameters as the tf-op update does (relative error < 1e-4), on webgpu and against cpu', () => {
    const start = init(7);
    expect(relErr(fused.params, start)).toBeGreaterThan(1e-3); // the steps did move them
    const errs = {
      params_vs_unfused: relErr(fused.params, unfused.params),
      m_vs_unfused: relErr(fused.state.m, unfused.state.m),
      v_vs_unfused: relErr(fused.state.v, unfused.state.v),
      params_vs_cpu: relErr(fused.params, cpu.params),
      m_vs_cpu: relErr(fused.state.m, cpu.state.m),
      v_vs_cpu: relErr(fused.state.v, cpu.state.v),
    };
    console.log('fused Adam, max relative error', errs);
    for (const [k, e] of Object.entries(errs)) expect(e, k).toBeLessThan(1e-4);
    // A parameter whose gradient was missing at step 1 took the other steps.
    expect(relErr(fused.params, { b: start.b })).toBeGreaterThan(1e-3);
  });

  it('keeps the checkpoint state in the same layout', () => {
    expect(fused.state.t).toBe(STEPS);
    for (const which of ['m', 'v'] as const) {
      expect(Object.keys(fused.state[which]).sort()).toEqual(Object.keys(unfused.state[which]).sort());
      for (const k of Object.keys(SHAPES)) expect(fused.state[which][k].shape, `${which}.${k}`).toEqual(SHAPES[k]);
    }
  });

  it('steps and checkpoints an optimizer of no parameters', async () => {
    await useBackend('webgpu');
    const opt = new Adam({}, 1e-3);
    opt.step({});
    expect(await opt.state()).toEqual({ t: 1, m: {}, v: {} });
    opt.dispose();
  });

  it('takes one dispatch per parameter tensor and two more, and leaves no tensor behind', () => {
    // Step 4 has every gradient, as step 3 had: the concatenated gradients, the new m and v, then each θ.
    expect(fused.dispatches).toBe(2 + Object.keys(SHAPES).length);
    expect(unfused.dispatches).toBeGreaterThan(10 * Object.keys(SHAPES).length);
    // The moments are one flat variable from the start, but named (2 per parameter) after step 1, which missed a
    // gradient, until step 2 packs them again; the checkpoint read after step 2 leaves them packed.
    const [t0, t1, ...rest] = fused.tensors;
    expect(new Set([t0, ...rest]).size).toBe(1);
    expect(t1 - t0).toBe(2 * Object.keys(SHAPES).length - 1);
    expect(new Set(unfused.tensors).size).toBe(1);
  });
});
