// The bench's PPO iteration (bench/README.md): 64 completions × 32 new tokens sampled with the KV cache, the reward
// model's score on the last token, reference log-probs, GAE on KL-penalized per-token rewards, then 4 epochs × 4
// minibatches of clipped PPO updates. It is the lab's own PPO (algos/ppo.ts) on the text task's GPT rollout
// (tasks/text/gpt_rollout.ts), with random prompts and the raw reward-model score.
import { tf, type Tensor } from '../tf';
import type { Rng } from '../rng';
import type { GptConfig } from '../models/gpt';
import type { Params } from '../models/params';
import type { Adam } from '../optim';
import { ppoIteration as ppo } from '../algos/ppo';
import { KlController } from '../algos/kl';
import type { PolicyTask } from '../algos/policy_task';
import { gptForward, gptRollout, type GptRollout } from '../tasks/text/gpt_rollout';

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

/** One PPO iteration; returns L_π + vf_coef·L_V averaged over the minibatches, as a scalar. */
export async function ppoIteration(c: GptConfig, m: PpoModels, s: PpoBenchSettings, rng: Rng): Promise<Tensor> {
  const models = { cfg: c, policy: m.policy, reference: m.reference, rm: m.rm };
  const sampling = { maxNew: s.new_tokens, temperature: s.temperature, topK: 0, eos: EOS, pool: 'last' as const };
  const task: PolicyTask<GptRollout> = {
    policy: { params: m.policy, opt: m.opt },
    rollout: (B, _k, r) => {
      const prefixes = Array.from({ length: B }, () => [EOS, ...Array.from({ length: s.prompt_tokens - 1 }, () => r.int(c.V))]);
      return gptRollout(models, prefixes, sampling, (x) => x, r);
    },
    forward: (r, rows, values) => gptForward(models, r, rows, s.temperature, values),
  };
  const o = { ...s, batch_size: s.completions, kl_estimator: 'k1' as const };
  const row = await ppo(task, o, new KlController(s.kl_coef, null, 1), rng);
  return tf.scalar(row['loss/policy'] + s.vf_coef * row['loss/value']);
}
