// The character GPT on WebGPU (Dawn on SwiftShader in Node) against the cpu backend, from identical weights and
// data: the language-model loss and its gradients, one PPO update's losses, the reward head, and greedy KV-cache
// sampling (same tokens); no tensors left behind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_SWIFTSHADER, freeingAtOnce, maxAbsDiff, registerWebgpu, useBackend } from './dawn';
import { tf } from '../../src/core/tf';
import { Rng } from '../../src/core/rng';
import { gptHidden, gptReward, gptScalarHead, initGpt, sampleGpt, tokenStats, type GptConfig } from '../../src/core/models/gpt';
import { disposeParams, gradsOf, makeParams } from '../../src/core/models/params';
import { lmLoss } from '../../src/core/algos/sft';
import { ppoPolicyLoss, ppoValueLoss } from '../../src/core/algos/ppo';

const CFG: GptConfig = { V: 34, T: 16, d: 32, L: 2, H: 4, act: 'gelu' };
const B = 4;
const N = 12;

interface Result {
  loss: number;
  grads: Record<string, Float32Array>;
  ppo: Float32Array;
  reward: Float32Array;
  /** Gradients of a reward and a log-probability whose token ids are made inside the differentiated function. */
  inner: Record<string, Float32Array>;
  sampled: Int32Array;
  leaked: number;
}

async function run(backend: string): Promise<Result> {
  await useBackend(backend);
  const rng = new Rng(99);
  const p = makeParams(initGpt(CFG, new Rng(rng.seed()), ['value', 'reward']));
  p.lm_head.assign(tf.mul(p.lm_head, 30)); // decisive greedy choices
  const ids = Int32Array.from({ length: B * N }, () => rng.int(CFG.V));
  const before = tf.memory().numTensors;
  const x = tf.tensor2d(ids, [B, N], 'int32');
  const { value, grads } = gradsOf(p, () => lmLoss(CFG, p, x));
  const loss = (await value.data())[0];
  const g: Record<string, Float32Array> = {};
  for (const [k, t] of Object.entries(grads)) g[k] = (await t.data()) as Float32Array;
  // PPO losses against a perturbed "old" log-probability, with fixed advantages and returns.
  const ppoT = tf.tidy(() => {
    const h = gptHidden(CFG, p, x);
    const { logp } = tokenStats(CFG, h, p, x, 0.9);
    const old = tf.add(logp, tf.tensor2d(Float32Array.from({ length: B * (N - 1) }, (_, i) => ((i % 7) - 3) * 0.1), [B, N - 1]));
    const adv = tf.tensor2d(Float32Array.from({ length: B * (N - 1) }, (_, i) => Math.sin(i)), [B, N - 1]);
    const mask = tf.tensor2d(Float32Array.from({ length: B * (N - 1) }, (_, i) => (i % (N - 1) > 2 ? 1 : 0)), [B, N - 1]);
    const v = tf.slice(gptScalarHead(CFG, p, 'value', h), [0, 0], [B, N - 1]);
    const pl = ppoPolicyLoss(logp, old, adv, mask, 0.2);
    const vl = ppoValueLoss(v, tf.zerosLike(v), adv, mask, 0.2);
    return tf.stack([pl.policy, pl.clipfrac, pl.approxkl, vl]);
  });
  const ppo = (await ppoT.data()) as Float32Array;
  const rT = gptReward(CFG, p, x, Int32Array.from([5, 11, 7, 9]), 'mean', Int32Array.from([1, 2, 0, 3]));
  const reward = (await rT.data()) as Float32Array;
  // The text reward model's step makes its token ids inside the loss: tf.grads disposes them when the forward
  // pass ends, so a fused backward that reads them must keep its own copy (freeingAtOnce frees them then, as a
  // larger model's submits do between its forward and its backward).
  const rows = Array.from(ids.slice(0, B * N));
  const inner = await freeingAtOnce(async () =>
    gradsOf(p, () => {
      const y = tf.tensor2d(rows, [B, N], 'int32'); // read by the embedding alone
      const r = gptReward(CFG, p, y, Int32Array.from([5, 11, 7, 9]), 'mean', Int32Array.from([1, 2, 0, 3]));
      const z = tf.tensor2d(rows.slice().reverse(), [B, N], 'int32');
      const { logp } = tokenStats(CFG, gptHidden(CFG, p, z), p, z, 0.9);
      return tf.add(tf.sum(r), tf.mean(logp));
    }),
  );
  const innerGrads: Record<string, Float32Array> = {};
  for (const [k, t] of Object.entries(inner.grads)) innerGrads[k] = (await t.data()) as Float32Array;
  tf.dispose([inner.value, ...Object.values(inner.grads)]);
  const s = await sampleGpt(CFG, p, { prefixes: [[0, 5, 6], [0, 9], [0, 1, 2, 3], [0]], maxNew: 8, temperature: 0, topK: 0, eos: 0 }, new Rng(1));
  tf.dispose([value, ...Object.values(grads), x, ppoT, rT]);
  const leaked = tf.memory().numTensors - before;
  disposeParams(p);
  return { loss, grads: g, ppo, reward, inner: innerGrads, sampled: s.ids, leaked };
}

describe.skipIf(!HAVE_SWIFTSHADER)('GPT on webgpu vs cpu', () => {
  let gpu: Result;
  let cpu: Result;

  beforeAll(async () => {
    await registerWebgpu();
    gpu = await run('webgpu');
    cpu = await run('cpu');
  });

  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('gives the same language-model loss and gradients', () => {
    expect(cpu.loss).toBeGreaterThan(1);
    expect(Math.abs(gpu.loss - cpu.loss)).toBeLessThan(1e-3);
    expect(Object.keys(gpu.grads).sort()).toEqual(Object.keys(cpu.grads).sort());
    for (const k of Object.keys(cpu.grads)) {
      const scale = Math.max(1e-3, ...Array.from(cpu.grads[k], Math.abs));
      expect(maxAbsDiff(gpu.grads[k], cpu.grads[k]) / scale, k).toBeLessThan(2e-3);
    }
  });

  it('gives the same PPO losses, clip fraction and approx KL, and the same rewards', () => {
    expect(cpu.ppo[1]).toBeGreaterThan(0); // some ratios were clipped
    expect(maxAbsDiff(gpu.ppo, cpu.ppo)).toBeLessThan(1e-3);
    expect(maxAbsDiff(gpu.reward, cpu.reward)).toBeLessThan(1e-3);
  });

  it('gives the same gradients when the token ids are made inside the differentiated function', () => {
    expect(Object.keys(gpu.inner).sort()).toEqual(Object.keys(cpu.inner).sort());
    expect(Object.keys(cpu.inner)).toContain('wte');
    expect(Object.keys(cpu.inner)).toContain('reward.w');
    for (const k of Object.keys(cpu.inner)) {
      const scale = Math.max(1e-3, ...Array.from(cpu.inner[k], Math.abs));
      expect(maxAbsDiff(gpu.inner[k], cpu.inner[k]) / scale, k).toBeLessThan(2e-3);
    }
  });

  it('samples the same tokens greedily with its key/value cache', () => {
    expect(Array.from(gpu.sampled)).toEqual(Array.from(cpu.sampled));
  });

  it('leaves no tensors behind on either backend', () => {
    expect(gpu.leaked).toBe(0);
    expect(cpu.leaked).toBe(0);
  });
});
