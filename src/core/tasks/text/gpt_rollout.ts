// A GPT policy as the algorithms see it (algos/policy_task.ts): completions sampled with the KV cache, then one
// batched forward pass and one readback of what every policy-gradient method reads (per-token log π, V, log π_ref,
// entropies, the reward model's score on each completion). The text lab and the bench's PPO iteration share it.
import { tf } from '../../tf';
import type { Rng } from '../../rng';
import { gptHidden, gptReward, gptScalarHead, sampleGpt, tokenStats, type GptConfig, type Samples } from '../../models/gpt';
import type { Params } from '../../models/params';
import type { Forward, Rollout } from '../../algos/policy_task';

export interface GptModels {
  cfg: GptConfig;
  /** The policy with a value head. */
  policy: Params;
  /** π_ref, frozen. */
  reference: Params;
  /** The reward model: a backbone with a scalar head. */
  rm: Params;
}

export interface GptSampling {
  maxNew: number;
  temperature: number;
  topK: number;
  eos: number;
  /** Where the reward model's head reads: the last token, or the mean over the completion's tokens. */
  pool: 'last' | 'mean';
}

/** The rollout's numbers of a batch of completions, with the samples (for the forward pass again). */
export interface GptRollout extends Rollout {
  samples: Samples;
  /** [B]: the reward model's raw score of each completion. */
  rawScore: Float32Array;
}

/**
 * Where each row's sampled tokens are predicted: mask [B, N − 1] is 1 at positions start … start + length − 1 (position
 * t predicts token t + 1), and `last` is each row's final token.
 */
export function completionMask(s: Samples): { M: number; mask: Float32Array; last: Int32Array } {
  const M = s.N - 1;
  const mask = new Float32Array(s.B * M);
  const last = new Int32Array(s.B);
  for (let b = 0; b < s.B; b++) {
    mask.fill(1, b * M + s.start[b], b * M + s.start[b] + s.length[b]);
    last[b] = s.start[b] + s.length[b];
  }
  return { M, mask, last };
}

/**
 * Completions of `prefixes` under the policy, scored in one readback. `normalize` maps the reward model's raw score
 * to the reward the policy sees; each completion is one trajectory whose reward comes on its last token.
 */
export async function gptRollout(
  m: GptModels,
  prefixes: number[][],
  sampling: GptSampling,
  normalize: (raw: number) => number,
  rng: Rng,
): Promise<GptRollout> {
  const { cfg } = m;
  const B = prefixes.length;
  const s = await sampleGpt(cfg, m.policy, { prefixes, maxNew: sampling.maxNew, temperature: sampling.temperature, topK: sampling.topK, eos: sampling.eos }, rng);
  const { N } = s;
  const { M, mask, last } = completionMask(s);
  const packed = tf.tidy(() => {
    const ids = tf.tensor2d(s.ids, [B, N], 'int32');
    const h = gptHidden(cfg, m.policy, ids);
    const { logp, entropy } = tokenStats(cfg, h, m.policy, ids, sampling.temperature);
    const values = tf.slice(gptScalarHead(cfg, m.policy, 'value', h), [0, 0], [B, M]);
    const ref = tokenStats(cfg, gptHidden(cfg, m.reference, ids), m.reference, ids, sampling.temperature).logp;
    const score = gptReward(cfg, m.rm, ids, last, sampling.pool, s.start);
    return tf.concat([tf.reshape(logp, [-1]), tf.reshape(entropy, [-1]), tf.reshape(values, [-1]), tf.reshape(ref, [-1]), score]);
  });
  const all = (await packed.data()) as Float32Array;
  packed.dispose();
  const entropy = all.subarray(B * M, 2 * B * M);
  const rawScore = all.slice(4 * B * M);
  const score = Float32Array.from(rawScore, normalize);
  let entropySum = 0;
  let tokens = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) (entropySum += entropy[i]), tokens++;
  return {
    B,
    M,
    rowShape: [M],
    maxLength: sampling.maxNew,
    mask,
    logp: all.slice(0, B * M),
    values: all.slice(2 * B * M, 3 * B * M),
    refLogp: all.slice(3 * B * M, 4 * B * M),
    score,
    stepRewards: null,
    trajectories: Array.from({ length: B }, (_, b) => ({ from: b * M + s.start[b], to: b * M + s.start[b] + s.length[b], last: score[b] })),
    whiten: 'batch',
    entropy: entropySum / Math.max(tokens, 1),
    metrics: {},
    rmMetrics: {},
    samples: s,
    rawScore,
  };
}

/** log π (and V) of rows of a rollout under the policy's current weights, [rows, M]. */
export function gptForward(m: Pick<GptModels, 'cfg' | 'policy'>, r: GptRollout, rows: number[], temperature: number, values = false): Forward {
  const { N } = r.samples;
  const idsMb = new Int32Array(rows.length * N);
  rows.forEach((row, i) => idsMb.set(r.samples.ids.subarray(row * N, (row + 1) * N), i * N));
  const ids = tf.tensor2d(idsMb, [rows.length, N], 'int32');
  const h = gptHidden(m.cfg, m.policy, ids);
  const { logp } = tokenStats(m.cfg, h, m.policy, ids, temperature);
  return values ? { logp, values: tf.slice(gptScalarHead(m.cfg, m.policy, 'value', h), [0, 0], [rows.length, r.M]) } : { logp };
}
