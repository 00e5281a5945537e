// The fence around tfjs internals (kernels/index.ts): installKernels turns the fast paths on for the tfjs they were
// written for and, on any other, leaves tfjs's own kernels everywhere with a notice naming both versions; it is
// idempotent; the bench's switches cannot turn a fast path on past the version check; the wasm fused kernels are off
// until a host sets the switch; and off webgpu the ops are the plain tf ops, value for value, but on wasm's own
// kernels (tests/unit/wasm_rows.test.ts).
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import '@tensorflow/tfjs-backend-wasm';
import { tf } from '../../src/core/tf';
import {
  KERNELS_TFJS,
  installKernels,
  kernelsInUse,
  kernelsSupport,
  ops,
  plain,
  runningTfjsVersion,
  useKernels,
  wasmFusedKernels,
} from '../../src/core/kernels';

const kernelOf = () => tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc;
const gradientOf = () => tf.getGradient('BatchMatMul')!.gradFunc;
let tfjsKernel: unknown;
let tfjsGradient: unknown;

beforeAll(async () => {
  expect(await tf.setBackend('wasm')).toBe(true);
  await tf.ready();
  useKernels({ wasmMatMulGrad: false, wasmBatchMatMul: false });
  tfjsKernel = kernelOf();
  tfjsGradient = gradientOf();
});
// As a host that never installed them has them: tfjs's own on wasm, the fused switch on.
afterAll(() => {
  installKernels();
  useKernels({ wasmMatMulGrad: false, wasmBatchMatMul: false, fused: true });
});

describe('installKernels', () => {
  it('runs on the tfjs the kernels were written for', () => {
    expect(KERNELS_TFJS).toBe('4.22');
    expect(runningTfjsVersion()).toBe(tf.version_core);
    expect(kernelsSupport(runningTfjsVersion())).toBe(true); // package.json's tfjs; if this fails, so do the fast paths
    for (const v of ['4.22.0', '4.22.1', '4.22.10']) expect(kernelsSupport(v), v).toBe(true);
    for (const v of ['4.21.0', '4.23.0', '4.2.0', '5.22.0', '14.22.0', '4.220.0']) expect(kernelsSupport(v), v).toBe(false);
  });

  it('turns every fast path on, and is idempotent', () => {
    const first = installKernels();
    expect(first).toEqual({ fast: true, tfjs: tf.version_core });
    const ours = kernelOf();
    const ourGradient = gradientOf();
    expect(ours).not.toBe(tfjsKernel);
    expect(ourGradient).not.toBe(tfjsGradient);
    expect(kernelsInUse()).toEqual({ fused: true, wasmMatMulGrad: true, wasmBatchMatMul: true });

    expect(installKernels()).toEqual(first);
    expect(kernelOf()).toBe(ours); // not wrapped twice
    expect(gradientOf()).toBe(ourGradient);
    expect(kernelsInUse()).toEqual({ fused: true, wasmMatMulGrad: true, wasmBatchMatMul: true });
  });

  it("on another tfjs, leaves tfjs's own kernels everywhere and says so, naming both versions", () => {
    installKernels();
    const r = installKernels({ tfjsVersion: '4.99.0' });
    expect(r.fast).toBe(false);
    expect(r.tfjs).toBe('4.99.0');
    expect(r.notice).toContain('4.99.0');
    expect(r.notice).toContain('4.22');
    expect(kernelsInUse()).toEqual({ fused: false, wasmMatMulGrad: false, wasmBatchMatMul: false });
    expect(kernelOf()).toBe(tfjsKernel);
    expect(gradientOf()).toBe(tfjsGradient);

    // Idempotent here too, and the bench's switches cannot turn them on past the check.
    expect(installKernels({ tfjsVersion: '4.99.0' })).toEqual(r);
    expect(useKernels({ fused: true, wasmMatMulGrad: true, wasmBatchMatMul: true })).toEqual({
      fused: false,
      wasmMatMulGrad: false,
      wasmBatchMatMul: false,
    });
    expect(kernelOf()).toBe(tfjsKernel);

    // The right version again: on again.
    expect(installKernels().fast).toBe(true);
    expect(kernelsInUse()).toEqual({ fused: true, wasmMatMulGrad: true, wasmBatchMatMul: true });
  });
});

describe('ops off webgpu', () => {
  it('are the plain tf ops, value for value, with the fused switch on, but for the ops wasm runs on its own kernels', async () => {
    useKernels({ fused: true });
    expect(wasmFusedKernels()).toBe(true);
    const before = tf.memory().numTensors;
    const [x, g, b, w] = [[2, 5], [5], [5], [5, 5]].map((shape, i) =>
      tf.tensor(Array.from({ length: tf.util.sizeFromShape(shape) }, (_, j) => Math.sin(7 * i + j)), shape),
    );
    const cases = tf.tidy(() => [
      [ops.activation('gelu', x), plain.activation('gelu', x)],
      [ops.residual(x, x, w), plain.residual(x, x, w)],
    ]);
    for (const [ours, theirs] of cases) expect(Array.from(await ours.data())).toEqual(Array.from(await theirs.data()));
    // Layer norm on wasm: the lab's kernel (its own order of sums), the same up to float rounding
    const [ours, theirs] = tf.tidy(() => [ops.layerNorm(x, g, b), plain.layerNorm(x, g, b)]);
    const [o, t] = [await ours.data(), await theirs.data()];
    expect(Math.max(...o.map((v, i) => Math.abs(v - t[i])))).toBeLessThan(1e-6);
    tf.dispose([x, g, b, w, ours, theirs, ...cases.flat()]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('the wasm fused kernels', () => {
  it('are off until a host sets the fused switch (pretrain keeps tfjs\'s own), on with it, off with it off', async () => {
    vi.resetModules();
    const fresh = await import('../../src/core/kernels');
    expect(fresh.wasmFusedKernels()).toBe(false); // a host that never installed them: tfjs's own ops on wasm
    fresh.installKernels();
    expect(fresh.wasmFusedKernels()).toBe(true);
    fresh.useKernels({ fused: false });
    expect(fresh.wasmFusedKernels()).toBe(false);
    fresh.useKernels({ fused: true, wasmMatMulGrad: false, wasmBatchMatMul: false }); // as afterAll leaves them
  });
});
