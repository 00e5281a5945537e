// Adam's fused webgpu update (kernels/webgpu_adam.ts) against the tf-op update it replaces: the same parameters and
// moments after several steps (one with a gradient missing, so the per-tensor update runs too, and a checkpoint
// read mid-run), on webgpu (Dawn on SwiftShader) and against the cpu backend; θ and moments written in place, several
// parameters a dispatch, unless another tensor shares a buffer; no tensor left behind; the state unchanged in layout.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_SWIFTSHADER, maxRelDiff, registerWebgpu, useBackend } from './dawn';
import { tf, type Tensor } from '../../src/core/tf';
import { Adam, type AdamState } from '../../src/core/optim';
import { disposeParams, makeParams, readWeights } from '../../src/core/models/params';
import { countDispatches, useFusedKernels } from '../../src/core/kernels';
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
  /** `shared` only: wte when cloned before step 4, and the clone's values at the end. */
  cloned?: Float32Array;
  clone?: Float32Array;
}

/** `shared`: a clone of one parameter is taken before step 4 and held (as a reference model's copy would be). */
async function train(backend: string, fused: boolean, shared = false): Promise<Result> {
  await useBackend(backend);
  const p = makeParams(init(7));
  let clone: Tensor | null = null;
  let cloned: Float32Array | undefined;
  const opt = new Adam(p, 1e-2);
  useFusedKernels(fused);
  const tensors: number[] = [];
  let dispatches: number | null = null;
  for (let s = 0; s < STEPS; s++) {
    if (s === 3) opt.lr = 3e-3; // lr is read at each step
    const g = grads(s);
    if (s === 4 && shared) {
      clone = tf.clone(p.wte);
      cloned = (await p.wte.data()).slice() as Float32Array;
    }
    if (s === 4) dispatches = (await countDispatches(async () => opt.step(g))).dispatches;
    else opt.step(g);
    if (s === 2) await opt.state(); // a checkpoint mid-run, read from the flat moments on webgpu
    tf.dispose(Object.values(g));
    tensors.push(tf.memory().numTensors);
  }
  useFusedKernels(true);
  const result: Result = { params: await readWeights(p), state: await opt.state(), tensors, dispatches };
  if (clone) {
    result.cloned = cloned;
    result.clone = (await clone.data()) as Float32Array;
    clone.dispose();
  }
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
  let shared: Result;

  beforeAll(async () => {
    await registerWebgpu();
    fused = await train('webgpu', true);
    unfused = await train('webgpu', false);
    shared = await train('webgpu', true, true);
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
      params_in_place_vs_not: relErr(fused.params, shared.params),
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

  it('writes θ and the moments in place, as many parameters a dispatch as the device binds, and leaves no tensor behind', async () => {
    // Step 4 has every gradient, as step 3 had: one program per group of parameters (the moments, then θ and the
    // gradient of each, in the device's storage bindings) updates m, v and θ where they are. The lab's device binds
    // what the adapter offers (kernels/webgpu_device.ts): 12 on SwiftShader, so 5 parameters a dispatch, not 3.
    await useBackend('webgpu');
    const adapter = (await navigator.gpu.requestAdapter())!;
    const limit = (tf.backend() as unknown as { device: GPUDevice }).device.limits.maxStorageBuffersPerShaderStage;
    expect(limit).toBe(adapter.limits.maxStorageBuffersPerShaderStage);
    const perDispatch = Math.floor((limit - 1) / 2);
    expect(perDispatch).toBeGreaterThanOrEqual(3);
    expect(fused.dispatches).toBe(Math.ceil(Object.keys(SHAPES).length / perDispatch));
    expect(unfused.dispatches).toBeGreaterThan(10 * Object.keys(SHAPES).length);
    // The moments are one flat variable from the start, but named (2 per parameter) after step 1, which missed a
    // gradient, until step 2 packs them again; the checkpoint read after step 2 leaves them packed.
    const [t0, t1, ...rest] = fused.tensors;
    expect(new Set([t0, ...rest]).size).toBe(1);
    expect(t1 - t0).toBe(2 * Object.keys(SHAPES).length - 1);
    expect(new Set(unfused.tensors).size).toBe(1);
  });

  it('updates in place past 65,535 workgroups of 64 (a 2-D dispatch) as the tf-op update does', async () => {
    await useBackend('webgpu');
    const n = 65_535 * 64 + 4_321; // one more row of workgroups, partly filled
    const rng = new Rng(5);
    const w = { big: { shape: [n], data: Float32Array.from({ length: n }, () => rng.normal()) } };
    const g = Float32Array.from({ length: n }, () => rng.normal());
    const step = async (fused: boolean) => {
      useFusedKernels(fused);
      const p = makeParams(w);
      const opt = new Adam(p, 1e-2);
      const grad = tf.tensor1d(g);
      opt.step({ big: grad });
      const out = (await p.big.data()) as Float32Array;
      tf.dispose(grad);
      opt.dispose();
      disposeParams(p);
      useFusedKernels(true);
      return out;
    };
    const [on, off] = [await step(true), await step(false)];
    expect(maxRelDiff(on, w.big.data)).toBeGreaterThan(1e-3); // it moved, the last elements too
    expect(Math.abs(on[n - 1] - w.big.data[n - 1])).toBeGreaterThan(1e-3);
    expect(maxRelDiff(on, off)).toBe(0);
  });

  it('leaves a buffer another tensor shares alone: the clone keeps its values, and the step takes a dispatch per parameter', () => {
    expect(shared.clone!.length).toBe(init(7).wte.data.length);
    expect(Array.from(shared.clone!)).toEqual(Array.from(shared.cloned!));
    expect(maxRelDiff(shared.params.wte.data, shared.cloned!)).toBeGreaterThan(1e-4); // wte itself moved on
    // the concatenated gradients, the new m and v, then each θ into a fresh buffer
    expect(shared.dispatches).toBe(2 + Object.keys(SHAPES).length);
    expect(relErr(shared.params, fused.params)).toBe(0);
  });
});
