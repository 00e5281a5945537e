// Simple preference optimization (Meng et al. 2024), as TRL's CPOTrainer computes it with loss_type "simpo" (and
// cpo_alpha 0): no reference model. A completion's reward is β times its mean per-token log-probability, and the
// chosen one must beat the rejected one by a target margin γ:
//   s(y) = (β/|y|)·log π(y|x),   L = −log σ(s_w − s_l − γ)
// TRL writes it `-F.logsigmoid(beta * (pi_logratios - simpo_gamma / beta))` with pi_logratios the difference of the
// mean log-probabilities. Its metrics are TRL's: rewards/* are β·mean log π, logps/* the mean per-token log π.
import { tf, type Tensor } from '../tf';
import { logSigmoid } from './reward';
import { stepReading } from '../models/params';
import { averageLogp, evaluatePolicy, preferenceBatch, preferenceMetrics, rowMeanLogp } from './dpo';
import type { Rng } from '../rng';
import type { Label } from '../feedback/labelers';
import type { MetricRow } from '../checkpoint/record';
import type { SimpoConfig } from './simpo_config';
import type { PolicyTask } from './policy_task';

/** One SimPO step on batch_size comparisons drawn from the run's decisive labels, then eval_samples fresh samples. */
export async function simpoIteration(task: PolicyTask, o: SimpoConfig, labels: readonly Label[], rng: Rng): Promise<MetricRow> {
  if (!task.pairLogps || !task.pairLengths) throw new Error('this task cannot score completion pairs for SimPO');
  const batch = preferenceBatch(labels, o.batch_size, rng, 'SimPO');
  const n = batch.length;
  const lengths = task.pairLengths(batch);
  const out = stepReading(task.policy.params, task.policy.opt, () => {
    const avg = averageLogp(task.pairLogps!('policy', batch), lengths);
    return { loss: simpoLoss(tf.slice(avg, 0, n), tf.slice(avg, n, n), o.beta, o.simpo_gamma), read: [avg] };
  });
  const vals = (await out.data()) as Float32Array;
  out.dispose();
  const zero = new Float32Array(n);
  // With no reference, TRL's implicit rewards are β·(mean log π): DPO's metrics with log π_ref taken as 0.
  const metrics = preferenceMetrics(vals.subarray(1, 1 + n), vals.subarray(1 + n), zero, zero, o.beta);
  const row = await evaluatePolicy(task, o.eval_samples, rng, (_, r) => Array.from(rowMeanLogp(r), (x) => o.beta * x));
  return { ...metrics, 'loss/simpo': vals[0], ...row };
}

/** The SimPO loss, a scalar, from mean per-token log-probabilities [B]: −mean log σ(β·(avg_w − avg_l) − γ). */
export function simpoLoss(avgChosen: Tensor, avgRejected: Tensor, beta: number, gamma: number): Tensor {
  return tf.tidy(() => tf.neg(tf.mean(logSigmoid(tf.sub(tf.mul(tf.sub(avgChosen, avgRejected), beta), gamma)))));
}
