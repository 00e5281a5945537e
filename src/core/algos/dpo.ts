// Direct preference optimization (Rafailov et al. 2023), as RLHF.md gives it: with sequence log-probabilities
// summed over the completion's tokens,
//   h = β·[(log π(y_w) − log π_ref(y_w)) − (log π(y_l) − log π_ref(y_l))],   L = −log σ(h),
// averaged over pairs: TRL's `-F.logsigmoid(beta * logits).mean()`. The implicit reward of a completion is
// β·(log π(y) − log π_ref(y)). IPO and conservative DPO change only the loss of h. RPO (Pang et al. 2024) adds
// α·NLL(y_w), the chosen completions' mean per-token negative log-likelihood: TRL's `rpo_alpha`.
// The offline methods beside it (simpo.ts, orpo.ts, kto.ts) share its batch and its evaluation (below).
import { tf, type Tensor } from '../tf';
import { logSigmoid } from './reward';
import { ops } from '../kernels';
import { stepReading } from '../models/params';
import { rowKl } from './kl';
import { sampledRow } from './reinforce';
import type { Rng } from '../rng';
import type { Label } from '../feedback/labelers';
import type { MetricRow } from '../checkpoint/record';
import type { DpoConfig } from './dpo_config';
import type { PolicyTask, Rollout } from './policy_task';

/**
 * One DPO (IPO, cDPO) step on batch_size comparisons drawn from the run's decisive labels, then eval_samples fresh
 * samples of the policy for gold reward and KL. Ties carry no preference for DPO and are left out.
 */
export async function dpoIteration(task: PolicyTask, o: DpoConfig, labels: readonly Label[], rng: Rng): Promise<MetricRow> {
  if (!task.pairLogps) throw new Error('this task cannot score completion pairs for DPO');
  const batch = preferenceBatch(labels, o.batch_size, rng, 'DPO');
  const n = batch.length;
  const alpha = o.rpo_alpha ?? null;
  if (alpha !== null && !task.pairLengths) throw new Error('this task cannot measure completion lengths for RPO');
  const lengths = alpha !== null ? task.pairLengths!(batch) : null;
  const ref = task.pairLogps('reference', batch);
  const out = stepReading(task.policy.params, task.policy.opt, () => {
    const lp = task.pairLogps!('policy', batch);
    const loss = stackedPreferenceLoss(lp, ref, { loss: o.loss, beta: o.kl_coef, labelSmoothing: o.loss === 'cdpo' ? o.label_smoothing : 0 });
    if (alpha === null) return { loss, read: [lp, ref] };
    const nll = nllLoss(tf.slice(lp, 0, n), lengths!.subarray(0, n));
    return { loss: tf.add(loss, tf.mul(nll, alpha)), read: [lp, ref, nll] };
  });
  ref.dispose();
  const vals = (await out.data()) as Float32Array;
  out.dispose();
  const [loss, lp, rf] = [vals[0], vals.subarray(1, 1 + 2 * n), vals.subarray(1 + 2 * n, 1 + 4 * n)];
  const metrics = preferenceMetrics(lp.subarray(0, n), lp.subarray(n), rf.subarray(0, n), rf.subarray(n), o.kl_coef);
  // With RPO, loss/dpo is the whole loss (DPO's plus α·NLL), as TRL's `loss`; nll_loss is the NLL alone.
  const rpo: MetricRow = alpha === null ? {} : { nll_loss: vals[1 + 4 * n] };
  // The implicit reward β·log(π/π_ref) of each sample stands in for a reward model in the sample table.
  const row = await evaluatePolicy(task, o.eval_samples, rng, (logr) => Array.from(logr, (k) => o.kl_coef * k), o.kl_coef);
  return { ...metrics, 'loss/dpo': loss, ...rpo, ...row };
}

/**
 * batch_size comparisons drawn with replacement from the run's decisive labels. Ties carry no preference for the
 * offline methods and are left out.
 */
export function preferenceBatch(labels: readonly Label[], batchSize: number, rng: Rng, method: string): Label[] {
  const decisive = labels.filter((l) => l.answer === 'a' || l.answer === 'b');
  if (decisive.length === 0) throw new Error(`${method} needs comparisons with a preferred side; this run has none yet (label some pairs first)`);
  return Array.from({ length: batchSize }, () => decisive[rng.int(decisive.length)]);
}

/**
 * The policy after an offline step: gold reward and KL to π_ref on eval_samples fresh samples (TRL's objective/*
 * names), with `shown` giving the sample table the method's own implicit reward of each sample from its sequence
 * log-ratio log π − log π_ref and its rollout. `klCoef` is β of a method with a KL constraint (DPO, KTO); the
 * reference-free ones (SimPO, ORPO) have none, and no objective/kl_coef.
 */
export async function evaluatePolicy(
  task: PolicyTask,
  evalSamples: number,
  rng: Rng,
  shown: (logr: Float32Array, r: Rollout) => number[],
  klCoef?: number,
): Promise<MetricRow> {
  const r = await task.rollout(evalSamples, 1, rng);
  const logr = rowKl(r, 'k1');
  const { 'objective/rlhf_reward': _, ...row } = sampledRow(r, klCoef ?? 0, logr);
  if (klCoef === undefined) delete row['objective/kl_coef'];
  task.show?.(r, shown(logr, r));
  return row;
}

/** Each sample's mean per-token log π over its sampled positions (SimPO's and ORPO's implicit reward, over β). */
export function rowMeanLogp(r: Rollout): Float32Array {
  const out = new Float32Array(r.B);
  for (let b = 0; b < r.B; b++) {
    let s = 0;
    let k = 0;
    for (let i = b * r.M; i < (b + 1) * r.M; i++) {
      if (!r.mask || r.mask[i]) {
        s += r.logp[i];
        k += 1;
      }
    }
    out[b] = s / Math.max(1, k);
  }
  return out;
}

/**
 * The mean per-token negative log-likelihood of completions from their sequence log-probabilities [n] and lengths:
 * −Σ log π(y_i) / Σ |y_i|, TRL's cross-entropy over every chosen token of the batch (RPO's and ORPO's NLL term).
 */
export function nllLoss(logp: Tensor, lengths: ArrayLike<number>): Tensor {
  let tokens = 0;
  for (let i = 0; i < lengths.length; i++) tokens += lengths[i];
  return tf.tidy(() => tf.div(tf.neg(tf.sum(logp)), Math.max(1, tokens)));
}

/** Sequence log-probabilities [n] over lengths: the mean per-token log-probability (an empty completion counts 1). */
export function averageLogp(logp: Tensor, lengths: ArrayLike<number>): Tensor {
  return tf.tidy(() => tf.div(logp, tf.tensor1d(Float32Array.from(lengths, (l) => Math.max(1, l)))));
}

export interface DpoInputs {
  /** log π(y_w | x) per pair: [B]. */
  policyChosen: Tensor;
  /** log π(y_l | x): [B]. */
  policyRejected: Tensor;
  /** log π_ref(y_w | x): [B], no gradient needed. */
  refChosen: Tensor;
  /** log π_ref(y_l | x): [B]. */
  refRejected: Tensor;
}

/** The DPO loss, a scalar: −mean log σ(β·(policy margin − reference margin)). */
export function dpoLoss(x: DpoInputs, beta: number): Tensor {
  return preferenceLoss(x.policyChosen, x.policyRejected, x.refChosen, x.refRejected, { loss: 'sigmoid', beta, labelSmoothing: 0 });
}

export interface PreferenceLossOptions {
  /** "sigmoid": DPO; "ipo": IPO (Azar et al. 2023); "cdpo": conservative DPO with label smoothing. */
  loss: 'sigmoid' | 'ipo' | 'cdpo';
  /** DPO's β (IPO's τ). */
  beta: number;
  /** cDPO's ε: the share of labels assumed flipped. */
  labelSmoothing: number;
}

/**
 * The mean preference loss over pairs, with z = (log π(y_w) − log π_ref(y_w)) − (log π(y_l) − log π_ref(y_l)) and h = β·z:
 * DPO −log σ(h); IPO (z − 1/(2β))², i.e. RLHF.md's (h/β − 1/(2τ))² with τ = β as TRL; cDPO (1−ε)·(−log σ(h)) + ε·(−log σ(−h)).
 */
export function preferenceLoss(
  logpChosen: Tensor,
  logpRejected: Tensor,
  refChosen: Tensor,
  refRejected: Tensor,
  opts: PreferenceLossOptions,
): Tensor {
  return tf.tidy(() => {
    const z = tf.sub(tf.sub(logpChosen, logpRejected), tf.sub(refChosen, refRejected));
    if (opts.loss === 'ipo') return tf.mean(tf.square(tf.sub(z, 1 / (2 * opts.beta))));
    const h = tf.mul(z, opts.beta);
    const dpo = tf.neg(logSigmoid(h));
    if (opts.loss === 'sigmoid') return tf.mean(dpo);
    const eps = opts.labelSmoothing;
    return tf.mean(tf.add(tf.mul(dpo, 1 - eps), tf.mul(tf.neg(logSigmoid(tf.neg(h))), eps)));
  });
}

/**
 * preferenceLoss of a batch scored as one: `logp` and `ref` [2n] hold the n pairs' chosen, then their rejected
 * sequence log-probabilities. On webgpu, DPO and cDPO take one dispatch each way (kernels/webgpu_pair_loss.ts: the
 * Bradley-Terry loss of the margin β·z with target 1 − ε); IPO keeps the tf ops.
 */
export function stackedPreferenceLoss(logp: Tensor, ref: Tensor, opts: PreferenceLossOptions): Tensor {
  const n = logp.size / 2;
  const plain = () => tf.tidy(() => preferenceLoss(tf.slice(logp, 0, n), tf.slice(logp, n, n), tf.slice(ref, 0, n), tf.slice(ref, n, n), opts));
  if (opts.loss === 'ipo') return plain(); // IPO's squared loss has no fused kernel
  const eps = opts.loss === 'cdpo' ? opts.labelSmoothing : 0;
  return ops.pairLoss({ scores: logp, offsets: ref, targets: 1 - eps, beta: opts.beta }, plain);
}

/**
 * TRL's DPO metrics from sequence log-probabilities (plain numbers): implicit rewards β·(log π − log π_ref) of the
 * chosen and rejected completions, their margin, how often chosen beats rejected, and the policy's log-probabilities.
 * The chosen log-probability can fall while the margin grows: the metrics show both.
 */
export function preferenceMetrics(
  logpChosen: ArrayLike<number>,
  logpRejected: ArrayLike<number>,
  refChosen: ArrayLike<number>,
  refRejected: ArrayLike<number>,
  beta: number,
): Record<string, number> {
  const n = logpChosen.length;
  let chosen = 0;
  let rejected = 0;
  let wins = 0;
  let lc = 0;
  let lr = 0;
  for (let i = 0; i < n; i++) {
    const rc = beta * (logpChosen[i] - refChosen[i]);
    const rr = beta * (logpRejected[i] - refRejected[i]);
    chosen += rc;
    rejected += rr;
    wins += Number(rc > rr);
    lc += logpChosen[i];
    lr += logpRejected[i];
  }
  return {
    'rewards/chosen': chosen / n,
    'rewards/rejected': rejected / n,
    'rewards/margins': (chosen - rejected) / n,
    'rewards/accuracies': wins / n,
    'logps/chosen': lc / n,
    'logps/rejected': lr / n,
  };
}

/** Sequence log-probabilities [B] from per-token ones [B, N]: summed over the tokens where mask is 1 (all without one). */
export function sequenceLogp(tokenLogp: Tensor, mask?: Tensor): Tensor {
  return tf.tidy(() => tf.sum(mask ? tf.mul(tokenLogp, mask) : tokenLogp, -1));
}
