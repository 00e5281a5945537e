// The wasm backend's matMul gradient through XNNPACK's plain product gives tfjs-core's gradients (within float
// rounding) for a whole GPT loss, and leaves other backends on tfjs-core's own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '@tensorflow/tfjs-backend-wasm';
import { tf } from '../../src/core/tf';
import { Rng } from '../../src/core/rng';
import { gradsOf, makeParams, disposeParams, type Params } from '../../src/core/models/params';
import { referenceWeights, tokenLogp } from '../../src/core/bench/workloads';
import { useWasmMatMulGradient } from '../../src/core/kernels/wasm_matmul_grad';
import type { GptConfig } from '../../src/core/models/gpt';

const cfg: GptConfig = { V: 16, T: 24, d: 32, L: 2, H: 4, act: 'relu' };

beforeAll(async () => {
  expect(await tf.setBackend('wasm')).toBe(true);
  await tf.ready();
});
afterAll(() => useWasmMatMulGradient(false));

async function lmGrads(p: Params, on: boolean): Promise<Record<string, Float32Array>> {
  useWasmMatMulGradient(on);
  const rng = new Rng(3);
  const ids = tf.tensor2d(Int32Array.from({ length: 6 * cfg.T }, () => rng.int(cfg.V)), [6, cfg.T], 'int32');
  const targets = tf.tensor2d(Int32Array.from({ length: 6 * cfg.T }, () => rng.int(cfg.V)), [6, cfg.T], 'int32');
  const { value, grads } = gradsOf(p, () => tf.neg(tf.mean(tokenLogp(cfg, p, ids, targets))));
  const out: Record<string, Float32Array> = {};
  for (const [k, g] of Object.entries(grads)) out[k] = (await g.data()) as Float32Array;
  tf.dispose([value, ids, targets, ...Object.values(grads)]);
  return out;
}

describe('useWasmMatMulGradient', () => {
  it('gives the gradients of tfjs-core on every GPT parameter, within 1e-5 of the largest', async () => {
    const p = makeParams(referenceWeights(cfg, 'lm', new Rng(1)));
    const core = await lmGrads(p, false);
    const before = tf.memory().numTensors;
    const ours = await lmGrads(p, true);
    expect(tf.memory().numTensors).toBe(before);
    expect(Object.keys(ours).sort()).toEqual(Object.keys(core).sort());
    for (const [k, g] of Object.entries(core)) {
      let scale = 0;
      let diff = 0;
      for (let i = 0; i < g.length; i++) {
        scale = Math.max(scale, Math.abs(g[i]));
        diff = Math.max(diff, Math.abs(g[i] - ours[k][i]));
      }
      expect(scale, k).toBeGreaterThan(0);
      expect(diff, k).toBeLessThan(1e-5 * Math.max(scale, 1));
    }
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
