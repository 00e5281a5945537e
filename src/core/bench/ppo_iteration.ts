// The bench's PPO iteration (bench/README.md): 64 completions × 32 new tokens sampled with the KV cache, the reward
// model's score on the last token, reference log-probs, GAE on KL-penalized per-token rewards, then 4 epochs × 4
// minibatches of clipped PPO updates. The same work as TextLab.policyIteration (tasks/text/text_lab.ts) on random
// prompts and without its metrics, built from the same pieces: models/gpt.ts and algos/ppo.ts.
import { tf, type Tensor } from '../tf';
import type { Rng } from '../rng';
import { gptHidden, gptReward, gptScalarHead, sampleGpt, tokenStats, type GptConfig } from '../models/gpt';
import { gradsOf, type Params } from '../models/params';
import type { Adam } from '../optim';
import { gae, perTokenKl, ppoPolicyLoss, ppoValueLoss, whiten } from '../algos/ppo';

export interface PpoBenchSettings {
  /** Completions per iteration (the rollout batch). */
  completions: number;
  /** Tokens sampled per completion, at most (EOS, token 0, may end one sooner). */
  new_tokens: number;
  /** BOS plus random prompt tokens before each completion. */
  prompt_tokens: number;
  epochs: number;
  minibatches: number;
  /** The surrogate clipping coefficient ε. */
  clip: number;
  /** The value loss's clipping around the old values. */
  value_clip: number;
  vf_coef: number;
  gamma: number;
  lam: number;
  /** β of the per-token KL penalty (fixed here: the controller's update is host arithmetic). */
  kl_coef: number;
  temperature: number;
  lr: number;
}

/** The text preset's PPO settings (experiment/presets.ts) at the bench's batch, epochs and minibatches. */
export const PPO_BENCH: PpoBenchSettings = {
  completions: 64,
  new_tokens: 32,
  prompt_tokens: 8,
  epochs: 4,
  minibatches: 4,
  clip: 0.2,
  value_clip: 0.2,
  vf_coef: 0.1,
  gamma: 1,
  lam: 0.95,
  kl_coef: 0.1,
  temperature: 1,
  lr: 0.0003,
};

const EOS = 0;

export interface PpoModels {
  /** The policy with a value head, trained. */
  policy: Params;
  /** π_ref, frozen. */
  reference: Params;
  /** The reward model (backbone and reward head), frozen. */
  rm: Params;
  opt: Adam;
}

/** One PPO iteration; returns the mean of the minibatches' losses (L_π + vf_coef·L_V), not yet read. */
export async function ppoIteration(c: GptConfig, m: PpoModels, s: PpoBenchSettings, rng: Rng): Promise<Tensor> {
  const B = s.completions;
  const prefixes = Array.from({ length: B }, () => [EOS, ...Array.from({ length: s.prompt_tokens - 1 }, () => rng.int(c.V))]);
  const samples = await sampleGpt(c, m.policy, { prefixes, maxNew: s.new_tokens, temperature: s.temperature, topK: 0, eos: EOS }, rng);
  const { N } = samples;
  const M = N - 1;
  const mask = new Float32Array(B * M);
  const last = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    for (let t = samples.start[b]; t < samples.start[b] + samples.length[b]; t++) mask[b * M + t] = 1;
    last[b] = samples.start[b] + samples.length[b];
  }

  // The rollout's numbers in one readback: log π, V, log π_ref per position and the reward model's score.
  const packed = tf.tidy(() => {
    const ids = tf.tensor2d(samples.ids, [B, N], 'int32');
    const h = gptHidden(c, m.policy, ids);
    const { logp } = tokenStats(c, h, m.policy, ids, s.temperature);
    const values = tf.slice(gptScalarHead(c, m.policy, 'value', h), [0, 0], [B, M]);
    const ref = tokenStats(c, gptHidden(c, m.reference, ids), m.reference, ids, s.temperature).logp;
    const score = gptReward(c, m.rm, ids, last, 'last');
    return tf.concat([tf.reshape(logp, [-1]), tf.reshape(values, [-1]), tf.reshape(ref, [-1]), score]);
  });
  const all = (await packed.data()) as Float32Array;
  packed.dispose();
  const oldLogp = all.slice(0, B * M);
  const oldValues = all.slice(B * M, 2 * B * M);
  const refLogp = all.subarray(2 * B * M, 3 * B * M);
  const score = all.subarray(3 * B * M);

  // r_t = −β·KL_t, plus the score on the last token; GAE per completion; advantages whitened over the batch.
  const advantages = new Float32Array(B * M);
  const returns = new Float32Array(B * M);
  for (let b = 0; b < B; b++) {
    const from = b * M + samples.start[b];
    const to = from + samples.length[b];
    const rewards = Float32Array.from(perTokenKl(oldLogp.subarray(from, to), refLogp.subarray(from, to), 'k1'), (k) => -s.kl_coef * k);
    rewards[rewards.length - 1] += score[b];
    const g = gae(rewards, oldValues.subarray(from, to), s.gamma, s.lam);
    advantages.set(g.advantages, from);
    returns.set(g.returns, from);
  }
  const whitened = whiten(advantages, mask);

  const rows = Array.from({ length: B }, (_, i) => i);
  const mb = B / s.minibatches;
  const losses: Tensor[] = [];
  for (let epoch = 0; epoch < s.epochs; epoch++) {
    for (let i = rows.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [rows[i], rows[j]] = [rows[j], rows[i]];
    }
    for (let k = 0; k < s.minibatches; k++) {
      const pick = rows.slice(k * mb, (k + 1) * mb);
      const gather = (src: Float32Array | Int32Array, width: number, out: Float32Array | Int32Array) => {
        pick.forEach((r, i) => out.set(src.subarray(r * width, (r + 1) * width), i * width));
        return out;
      };
      const shape: [number, number] = [pick.length, M];
      losses.push(
        tf.tidy(() => {
          const ids = tf.tensor2d(gather(samples.ids, N, new Int32Array(pick.length * N)), [pick.length, N], 'int32');
          const [lpT, advT, retT, vT, maskT] = [oldLogp, whitened, returns, oldValues, mask].map((a) =>
            tf.tensor2d(gather(a, M, new Float32Array(pick.length * M)), shape),
          );
          const { value, grads } = gradsOf(m.policy, () => {
            const h = gptHidden(c, m.policy, ids);
            const { logp } = tokenStats(c, h, m.policy, ids, s.temperature);
            const v = tf.slice(gptScalarHead(c, m.policy, 'value', h), [0, 0], shape);
            const pl = ppoPolicyLoss(logp, lpT, advT, maskT, s.clip);
            const vl = ppoValueLoss(v, vT, retT, maskT, s.value_clip);
            return tf.add(pl.policy, tf.mul(vl, s.vf_coef));
          });
          m.opt.step(grads);
          return value;
        }),
      );
    }
  }
  const loss = tf.tidy(() => tf.mean(tf.stack(losses)));
  tf.dispose(losses);
  return loss;
}
