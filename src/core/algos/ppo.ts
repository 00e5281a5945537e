// PPO for RLHF (Ziegler et al. 2019; Stiennon et al. 2020; Ouyang et al. 2022), as RLHF.md gives it:
//   per-token reward   r_t = −β·KL_t, plus the reward model's score on the last token
//   GAE                δ_t = r_t + γ·V(s_{t+1}) − V(s_t),  A_t = Σ_l (γλ)^l δ_{t+l},  returns = A + V
//   clipped objective  ρ = exp(log π − log π_old),  L_π = −E[min(ρA, clip(ρ, 1−ε, 1+ε)A)]
//   value loss         ½·E[max((V − R)², (clip(V, V_old ± ε_v) − R)²)]
//   adaptive KL        e = clip(KL/KL_target − 1, −0.2, 0.2),  β ← β·(1 + e·n_steps/horizon)
// Rollout arithmetic (GAE, whitening) is plain arrays on the host: it is a few hundred numbers per batch.
// The file reads top to bottom like CleanRL's ppo.py (its settings beside it, ppo_config.ts): one iteration (rollout →
// per-token reward with the KL penalty → GAE → epochs × minibatches of clipped losses → metrics), then its pieces.
import { tf, type Tensor } from '../tf';
import { klPerSample, type KlController, type KlEstimator } from './kl';
import { readStacked, stepKeeping, type Params } from '../models/params';
import type { Adam } from '../optim';
import type { Rng } from '../rng';
import type { MetricRow } from '../checkpoint/record';
import type { PpoConfig } from './ppo_config';
import type { PolicyTask, Rollout } from './policy_task';
import { mean } from '../models/reward_norm';

/**
 * One PPO iteration: sample a batch, score it, per-token rewards r_t = −β·KL_t plus the reward on each trajectory's
 * last step, GAE, then `epochs` passes of shuffled minibatches of clipped updates. `kl` is the run's KL controller.
 */
export async function ppoIteration<R extends Rollout>(
  task: PolicyTask<R>,
  o: Omit<PpoConfig, 'algo' | 'lr' | 'iterations' | 'kl_target' | 'kl_horizon'>,
  kl: KlController,
  rng: Rng,
): Promise<MetricRow> {
  const r = await task.rollout(o.batch_size, 1, rng);
  const { B, M, mask, logp: oldLogp, refLogp } = r;
  const oldValues = r.values;
  if (!oldValues) throw new Error('PPO needs a policy with a value head');

  // Per-token rewards: −β·KL_t where there is a reference, the task's own per-step reward, the trajectory's last reward.
  const beta = kl.beta;
  const advantages = new Float32Array(B * M);
  const returns = new Float32Array(B * M);
  const T = r.trajectories.length;
  const [klSeq, klK1, klK3] = [new Float32Array(T), new Float32Array(T), new Float32Array(T)];
  r.trajectories.forEach(({ from, to, last }, i) => {
    const rewards = r.stepRewards ? r.stepRewards.slice(from, to) : new Float32Array(to - from);
    if (refLogp) {
      const [lp, lr] = [oldLogp.subarray(from, to), refLogp.subarray(from, to)];
      const penalty = perTokenKl(lp, lr, o.kl_estimator);
      for (let t = 0; t < penalty.length; t++) rewards[t] -= beta * penalty[t];
      klSeq[i] = penalty.reduce((x, y) => x + y, 0);
      klK1[i] = perTokenKl(lp, lr, 'k1').reduce((x, y) => x + y, 0);
      klK3[i] = perTokenKl(lp, lr, 'k3').reduce((x, y) => x + y, 0);
    }
    rewards[rewards.length - 1] += last;
    const g = gae(rewards, oldValues.subarray(from, to), o.gamma, o.lam);
    advantages.set(g.advantages, from);
    returns.set(g.returns, from);
  });
  const batchAdvantages = r.whiten === 'batch' ? whiten(advantages, mask ?? undefined) : advantages;
  const explained = explainedVariance(returns, oldValues, mask ?? undefined);

  // PPO epochs over shuffled minibatches of rows.
  const rows = Array.from({ length: B }, (_, i) => i);
  const mb = B / o.minibatches;
  const stats: Tensor[] = [];
  let withEntropy = false;
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    for (let i = rows.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [rows[i], rows[j]] = [rows[j], rows[i]];
    }
    for (let k = 0; k < o.minibatches; k++) {
      const pick = rows.slice(k * mb, (k + 1) * mb);
      const gather = (src: Float32Array) => {
        const out = new Float32Array(pick.length * M);
        pick.forEach((row, q) => out.set(src.subarray(row * M, (row + 1) * M), q * M));
        return out;
      };
      // Per minibatch, advantages are whitened as CleanRL's ppo.py does (`norm_adv`).
      const adv = r.whiten === 'minibatch' ? whiten(gather(advantages)) : gather(batchAdvantages);
      const [lpMb, retMb, vMb] = [oldLogp, returns, oldValues].map(gather);
      const maskMb = mask ? gather(mask) : null;
      stats.push(
        tf.tidy(() => {
          const shape = [pick.length, ...r.rowShape];
          const [lpT, advT, retT, vT] = [lpMb, adv, retMb, vMb].map((a) => tf.tensor(a, shape));
          const maskT = maskMb ? tf.tensor(maskMb, shape) : tf.onesLike(advT);
          const batch = { oldLogp: lpT, advantages: advT, returns: retT, oldValues: vT, mask: maskT };
          const forward = () => {
            const f = task.forward(r, pick, true);
            withEntropy = f.entropy !== undefined;
            return { logp: f.logp, values: f.values!, extra: f.entropy ? [tf.mean(f.entropy)] : [] };
          };
          return ppoStep(task.policy.params, task.policy.opt, forward, batch, o);
        }),
      );
    }
  }
  const st = await readStacked(stats);
  const width = withEntropy ? 5 : 4;
  const avg = (j: number) => mean(Array.from({ length: stats.length }, (_, i) => st[i * width + j]));

  const row: MetricRow = { ...r.metrics, ...r.rmMetrics };
  if (refLogp) {
    kl.update(mean(klSeq), B);
    Object.assign(row, {
      'objective/kl': mean(klK1),
      'objective/kl_k3': mean(klK3),
      'objective/kl_coef': beta,
      'objective/rlhf_reward': mean(Float32Array.from(r.score, (sc, b) => sc - beta * klSeq[b])),
    });
  }
  task.show?.(r, r.score);
  Object.assign(row, {
    'objective/entropy': r.entropy ?? avg(4),
    'policy/approxkl': avg(3),
    'policy/clipfrac': avg(2),
    'loss/policy': avg(0),
    'loss/value': avg(1),
    'value/explained_variance': explained,
  });
  return { ...row, ...(await task.afterUpdate?.(r)) };
}

/** Generalized advantage estimation over one trajectory of n steps (V after the last step is 0). */
export function gae(
  rewards: ArrayLike<number>,
  values: ArrayLike<number>,
  gamma: number,
  lam: number,
): { advantages: Float32Array; returns: Float32Array } {
  const n = rewards.length;
  const advantages = new Float32Array(n);
  let next = 0;
  for (let t = n - 1; t >= 0; t--) {
    const nextValue = t + 1 < n ? values[t + 1] : 0;
    const delta = rewards[t] + gamma * nextValue - values[t];
    next = delta + gamma * lam * next;
    advantages[t] = next;
  }
  return { advantages, returns: Float32Array.from(advantages, (a, t) => a + values[t]) };
}

/** (x − mean) / std over the entries where mask is 1 (all when no mask); others become 0. */
export function whiten(x: ArrayLike<number>, mask?: ArrayLike<number>): Float32Array {
  let n = 0;
  let mean = 0;
  for (let i = 0; i < x.length; i++) if (!mask || mask[i]) (mean += x[i]), n++;
  mean /= Math.max(n, 1);
  let v = 0;
  for (let i = 0; i < x.length; i++) if (!mask || mask[i]) v += (x[i] - mean) ** 2;
  const std = Math.sqrt(v / Math.max(n, 1));
  return Float32Array.from(x, (xi, i) => (!mask || mask[i] ? (xi - mean) / (std + 1e-8) : 0));
}

/** Per-token KL penalty terms KL_t from log π and log π_ref of the sampled tokens. */
export function perTokenKl(logp: ArrayLike<number>, logpRef: ArrayLike<number>, estimator: KlEstimator): Float32Array {
  return Float32Array.from({ length: logp.length }, (_, i) => klPerSample(logp[i] - logpRef[i], estimator));
}

/** 1 − Var(R − V)/Var(R) over masked entries: 1 is a perfect critic, 0 no better than a constant. */
export function explainedVariance(returns: ArrayLike<number>, values: ArrayLike<number>, mask?: ArrayLike<number>): number {
  const variance = (f: (i: number) => number) => {
    let n = 0;
    let m = 0;
    for (let i = 0; i < returns.length; i++) if (!mask || mask[i]) (m += f(i)), n++;
    m /= Math.max(n, 1);
    let v = 0;
    for (let i = 0; i < returns.length; i++) if (!mask || mask[i]) v += (f(i) - m) ** 2;
    return v / Math.max(n, 1);
  };
  const vr = variance((i) => returns[i]);
  return vr === 0 ? Number.NaN : 1 - variance((i) => returns[i] - values[i]) / vr;
}

function maskedMean(x: Tensor, mask: Tensor): Tensor {
  return tf.div(tf.sum(tf.mul(x, mask)), tf.maximum(tf.sum(mask), 1));
}

export interface PpoLosses {
  /** L_π, a scalar. */
  policy: Tensor;
  /** Share of tokens with |ρ − 1| > ε. */
  clipfrac: Tensor;
  /** ½·E[(log ρ)²]. */
  approxkl: Tensor;
}

/** The clipped surrogate over tokens where mask is 1; every input has the same shape. */
export function ppoPolicyLoss(logp: Tensor, oldLogp: Tensor, advantages: Tensor, mask: Tensor, clip: number): PpoLosses {
  return tf.tidy(() => {
    const logRatio = tf.sub(logp, oldLogp);
    const ratio = tf.exp(logRatio);
    const unclipped = tf.mul(ratio, advantages);
    const clipped = tf.mul(tf.clipByValue(ratio, 1 - clip, 1 + clip), advantages);
    const policy = tf.neg(maskedMean(tf.minimum(unclipped, clipped), mask));
    const clipfrac = maskedMean(tf.cast(tf.greater(tf.abs(tf.sub(ratio, 1)), clip), 'float32'), mask);
    const approxkl = maskedMean(tf.mul(tf.square(logRatio), 0.5), mask);
    return { policy, clipfrac, approxkl };
  });
}

/** ½·max((V − R)², (V_old + clip(V − V_old, ±ε) − R)²) averaged over masked tokens. */
export function ppoValueLoss(values: Tensor, oldValues: Tensor, returns: Tensor, mask: Tensor, clip: number): Tensor {
  return tf.tidy(() => {
    const clipped = tf.add(oldValues, tf.clipByValue(tf.sub(values, oldValues), -clip, clip));
    const loss = tf.maximum(tf.square(tf.sub(values, returns)), tf.square(tf.sub(clipped, returns)));
    return tf.mul(maskedMean(loss, mask), 0.5);
  });
}

/** What a PPO minibatch holds from its rollout: every tensor has the shape of the log-probabilities. */
export interface PpoBatch {
  oldLogp: Tensor;
  advantages: Tensor;
  returns: Tensor;
  oldValues: Tensor;
  mask: Tensor;
}

/**
 * One gradient step of L = L_π + vf_coef·L_V, where `forward` computes log π and V (and any extra scalars to report)
 * from the current parameters. Returns [L_π, L_V, clipfrac, approxkl, ...extra] stacked, for the caller to read back
 * once per iteration.
 */
export function ppoStep(
  params: Params,
  opt: Adam,
  forward: () => { logp: Tensor; values: Tensor; extra?: Tensor[] },
  b: PpoBatch,
  o: { clip: number; value_clip: number; vf_coef: number },
): Tensor {
  return stepKeeping(params, opt, () => {
    const { logp, values, extra = [] } = forward();
    const pl = ppoPolicyLoss(logp, b.oldLogp, b.advantages, b.mask, o.clip);
    const vl = ppoValueLoss(values, b.oldValues, b.returns, b.mask, o.value_clip);
    return { loss: tf.add(pl.policy, tf.mul(vl, o.vf_coef)), stats: [pl.policy, vl, pl.clipfrac, pl.approxkl, ...extra] };
  });
}
