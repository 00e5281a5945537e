// Kahneman-Tversky optimization (Ethayarajh et al. 2024), as TRL's KTOTrainer computes it, on the run's comparisons
// split into desirable completions (each chosen side) and undesirable ones (each rejected side). With the sequence
// log-ratio r(y) = log π(y|x) − log π_ref(y|x) and the reference point
//   z_ref = max(0, mean of log π − log π_ref over mismatched pairs (x_j, y_i)), no gradient (TRL's `kl`),
//   desirable: λ_D·(1 − σ(β·(r − z_ref))),   undesirable: λ_U·(1 − σ(β·(z_ref − r))),
// averaged over all 2n completions. TRL's mismatched pairs put each completion after another example's prompt; here
// each comparison's completions follow the next comparison's prompt (on the landscape there is no prompt, and z_ref is
// the batch's own mean log-ratio). The implicit reward is DPO's, β·r: rewards/* and logps/* as TRL logs them, and `kl`.
// With thumbs (`schedule.feedback: "thumbs"`, TRL's unpaired layout) each up is a desirable completion and each down
// an undesirable one, and TRL's mismatched pairs are its own: thumb i's prompt with thumb i − 1's completion.
import { tf, type Tensor } from '../tf';
import { stepReading } from '../models/params';
import { evaluatePolicy, preferenceBatch, preferenceMetrics } from './dpo';
import type { Rng } from '../rng';
import { isThumb, type Label } from '../feedback/labelers';
import type { MetricRow } from '../checkpoint/record';
import type { KtoConfig } from './kto_config';
import type { PolicyTask } from './policy_task';

/** One KTO step on batch_size comparisons (2·batch_size completions), then eval_samples fresh samples. */
export async function ktoIteration(task: PolicyTask, o: KtoConfig, labels: readonly Label[], rng: Rng): Promise<MetricRow> {
  if (!task.pairLogps) throw new Error('this task cannot score completion pairs for KTO');
  const batch = preferenceBatch(labels, o.batch_size, rng, 'KTO');
  const n = batch.length;
  const mismatched = batch.map((l, i) => ({ ...l, prompt: batch[(i + 1) % n].prompt }));
  const ref = task.pairLogps('reference', batch);
  const zRef = tf.tidy(() => ktoReferencePoint(task.pairLogps!('policy', mismatched), task.pairLogps!('reference', mismatched)));
  const out = stepReading(task.policy.params, task.policy.opt, () => {
    const lp = task.pairLogps!('policy', batch);
    return { loss: ktoLoss(lp, ref, zRef, o), read: [lp, ref, zRef] };
  });
  tf.dispose([ref, zRef]);
  const vals = (await out.data()) as Float32Array;
  out.dispose();
  const [lp, rf] = [vals.subarray(1, 1 + 2 * n), vals.subarray(1 + 2 * n, 1 + 4 * n)];
  const metrics = preferenceMetrics(lp.subarray(0, n), lp.subarray(n), rf.subarray(0, n), rf.subarray(n), o.kl_coef);
  const row = await evaluatePolicy(task, o.eval_samples, rng, (logr) => Array.from(logr, (k) => o.kl_coef * k), o.kl_coef);
  return { ...metrics, kl: vals[1 + 4 * n], 'loss/kto': vals[0], ...row };
}

/** One KTO step on batch_size thumbs drawn from the run's, each up (desirable) or down (undesirable), then eval_samples samples. */
export async function ktoUnpairedIteration(task: PolicyTask, o: KtoConfig, thumbs: readonly Label[], rng: Rng): Promise<MetricRow> {
  if (!task.pairLogps) throw new Error('this task cannot score completions for KTO');
  const rated = thumbs.filter((l) => isThumb(l.answer));
  if (rated.length === 0) throw new Error('KTO needs thumbs up or down; this run has none yet (rate some completions first)');
  const batch = Array.from({ length: o.batch_size }, () => rated[rng.int(rated.length)]);
  const n = batch.length;
  // Row i scores thumb i's completion (a) and, after the same prompt, thumb i − 1's completion (b): the mismatched pair.
  const rows: Label[] = batch.map((l, i) => ({ ...l, answer: 'a', b: batch[(i + n - 1) % n].a }));
  const desirable = Float32Array.from(batch, (l) => Number(l.answer === 'up'));
  const ref = task.pairLogps('reference', rows);
  const refOwn = tf.slice(ref, 0, n);
  const zRef = tf.tidy(() => ktoReferencePoint(tf.slice(task.pairLogps!('policy', rows), n, n), tf.slice(ref, n, n)));
  const out = stepReading(task.policy.params, task.policy.opt, () => {
    const lp = tf.slice(task.pairLogps!('policy', rows), 0, n);
    return { loss: ktoThumbLoss(lp, refOwn, zRef, desirable, o), read: [lp, refOwn, zRef] };
  });
  tf.dispose([ref, refOwn, zRef]);
  const vals = (await out.data()) as Float32Array;
  out.dispose();
  const [lp, rf] = [vals.subarray(1, 1 + n), vals.subarray(1 + n, 1 + 2 * n)];
  const row = await evaluatePolicy(task, o.eval_samples, rng, (logr) => Array.from(logr, (k) => o.kl_coef * k), o.kl_coef);
  return { ...thumbMetrics(lp, rf, desirable, o.kl_coef), kl: vals[1 + 2 * n], 'loss/kto': vals[0], ...row };
}

/** TRL's KTO logs: rewards/* (β·r) and logps/* means over the batch's desirable and undesirable completions, where it has some. */
export function thumbMetrics(logp: ArrayLike<number>, ref: ArrayLike<number>, desirable: ArrayLike<number>, beta: number): MetricRow {
  const sums = { chosen: [0, 0, 0], rejected: [0, 0, 0] };
  for (let i = 0; i < logp.length; i++) {
    const s = sums[desirable[i] ? 'chosen' : 'rejected'];
    s[0] += 1;
    s[1] += beta * (logp[i] - ref[i]);
    s[2] += logp[i];
  }
  const row: MetricRow = {};
  for (const [side, [n, reward, lp]] of Object.entries(sums)) {
    if (n === 0) continue;
    row[`rewards/${side}`] = reward / n;
    row[`logps/${side}`] = lp / n;
  }
  if (sums.chosen[0] && sums.rejected[0]) row['rewards/margins'] = row['rewards/chosen']! - row['rewards/rejected']!;
  return row;
}

/** z_ref = max(0, mean(log π − log π_ref)) over the mismatched pairs, a scalar (no gradient flows through it). */
export function ktoReferencePoint(policyMismatched: Tensor, refMismatched: Tensor): Tensor {
  return tf.tidy(() => tf.relu(tf.mean(tf.sub(policyMismatched, refMismatched))));
}

/**
 * The KTO loss, a scalar, from sequence log-probabilities [2n] of n desirable, then n undesirable completions under
 * the policy and the reference, and the reference point z_ref (a scalar computed before the step, so that no
 * gradient flows through it: TRL's `.detach()`).
 */
export function ktoLoss(
  logp: Tensor,
  ref: Tensor,
  zRef: Tensor,
  o: { kl_coef: number; desirable_weight: number; undesirable_weight: number },
): Tensor {
  const n = logp.size / 2;
  return ktoThumbLoss(logp, ref, zRef, Float32Array.from({ length: 2 * n }, (_, i) => Number(i < n)), o);
}

/**
 * The KTO loss of m completions, each desirable (1) or undesirable (0) as `desirable` [m] says: the mean over all m of
 * λ_D·(1 − σ(β·(r − z_ref))) for the desirable ones and λ_U·(1 − σ(β·(z_ref − r))) for the others (TRL's
 * `torch.cat((λ_D·chosen_losses, λ_U·rejected_losses)).nanmean()`).
 */
export function ktoThumbLoss(
  logp: Tensor,
  ref: Tensor,
  zRef: Tensor,
  desirable: Float32Array,
  o: { kl_coef: number; desirable_weight: number; undesirable_weight: number },
): Tensor {
  return tf.tidy(() => {
    const r = tf.sub(logp, ref);
    const d = tf.tensor1d(desirable);
    const up = tf.mul(tf.sub(1, tf.sigmoid(tf.mul(tf.sub(r, zRef), o.kl_coef))), o.desirable_weight);
    const down = tf.mul(tf.sub(1, tf.sigmoid(tf.mul(tf.sub(zRef, r), o.kl_coef))), o.undesirable_weight);
    return tf.mean(tf.add(tf.mul(d, up), tf.mul(tf.sub(1, d), down)));
  });
}
