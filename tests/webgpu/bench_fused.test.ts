// One language-model step of the bench (forward, cross-entropy, backward, Adam) on webgpu (Dawn on SwiftShader)
// with the fused kernels (kernels/webgpu_*.ts) on and off: the same loss over three steps, fewer dispatches, no
// tensor left behind; and a DPO step likewise. A GPT smaller than gpt-tiny: SwiftShader is slow.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_SWIFTSHADER, registerWebgpu, useBackend } from './dawn';
import { tf } from '../../src/core/tf';
import { benchWorkload, type BenchResult } from '../../src/core/bench/measure';
import { fusedKernels } from '../../src/core/kernels';
import type { BenchModel } from '../../src/core/bench/workloads';

const models: Record<string, BenchModel> = {
  'gpt-test': { V: 32, T: 16, d: 32, L: 2, H: 4, B: 4, act: 'relu', linear_bias: false, lr: 0.003 },
};

describe.skipIf(!HAVE_SWIFTSHADER)('the bench lm step with and without the fused webgpu kernels', () => {
  let on: BenchResult;
  let off: BenchResult;
  let dpo: BenchResult[];

  beforeAll(async () => {
    await registerWebgpu();
    await useBackend('webgpu');
    // 1 warm-up and 1 counted step, then 2 timed: the reported loss is the 4th step's, after 3 Adam updates.
    on = await benchWorkload('gpt-test:lm', { steps: 2, warmup: 1, models, fused: true });
    off = await benchWorkload('gpt-test:lm', { steps: 2, warmup: 1, models, fused: false });
    // DPO: the token log-probabilities of a policy under the tape and of a reference outside it.
    dpo = [];
    for (const fused of [true, false]) dpo.push(await benchWorkload('gpt-test:dpo', { steps: 1, warmup: 1, models, fused }));
  });

  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('trains to the same loss (relative error < 1e-4)', () => {
    expect(on.fused).toBe(true);
    expect(off.fused).toBe(false);
    expect(fusedKernels()).toBe(true); // benchWorkload puts the lab's default back
    expect(on.loss).toBeGreaterThan(1);
    expect(Math.abs(on.loss - off.loss) / off.loss).toBeLessThan(1e-4);
    expect(Math.abs(dpo[0].loss - dpo[1].loss) / dpo[1].loss).toBeLessThan(1e-4);
  });

  it('dispatches less and leaves no tensor behind', () => {
    console.log('gpt-test lm dispatches per step: fused', on.dispatches_per_step, 'tf ops', off.dispatches_per_step);
    // 21 parameter tensors: Adam alone goes from ~13 to 3 dispatches each.
    expect(off.dispatches_per_step - on.dispatches_per_step).toBeGreaterThan(21 * 10);
    expect(on.tensors_after).toBe(on.tensors_before);
    expect(off.tensors_after).toBe(off.tensors_before);
    expect(dpo[0].dispatches_per_step).toBeLessThan(dpo[1].dispatches_per_step);
    for (const r of dpo) expect(r.tensors_after).toBe(r.tensors_before);
  });
});
