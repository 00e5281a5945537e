// The token inspector: one (prompt, completion) of the text task, character by character, as PPO sees it.
// For each completion token t (RLHF.md, Ziegler et al. 2019):
//   log π(t), log π_ref(t)     under the policy and the frozen reference, at the sampling temperature
//   KL_t                       the per-token penalty's estimate (k1: log π − log π_ref, or k3), the run's estimator
//   reward_t                   −β·KL_t, plus the reward model's normalized score on the last token
//   V(t), A_t                  PPO only: the value head, and GAE over this completion alone (γ, λ of the run),
//                              before the batch whitening PPO applies to a batch's advantages
// One forward pass per model and one readback; the arithmetic after it is PPO's own (perTokenKl, gae).
import { tf } from '../../tf';
import { gptHidden, gptReward, gptScalarHead, tokenStats } from '../../models/gpt';
import { gae, perTokenKl } from '../../algos/ppo';
import type { KlEstimator } from '../../algos/kl';
import type { GptModels } from './gpt_rollout';
import { BOS, EOS, decode, encode } from './vocab';

export interface InspectedToken {
  /** The character (a final line break is the end of the completion). */
  text: string;
  logp: number;
  refLogp: number;
  kl: number;
  reward: number;
  /** PPO's value and advantage at this token; null for methods without a value head. */
  value: number | null;
  advantage: number | null;
}

export interface TokenInspection {
  prompt: string;
  completion: string;
  tokens: InspectedToken[];
  /** The reward model's normalized score (on the last token). */
  proxy: number;
  /** β of the per-token penalty the rewards were built with. */
  beta: number;
  estimator: KlEstimator;
  /** Whether value and advantage are PPO's (the run optimizes with PPO). */
  ppo: boolean;
}

export interface InspectSettings {
  temperature: number;
  pool: 'last' | 'mean';
  normalize: (raw: number) => number;
  beta: number;
  estimator: KlEstimator;
  /** γ and λ of PPO's GAE; null where the run is not PPO (no value or advantage shown). */
  gae: { gamma: number; lam: number } | null;
}

export class InspectError extends Error {}

export async function inspectCompletion(m: GptModels, prompt: string, completion: string, s: InspectSettings): Promise<TokenInspection> {
  if (!completion.length) throw new InspectError('the completion is empty: there is no token to inspect');
  const prefix = [BOS, ...encode(prompt)];
  const ids = [...prefix, ...encode(completion)];
  if (ids.length > m.cfg.T) {
    throw new InspectError(`prompt and completion are ${ids.length} tokens, more than the model's context of ${m.cfg.T}: inspect a shorter sample`);
  }
  const N = ids.length;
  // position t predicts token t + 1: the completion's tokens are predicted at positions start … N − 2
  const start = prefix.length - 1;
  const n = N - 1 - start;
  const packed = tf.tidy(() => {
    const x = tf.tensor2d(Int32Array.from(ids), [1, N], 'int32');
    const h = gptHidden(m.cfg, m.policy, x);
    const pick = (t: tf.Tensor) => tf.reshape(tf.slice(t, [0, start], [1, n]), [n]);
    const logp = pick(tokenStats(m.cfg, h, m.policy, x, s.temperature).logp);
    const values = pick(gptScalarHead(m.cfg, m.policy, 'value', h));
    const ref = pick(tokenStats(m.cfg, gptHidden(m.cfg, m.reference, x), m.reference, x, s.temperature).logp);
    const score = gptReward(m.cfg, m.rm, x, Int32Array.of(N - 1), s.pool, Int32Array.of(start));
    return tf.concat([logp, ref, values, score]);
  });
  const all = (await packed.data()) as Float32Array;
  packed.dispose();
  const logp = all.subarray(0, n);
  const refLogp = all.subarray(n, 2 * n);
  const values = all.subarray(2 * n, 3 * n);
  const proxy = s.normalize(all[3 * n]);
  const kl = perTokenKl(logp, refLogp, s.estimator);
  const rewards = Float32Array.from(kl, (k) => -s.beta * k);
  rewards[n - 1] += proxy;
  const adv = s.gae ? gae(rewards, values, s.gae.gamma, s.gae.lam).advantages : null;
  const chars = ids.slice(prefix.length);
  return {
    prompt,
    completion,
    tokens: chars.map((id, t) => ({
      text: id === EOS ? '\n' : decode([id]),
      logp: logp[t],
      refLogp: refLogp[t],
      kl: kl[t],
      reward: rewards[t],
      value: s.gae ? values[t] : null,
      advantage: adv ? adv[t] : null,
    })),
    proxy,
    beta: s.beta,
    estimator: s.estimator,
    ppo: s.gae !== null,
  };
}
