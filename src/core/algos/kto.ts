// Kahneman-Tversky optimization (Ethayarajh et al. 2024), as TRL's KTOTrainer computes it, on the run's comparisons
// split into desirable completions (each chosen side) and undesirable ones (each rejected side). With the sequence
// log-ratio r(y) = log π(y|x) − log π_ref(y|x) and the reference point
//   z_ref = max(0, mean of log π − log π_ref over mismatched pairs (x_j, y_i)), no gradient (TRL's `kl`),
//   desirable: λ_D·(1 − σ(β·(r − z_ref))),   undesirable: λ_U·(1 − σ(β·(z_ref − r))),
// averaged over all 2n completions. TRL's mismatched pairs put each completion after another example's prompt; here
// each comparison's completions follow the next comparison's prompt (on the landscape there is no prompt, and z_ref is
// the batch's own mean log-ratio). The implicit reward is DPO's, β·r: rewards/* and logps/* as TRL logs them, and `kl`.
import { tf, type Tensor } from '../tf';
import { stepReading } from '../models/params';
import { evaluatePolicy, preferenceBatch, preferenceMetrics } from './dpo';
import type { Rng } from '../rng';
import type { Label } from '../feedback/labelers';
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
  return tf.tidy(() => {
    const n = logp.size / 2;
    const r = tf.sub(logp, ref);
    const desirable = tf.sub(1, tf.sigmoid(tf.mul(tf.sub(tf.slice(r, 0, n), zRef), o.kl_coef)));
    const undesirable = tf.sub(1, tf.sigmoid(tf.mul(tf.sub(zRef, tf.slice(r, n, n)), o.kl_coef)));
    return tf.mean(tf.concat([tf.mul(desirable, o.desirable_weight), tf.mul(undesirable, o.undesirable_weight)]));
  });
}
