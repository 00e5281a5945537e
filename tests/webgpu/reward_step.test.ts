// One Bradley-Terry step of the reward model on WebGPU (Dawn on SwiftShader in Node) gives the numbers the cpu
// backend gives: same loss, same gradients, same Adam-updated weights, from identical weights and data.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_SWIFTSHADER, maxAbsDiff, registerWebgpu, useBackend } from './dawn';
import { tf } from '../../src/core/tf';
import { Rng } from '../../src/core/rng';
import { initMlp, mlpApply, type MlpSpec } from '../../src/core/models/mlp';
import { disposeParams, gradsOf, makeParams, readWeights, type Weights } from '../../src/core/models/params';
import { bradleyTerryLoss } from '../../src/core/algos/reward';
import { Adam } from '../../src/core/optim';

const SPEC: MlpSpec = { inputs: 2, hidden: [64, 64], activation: 'relu', input_scale: 3 };
const N = 64;

/** Identical inputs for both backends: weights from a seeded init, points in the plane, mixed labels. */
function fixture(): { weights: Weights; a: Float32Array; b: Float32Array; y: Float32Array } {
  const rng = new Rng(2024);
  const weights = initMlp(SPEC, new Rng(rng.seed()));
  const a = Float32Array.from({ length: 2 * N }, () => 6 * rng.uniform() - 3);
  const b = Float32Array.from({ length: 2 * N }, () => 6 * rng.uniform() - 3);
  const y = Float32Array.from({ length: N }, (_, i) => (i % 5 === 4 ? 0.5 : rng.uniform() < 0.5 ? 1 : 0));
  return { weights, a, b, y };
}

interface StepResult {
  loss: number;
  grads: Record<string, Float32Array>;
  weights: Weights;
  leaked: number;
}

/** One step on the given backend, read back with data() only (never dataSync on webgpu). */
async function oneStep(backend: string): Promise<StepResult> {
  await useBackend(backend);
  const { weights, a, b, y } = fixture();
  const params = makeParams(weights);
  const opt = new Adam(params, 0.003);
  const before = tf.memory().numTensors;
  const [ta, tb, ty] = [tf.tensor2d(a, [N, 2]), tf.tensor2d(b, [N, 2]), tf.tensor1d(y)];
  const { value, grads } = gradsOf(params, () => bradleyTerryLoss(mlpApply(SPEC, params, ta), mlpApply(SPEC, params, tb), ty));
  opt.step(grads);
  const loss = (await value.data())[0];
  const g: Record<string, Float32Array> = {};
  for (const [k, t] of Object.entries(grads)) g[k] = (await t.data()) as Float32Array;
  tf.dispose([value, ...Object.values(grads), ta, tb, ty]);
  const leaked = tf.memory().numTensors - before;
  const updated = await readWeights(params);
  opt.dispose();
  disposeParams(params);
  return { loss, grads: g, weights: updated, leaked };
}

describe.skipIf(!HAVE_SWIFTSHADER)('reward-model step on webgpu vs cpu', () => {
  let gpu: StepResult;
  let cpu: StepResult;

  beforeAll(async () => {
    await registerWebgpu();
    gpu = await oneStep('webgpu');
    cpu = await oneStep('cpu');
  });

  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('ran on a WebGPU adapter', () => {
    expect(tf.findBackend('webgpu')).toBeTruthy();
  });

  it('gives the same loss within 1e-4', () => {
    expect(Number.isFinite(gpu.loss)).toBe(true);
    // a freshly initialized model scores near 0: the loss is near log 2 ≈ 0.693
    expect(cpu.loss).toBeGreaterThan(0.3);
    expect(cpu.loss).toBeLessThan(1.5);
    expect(Math.abs(gpu.loss - cpu.loss)).toBeLessThan(1e-4);
  });

  it('gives the same gradients within 1e-4', () => {
    expect(Object.keys(gpu.grads).sort()).toEqual(Object.keys(cpu.grads).sort());
    expect(Object.keys(cpu.grads).sort()).toEqual(['b0', 'b1', 'b2', 'w0', 'w1', 'w2']);
    for (const k of Object.keys(cpu.grads)) expect(maxAbsDiff(gpu.grads[k], cpu.grads[k]), k).toBeLessThan(1e-4);
  });

  it('gives the same Adam-updated weights within 1e-4, and they moved', () => {
    const init = fixture().weights;
    for (const k of Object.keys(cpu.weights)) {
      expect(maxAbsDiff(gpu.weights[k].data, cpu.weights[k].data), k).toBeLessThan(1e-4);
    }
    // The first Adam step moves each weight with a non-zero gradient by ≈ lr = 0.003.
    expect(maxAbsDiff(cpu.weights.w1.data, init.w1.data)).toBeCloseTo(0.003, 4);
  });

  it('leaves no tensors behind on either backend', () => {
    expect(gpu.leaked).toBe(0);
    expect(cpu.leaked).toBe(0);
  });
});
