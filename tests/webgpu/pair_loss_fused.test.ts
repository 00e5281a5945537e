// The fused logistic pair loss (kernels/webgpu_pair_loss.ts) against the tf-op losses it stands for: Bradley-Terry
// with labels of 1, 0 and ½ (reward.ts), DPO and cDPO against reference log-probabilities (dpo.ts); the same loss and
// score gradients on webgpu (Dawn on SwiftShader) and against cpu, one dispatch each way, nothing left behind; and
// log 2 with gradients ±β(½ − t)/n where every margin is zero, worked out by hand.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_SWIFTSHADER, freeingAtOnce, maxRelDiff, registerWebgpu, useBackend, valueAndGrad, type ValueAndGrad } from './dawn';
import { tf, type Tensor } from '../../src/core/tf';
import { Rng } from '../../src/core/rng';
import { bradleyTerryLoss, stackedBradleyTerryLoss } from '../../src/core/algos/reward';
import { preferenceLoss, stackedPreferenceLoss, type PreferenceLossOptions } from '../../src/core/algos/dpo';
import { useFusedKernels } from '../../src/core/kernels';

const N = 37; // pairs
const DPO: PreferenceLossOptions = { loss: 'sigmoid', beta: 0.1, labelSmoothing: 0 };
const CDPO: PreferenceLossOptions = { loss: 'cdpo', beta: 0.5, labelSmoothing: 0.2 };

type Loss = (scores: Tensor, ref: Tensor, y: Tensor) => Tensor;

/** The losses as the lab calls them (fused on webgpu), and on tf ops from the halves (the reference). */
const CASES: Record<string, { fused: Loss; ops: Loss }> = {
  bradley_terry: {
    fused: (s, _ref, y) => stackedBradleyTerryLoss(s, y),
    ops: (s, _ref, y) => bradleyTerryLoss(tf.slice(s, 0, N), tf.slice(s, N, N), y),
  },
  dpo: {
    fused: (s, ref) => stackedPreferenceLoss(s, ref, DPO),
    ops: (s, ref) => preferenceLoss(tf.slice(s, 0, N), tf.slice(s, N, N), tf.slice(ref, 0, N), tf.slice(ref, N, N), DPO),
  },
  cdpo: {
    fused: (s, ref) => stackedPreferenceLoss(s, ref, CDPO),
    ops: (s, ref) => preferenceLoss(tf.slice(s, 0, N), tf.slice(s, N, N), tf.slice(ref, 0, N), tf.slice(ref, N, N), CDPO),
  },
};

async function run(backend: string, loss: Loss, zero = false): Promise<ValueAndGrad> {
  await useBackend(backend);
  const rng = new Rng(5);
  // Scores as rewards or sequence log-probabilities come: spread wide, some margins far past where σ saturates.
  const s = tf.tensor1d(Float32Array.from({ length: 2 * N }, (_, i) => (zero ? 3 : -40 + (i % 7 === 0 ? 60 : 8) * rng.normal())));
  const ref = tf.tensor1d(Float32Array.from({ length: 2 * N }, () => -40 + 8 * rng.normal()));
  const y = tf.tensor1d(Float32Array.from({ length: N }, (_, i) => [1, 0, 0.5][i % 3]));
  const w = tf.scalar(1.5);
  // The scores, reference and labels are made inside the differentiated function, as the lab's steps make them
  // (tf.grads disposes them when the forward pass ends; freeingAtOnce frees their buffers then).
  const r = await freeingAtOnce(() => valueAndGrad((x) => loss(tf.mul(x, 1), zero ? tf.zerosLike(x) : tf.clone(ref), tf.clone(y)), s, w));
  tf.dispose([s, ref, y, w]);
  return r;
}

describe.skipIf(!HAVE_SWIFTSHADER)('fused pair loss on webgpu', () => {
  const fused: Record<string, ValueAndGrad> = {};
  const ops: Record<string, ValueAndGrad> = {};
  const cpu: Record<string, ValueAndGrad> = {};
  let zero: ValueAndGrad;

  beforeAll(async () => {
    await registerWebgpu();
    for (const [name, c] of Object.entries(CASES)) {
      fused[name] = await run('webgpu', c.fused);
      useFusedKernels(false);
      ops[name] = await run('webgpu', c.fused); // the stacked functions themselves, on tf ops
      useFusedKernels(true);
      cpu[name] = await run('cpu', c.ops);
    }
    zero = await run('webgpu', CASES.bradley_terry.fused, true);
  });

  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('gives the tf-op losses and score gradients (relative error < 1e-5), on webgpu and against cpu', () => {
    for (const name of Object.keys(CASES)) {
      expect(cpu[name].y[0], name).toBeGreaterThan(0.05);
      expect(Math.max(...Array.from(cpu[name].grad, Math.abs)), name).toBeGreaterThan(1e-4);
      for (const [other, r] of [['ops', ops[name]], ['cpu', cpu[name]]] as const) {
        expect(maxRelDiff(fused[name].y, r.y), `${name} loss vs ${other}`).toBeLessThan(1e-5);
        expect(maxRelDiff(fused[name].grad, r.grad), `${name} gradient vs ${other}`).toBeLessThan(1e-5);
      }
    }
  });

  it('is log 2 where every margin is zero, with gradients ±(½ − t)/n, the first half +', () => {
    expect(zero.y[0]).toBeCloseTo(Math.LN2, 6);
    for (let i = 0; i < 2 * N; i++) {
      const t = [1, 0, 0.5][i % N % 3];
      const g = (1.5 * (0.5 - t)) / N; // the weight 1.5 times d/dz at z = 0
      expect(zero.grad[i], `score ${i}`).toBeCloseTo(i < N ? g : -g, 7);
    }
  });

  it('takes one dispatch forward and one backward, and leaves nothing behind', () => {
    console.log('pair loss dispatches: fused', Object.values(fused).map((r) => r.dispatches), 'tf ops', Object.values(ops).map((r) => r.dispatches));
    for (const name of Object.keys(CASES)) {
      // two forwards and a backward, as valueAndGrad counts them, plus the test's own seven (the scores' copy x·1 in
      // both forwards and its backward; the weighted sum: mul and sum, and their backward)
      expect(fused[name].dispatches, name).toBe(3 + 7);
      expect(ops[name].dispatches, name).toBeGreaterThan(3 * fused[name].dispatches);
      expect(fused[name].leaked, name).toBe(0);
      expect(ops[name].leaked, name).toBe(0);
    }
  });
});
