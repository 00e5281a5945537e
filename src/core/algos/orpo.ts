// Odds ratio preference optimization (Hong et al. 2024), as TRL's ORPOTrainer computes it: no reference model, one
// stage. With P(y|x) = exp(mean per-token log π(y|x)) and odds(y) = P/(1 − P),
//   L = NLL(y_w) − λ·log σ(log odds(y_w) − log odds(y_l))
// where NLL is the cross-entropy over every chosen token of the batch and λ is TRL's `beta`. TRL computes the log
// odds ratio as (avg_w − avg_l) − (log1p(−e^avg_w) − log1p(−e^avg_l)); here log(1 − e^a) is log(−expm1(a)), the same
// number without the cancellation near a = 0. Metrics as TRL names them: nll_loss, log_odds_ratio (the mean of
// log σ(log odds ratio)), log_odds_chosen (the mean log odds ratio), rewards/* = β·mean log π, logps/* = mean log π.
import { tf, type Tensor } from '../tf';
import { logSigmoid } from './reward';
import { stepReading } from '../models/params';
import { averageLogp, evaluatePolicy, nllLoss, preferenceBatch, preferenceMetrics, rowMeanLogp } from './dpo';
import type { Rng } from '../rng';
import type { Label } from '../feedback/labelers';
import type { MetricRow } from '../checkpoint/record';
import type { OrpoConfig } from './orpo_config';
import type { PolicyTask } from './policy_task';

/** One ORPO step on batch_size comparisons drawn from the run's decisive labels, then eval_samples fresh samples. */
export async function orpoIteration(task: PolicyTask, o: OrpoConfig, labels: readonly Label[], rng: Rng): Promise<MetricRow> {
  if (!task.pairLogps || !task.pairLengths) throw new Error('this task cannot score completion pairs for ORPO');
  const batch = preferenceBatch(labels, o.batch_size, rng, 'ORPO');
  const n = batch.length;
  const lengths = task.pairLengths(batch);
  const out = stepReading(task.policy.params, task.policy.opt, () => {
    const lp = task.pairLogps!('policy', batch);
    const avg = averageLogp(lp, lengths);
    const t = orpoLoss(tf.slice(lp, 0, n), lengths.subarray(0, n), tf.slice(avg, 0, n), tf.slice(avg, n, n), o.beta);
    return { loss: t.loss, read: [tf.stack([t.nll, t.ratio, t.logOdds]), avg] };
  });
  const vals = (await out.data()) as Float32Array;
  out.dispose();
  const zero = new Float32Array(n);
  const metrics = preferenceMetrics(vals.subarray(4, 4 + n), vals.subarray(4 + n), zero, zero, o.beta);
  const row = await evaluatePolicy(task, o.eval_samples, rng, (_, r) => Array.from(rowMeanLogp(r), (x) => o.beta * x));
  return { ...metrics, 'loss/orpo': vals[0], nll_loss: vals[1], log_odds_ratio: vals[2], log_odds_chosen: vals[3], ...row };
}

export interface OrpoLoss {
  /** NLL(y_w) − λ·ratio (a scalar). */
  loss: Tensor;
  /** Mean per-token NLL of the chosen completions (a scalar; TRL's nll_loss). */
  nll: Tensor;
  /** Mean over pairs of log σ(log odds(y_w) − log odds(y_l)) (a scalar; TRL's log_odds_ratio). */
  ratio: Tensor;
  /** Mean over pairs of log odds(y_w) − log odds(y_l) (a scalar; TRL's log_odds_chosen). */
  logOdds: Tensor;
}

/**
 * The ORPO loss and its terms from the chosen completions' sequence log-probabilities [B] and lengths (for the NLL)
 * and the mean per-token log-probabilities of both sides [B].
 */
export function orpoLoss(logpChosen: Tensor, lengthsChosen: ArrayLike<number>, avgChosen: Tensor, avgRejected: Tensor, lambda: number): OrpoLoss {
  return tf.tidy(() => {
    // log odds(y) = a − log(1 − e^a) for a = mean log π(y) < 0.
    const logOdds = (a: Tensor) => tf.sub(a, tf.log(tf.neg(tf.expm1(a))));
    const z = tf.sub(logOdds(avgChosen), logOdds(avgRejected));
    const nll = nllLoss(logpChosen, lengthsChosen);
    const ratio = tf.mean(logSigmoid(z));
    return { loss: tf.sub(nll, tf.mul(ratio, lambda)), nll, ratio, logOdds: tf.mean(z) };
  });
}
