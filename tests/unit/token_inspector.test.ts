// The token inspector (core/tasks/text/inspect.ts) on small random GPTs: per-token log π and log π_ref against a
// plain log-softmax of the logits, KL and rewards as PPO builds them, advantages against a hand-summed GAE with
// γ = λ = 1, the reward model's score, no tensor left behind, and clear errors on what it cannot inspect.
import { describe, expect, it } from 'vitest';
import { tf } from '../../src/core/tf';
import { Rng } from '../../src/core/rng';
import { gptHidden, gptLogits, gptReward, gptScalarHead, initGpt, type GptConfig } from '../../src/core/models/gpt';
import { makeParams } from '../../src/core/models/params';
import { inspectCompletion, InspectError } from '../../src/core/tasks/text/inspect';
import { BOS, VOCAB, encode } from '../../src/core/tasks/text/vocab';

const cfg: GptConfig = { V: VOCAB.length, T: 24, d: 16, L: 2, H: 2, act: 'gelu' };
const models = {
  cfg,
  policy: makeParams(initGpt(cfg, new Rng(11), ['value'])),
  reference: makeParams(initGpt(cfg, new Rng(12))),
  rm: makeParams(initGpt(cfg, new Rng(13), ['reward'])),
};
const temperature = 0.8;

/** log softmax(logits/τ) of each next token, in plain numbers: the second implementation. */
async function plainLogps(p: typeof models.policy, ids: number[]): Promise<number[]> {
  const logits = tf.tidy(() => gptLogits(cfg, p, gptHidden(cfg, p, tf.tensor2d([ids], [1, ids.length], 'int32'))));
  const l = ((await logits.array()) as number[][][])[0];
  logits.dispose();
  return ids.slice(1).map((next, t) => {
    const z = l[t].map((x) => x / temperature);
    const m = Math.max(...z);
    return z[next] - m - Math.log(z.reduce((s, x) => s + Math.exp(x - m), 0));
  });
}

describe('token inspector', () => {
  const prompt = 'i feel';
  const completion = ' so good\n';
  const ids = [BOS, ...encode(prompt), ...encode(completion)];
  const first = 1 + encode(prompt).length; // index of the completion's first token

  it('gives each completion token its log π, log π_ref, KL, reward, value and GAE advantage', async () => {
    const settings = { temperature, pool: 'last' as const, normalize: (x: number) => 2 * x + 1, beta: 0.1, estimator: 'k1' as const, gae: { gamma: 1, lam: 1 } };
    await inspectCompletion(models, prompt, completion, settings); // kernels warmed
    const before = tf.memory().numTensors;
    const r = await inspectCompletion(models, prompt, completion, settings);
    expect(tf.memory().numTensors).toBe(before);

    expect(r.tokens.map((t) => t.text).join('')).toBe(completion);
    const lp = (await plainLogps(models.policy, ids)).slice(first - 1);
    const ref = (await plainLogps(models.reference, ids)).slice(first - 1);
    const x = tf.tensor2d([ids], [1, ids.length], 'int32');
    const [raw] = await gptReward(cfg, models.rm, x, Int32Array.of(ids.length - 1), 'last', Int32Array.of(first - 1)).data();
    const values = ((await tf.tidy(() => gptScalarHead(cfg, models.policy, 'value', gptHidden(cfg, models.policy, x))).array()) as number[][])[0].slice(first - 1);
    x.dispose();
    expect(r.proxy).toBeCloseTo(2 * raw + 1, 4);
    const n = completion.length;
    const rewards = Array.from({ length: n }, (_, t) => -0.1 * (lp[t] - ref[t]) + (t === n - 1 ? r.proxy : 0));
    r.tokens.forEach((tok, t) => {
      expect(tok.logp).toBeCloseTo(lp[t], 4);
      expect(tok.refLogp).toBeCloseTo(ref[t], 4);
      expect(tok.kl).toBeCloseTo(lp[t] - ref[t], 4);
      expect(tok.reward).toBeCloseTo(rewards[t], 4);
      expect(tok.value).toBeCloseTo(values[t], 4);
      // γ = λ = 1: the advantage is the reward to go less the value
      expect(tok.advantage).toBeCloseTo(rewards.slice(t).reduce((a, b) => a + b, 0) - values[t], 4);
    });
    // the two random models differ: the KL is not trivially zero
    expect(r.tokens.some((t) => Math.abs(t.kl) > 0.05)).toBe(true);
  });

  it('leaves value and advantage out for a method without a value head, and uses the run’s KL estimator', async () => {
    const r = await inspectCompletion(models, prompt, completion, { temperature, pool: 'last', normalize: (v) => v, beta: 0.5, estimator: 'k3', gae: null });
    expect(r.ppo).toBe(false);
    for (const t of r.tokens) {
      expect(t.value).toBeNull();
      expect(t.advantage).toBeNull();
      const d = t.refLogp - t.logp; // k3 = e^d − 1 − d, never negative
      expect(t.kl).toBeCloseTo(Math.exp(d) - 1 - d, 4);
    }
  });

  it('names an empty completion and one longer than the context', async () => {
    const s = { temperature, pool: 'last' as const, normalize: (v: number) => v, beta: 0, estimator: 'k1' as const, gae: null };
    await expect(inspectCompletion(models, prompt, '', s)).rejects.toThrow(new InspectError('the completion is empty: there is no token to inspect'));
    await expect(inspectCompletion(models, prompt, 'x'.repeat(30), s)).rejects.toThrow(/prompt and completion are 37 tokens, more than the model's context of 24/);
  });
});
