// check.json: a few of the run's prompts and completions with the lab's own numbers for them (per-token
// log-probabilities and the completion's log-probability under each exported language model, the reward model's
// raw and normalized score), so anyone can verify a loader of the hf/ folders. Computed with the lab's GPT code on
// the current tfjs backend, one row at a time (no padding to explain).
import { tf } from '../tf';
import type { CheckpointRecord } from './record';
import { gptHidden, gptLogits, gptReward, logSoftmax, maskedSequenceLogp, type GptConfig } from '../models/gpt';
import { disposeParams, makeParams } from '../models/params';
import { BOS, encode } from '../tasks/text/vocab';
import { hfModelsOf, poolingText } from './hf';

/** Rows of check.json: this many labels, both completions of each. */
const CHECK_LABELS = 3;

export interface CheckRow {
  prompt: string;
  completion: string;
  /** BOS + prompt + completion: what the HF tokenizer encodes to `ids`. */
  text: string;
  ids: number[];
  /** Per language model: log π(ids[t+1] | ids[≤t]) for t = 0 … N−2, and their sum over the completion's tokens. */
  policy?: { token_logps: number[]; completion_logp: number };
  reference?: { token_logps: number[]; completion_logp: number };
  reward_model?: { score: number; normalized: number };
}

export interface CheckJson {
  format: 'rlhf-lab-check';
  version: 1;
  tolerance: number;
  temperature: 1;
  pooling?: { kind: 'last' | 'mean'; text: string; first: string };
  models: string[];
  rows: CheckRow[];
}

/** check.json of a text run (null for other tasks). */
export async function hfCheck(record: CheckpointRecord): Promise<CheckJson | null> {
  const models = hfModelsOf(record);
  if (!models.length) return null;
  const e = record.experiment;
  const pairs: [string, string][] = [];
  for (const l of record.labels.slice(0, CHECK_LABELS)) pairs.push([l.prompt ?? '', l.a as string], [l.prompt ?? '', l.b as string]);
  const prompts = (e.task as { prompts: string[] }).prompts;
  if (!pairs.length) pairs.push([prompts[0], ' is\n'], [prompts[prompts.length - 1], '']);
  const rows: CheckRow[] = pairs.map(([prompt, completion]) => ({
    prompt,
    completion,
    text: '\n' + prompt + completion,
    ids: [BOS, ...encode(prompt), ...encode(completion)],
  }));
  for (const model of models) {
    const m = record.models[model];
    const cfg = m.spec.gpt as GptConfig;
    const p = makeParams(m.weights, false);
    try {
      for (const row of rows) {
        const N = row.ids.length;
        const ids = tf.tensor2d(row.ids, [1, N], 'int32');
        if (model === 'reward_model') {
          const pool = e.reward_model.pool;
          const r = gptReward(cfg, p, ids, Int32Array.of(N - 1), pool, Int32Array.of(row.prompt.length));
          const score = (await r.data())[0];
          r.dispose();
          const norm = (m.spec.norm as { mean: number; std: number } | undefined) ?? { mean: 0, std: 1 };
          row.reward_model = { score, normalized: (score - norm.mean) / norm.std };
        } else {
          // Position t predicts token t + 1; the completion's tokens are predicted from |prompt| … N − 2 (as DPO).
          const mask = new Float32Array(N - 1).fill(1, row.prompt.length);
          const [tokens, seq] = tf.tidy(() => {
            const hidden = gptHidden(cfg, p, ids);
            const lp = tf.reshape(logSoftmax(gptLogits(cfg, p, hidden)), [N, cfg.V]);
            const next = tf.oneHot(tf.tensor1d(row.ids.slice(1), 'int32'), cfg.V).cast('float32');
            const tokens = tf.sum(tf.mul(tf.slice(lp, [0, 0], [N - 1, cfg.V]), next), 1);
            return [tokens, maskedSequenceLogp(cfg, hidden, p, ids, tf.tensor2d(mask, [1, N - 1]))];
          });
          const tokenLogps = Array.from(await tokens.data());
          const completionLogp = (await seq.data())[0];
          tf.dispose([tokens, seq]);
          row[model] = { token_logps: tokenLogps, completion_logp: completionLogp };
        }
        ids.dispose();
      }
    } finally {
      disposeParams(p);
    }
  }
  const pool = e.reward_model.pool;
  return {
    format: 'rlhf-lab-check',
    version: 1,
    tolerance: 1e-4,
    temperature: 1,
    ...(models.includes('reward_model')
      ? { pooling: { kind: pool, text: poolingText(pool), first: 'position |prompt| (the last prompt token; BOS is position 0)' } }
      : {}),
    models,
    rows,
  };
}
