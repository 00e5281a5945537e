// The wasm backend's matMul gradient through XNNPACK's plain product gives tfjs-core's gradients (within float
// rounding) for a whole GPT loss, and leaves other backends on tfjs-core's own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '@tensorflow/tfjs-backend-wasm';
import { tf } from '../../src/core/tf';
import { Rng } from '../../src/core/rng';
import { makeParams, disposeParams } from '../../src/core/models/params';
import { referenceWeights } from '../../src/core/bench/workloads';
import { useWasmMatMulGradient } from '../../src/core/kernels/wasm_matmul_grad';
import { SMALL_GPT, expectGradsClose, lmGrads } from './wasm_gpt';

beforeAll(async () => {
  expect(await tf.setBackend('wasm')).toBe(true);
  await tf.ready();
});
afterAll(() => useWasmMatMulGradient(false));

describe('useWasmMatMulGradient', () => {
  it('gives the gradients of tfjs-core on every GPT parameter, within 1e-5 of the largest', async () => {
    const p = makeParams(referenceWeights(SMALL_GPT, 'lm', new Rng(1)));
    useWasmMatMulGradient(false);
    const core = await lmGrads(SMALL_GPT, p);
    const before = tf.memory().numTensors;
    useWasmMatMulGradient(true);
    const ours = await lmGrads(SMALL_GPT, p);
    expect(tf.memory().numTensors).toBe(before);
    expectGradsClose(ours, core, 1e-5);
    disposeParams(p);
  });

  it('changes nothing on another backend, and turns off to the gradient of tfjs-core', async () => {
    useWasmMatMulGradient(false);
    const core = tf.getGradient('BatchMatMul');
    useWasmMatMulGradient(true);
    expect(tf.getGradient('BatchMatMul')).not.toBe(core);
    await tf.setBackend('cpu');
    const x = tf.variable(tf.tensor2d([[1, 2], [3, 4]]));
    const w = tf.tensor2d([[0.5, -1], [2, 0.25]]);
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.matMul(x, w)) as tf.Scalar, [x]);
    // d/dX sum(X·W) = 1·Wᵀ: every row holds W's row sums.
    expect(Array.from(await grads[x.name].data())).toEqual([-0.5, 2.25, -0.5, 2.25]);
    tf.dispose([x, w, value, grads[x.name]]);
    useWasmMatMulGradient(false);
    expect(tf.getGradient('BatchMatMul')).toBe(core);
    await tf.setBackend('wasm');
  });
});
