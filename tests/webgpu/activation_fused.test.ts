// The fused webgpu activations (kernels/webgpu_activation.ts) against gpt.ts's tf-op ReLU and GELU: the same values
// and gradients on webgpu (Dawn on SwiftShader) and against cpu, in fewer dispatches, nothing left behind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_SWIFTSHADER, maxRelDiff, registerWebgpu, useBackend, valueAndGrad, type ValueAndGrad } from './dawn';
import { tf } from '../../src/core/tf';
import { Rng } from '../../src/core/rng';
import { activation, type GptConfig } from '../../src/core/models/gpt';
import { useFusedKernels } from '../../src/core/kernels';

const ACTS = ['relu', 'gelu'] as const;

async function run(backend: string, fused: boolean): Promise<ValueAndGrad[]> {
  await useBackend(backend);
  useFusedKernels(fused);
  const rng = new Rng(6);
  // Around zero, where the two differ most, and far out (±20), where GELU's tanh saturates.
  const data = Float32Array.from({ length: 300 }, (_, i) => (i < 20 ? (i - 10) * 2 : 2 * rng.normal()));
  const x = tf.tensor2d(data, [12, 25]);
  const w = tf.tensor2d(Float32Array.from({ length: 300 }, () => rng.normal()), [12, 25]);
  const out: ValueAndGrad[] = [];
  for (const act of ACTS) out.push(await valueAndGrad((xx) => activation({ act } as GptConfig, xx), x, w));
  tf.dispose([x, w]);
  useFusedKernels(true);
  return out;
}

describe.skipIf(!HAVE_SWIFTSHADER)('fused activations on webgpu', () => {
  let on: ValueAndGrad[];
  let off: ValueAndGrad[];
  let cpu: ValueAndGrad[];

  beforeAll(async () => {
    await registerWebgpu();
    on = await run('webgpu', true);
    off = await run('webgpu', false);
    cpu = await run('cpu', true); // off webgpu: the tf-op activations
  });

  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('gives the tf-op values and gradients (relative error < 1e-4), on webgpu and against cpu', () => {
    const errs: Record<string, number> = {};
    ACTS.forEach((act, i) => {
      errs[`${act}_y_vs_unfused`] = maxRelDiff(on[i].y, off[i].y);
      errs[`${act}_y_vs_cpu`] = maxRelDiff(on[i].y, cpu[i].y);
      errs[`${act}_grad_vs_unfused`] = maxRelDiff(on[i].grad, off[i].grad);
      errs[`${act}_grad_vs_cpu`] = maxRelDiff(on[i].grad, cpu[i].grad);
    });
    console.log('fused activations, max relative error', errs);
    for (const [k, e] of Object.entries(errs)) expect(e, k).toBeLessThan(1e-4);
    expect(on.every((r) => r.y.every(Number.isFinite) && r.grad.every(Number.isFinite))).toBe(true);
  });

  it('dispatches less and leaves no tensor behind', () => {
    console.log('activation forward ×2 + backward dispatches: fused', on.map((r) => r.dispatches), 'tf ops', off.map((r) => r.dispatches));
    ACTS.forEach((act, i) => {
      expect(on[i].dispatches, act).toBeLessThan(off[i].dispatches);
      for (const r of [on[i], off[i], cpu[i]]) expect(r.leaked, act).toBe(0);
    });
  });
});
