// The fused webgpu causal attention (kernels/webgpu_attention.ts) against gpt.ts's tf-op attention: the same merged
// heads and the same gradient with respect to the qkv projection, on webgpu (Dawn on SwiftShader) and against cpu,
// in 3 dispatches instead of tens, nothing left behind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_SWIFTSHADER, maxRelDiff, registerWebgpu, useBackend, valueAndGrad, type ValueAndGrad } from './dawn';
import { tf, type Tensor } from '../../src/core/tf';
import { Rng } from '../../src/core/rng';
import { attention, causalMask, type GptConfig } from '../../src/core/models/gpt';
import { fusedCausalAttention } from '../../src/core/kernels/webgpu_attention';

const CFG: GptConfig = { V: 8, T: 24, d: 48, L: 1, H: 3, act: 'relu' }; // dh 16
const [B, N] = [3, 23]; // 3·3·23 = 207 rows of queries: more than one 64-thread workgroup

type Attn = (qkv: Tensor) => Tensor;
const unfused: Attn = (qkv) => tf.tidy(() => attention(CFG, qkv, causalMask(N), B, N));
const fused: Attn = (qkv) => fusedCausalAttention(qkv, { B, N, H: CFG.H, d: CFG.d });

async function run(backend: string, f: Attn): Promise<ValueAndGrad> {
  await useBackend(backend);
  const rng = new Rng(4);
  const qkv = tf.tensor2d(Float32Array.from({ length: B * N * 3 * CFG.d }, () => 1.5 * rng.normal()), [B * N, 3 * CFG.d]);
  const w = tf.tensor2d(Float32Array.from({ length: B * N * CFG.d }, () => rng.normal()), [B * N, CFG.d]);
  const r = await valueAndGrad(f, qkv, w);
  tf.dispose([qkv, w]);
  return r;
}

describe.skipIf(!HAVE_SWIFTSHADER)('fused causal attention on webgpu', () => {
  let on: ValueAndGrad;
  let off: ValueAndGrad;
  let cpu: ValueAndGrad;

  beforeAll(async () => {
    await registerWebgpu();
    on = await run('webgpu', fused);
    off = await run('webgpu', unfused);
    cpu = await run('cpu', unfused);
  });

  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('gives the tf-op output and qkv gradient (relative error < 1e-4), on webgpu and against cpu', () => {
    const errs = {
      y_vs_unfused: maxRelDiff(on.y, off.y),
      y_vs_cpu: maxRelDiff(on.y, cpu.y),
      dqkv_vs_unfused: maxRelDiff(on.grad, off.grad),
      dqkv_vs_cpu: maxRelDiff(on.grad, cpu.grad),
    };
    console.log('fused attention, max relative error', errs);
    expect(on.y.length).toBe(B * N * CFG.d);
    expect(on.grad.length).toBe(B * N * 3 * CFG.d);
    expect(Math.max(...Array.from(cpu.grad, Math.abs))).toBeGreaterThan(0.1);
    for (const [k, e] of Object.entries(errs)) expect(e, k).toBeLessThan(1e-4);
  });

  it('dispatches less and leaves no tensor behind', () => {
    console.log('attention forward ×2 + backward dispatches: fused', on.dispatches, 'tf ops', off.dispatches);
    expect(off.dispatches - on.dispatches).toBeGreaterThan(20);
    expect(on.leaked).toBe(0);
    expect(off.leaked).toBe(0);
    expect(cpu.leaked).toBe(0);
  });
});
