// Best-of-n (RLHF.md): draw n samples of the reference policy, keep the one the reward model scores highest. No
// gradient: the "policy" is the sampling procedure. Its KL to the base policy has a closed form (Stiennon et al. 2020;
// Gao et al. 2022), exact for continuous rewards without ties. It is an optimizer of its own (one metrics row per n)
// and the over-optimization lab's sweep after the last round.
import { mean } from '../models/reward_norm';
import type { Rng } from '../rng';
import type { MetricRow } from '../checkpoint/record';
import type { PolicyTask } from './policy_task';

/** `samples` picks, each the reward model's favourite of n draws of the reference policy; one row with `bon/n`. */
export async function bestOfN(task: PolicyTask, n: number, samples: number, rng: Rng): Promise<MetricRow> {
  if (!task.candidates || !task.describePicks) throw new Error('this task cannot draw best-of-n candidates');
  const c = await task.candidates(n, samples, rng);
  const picks = bestOfNPicks(c.score, n);
  return {
    'bon/n': n,
    'objective/kl': bestOfNKl(n),
    'proxy/mean': mean(picks.map((j) => c.score[j])),
    ...(await task.describePicks(c, picks, n)),
  };
}

/** KL(best-of-n ‖ base) = log n − (n − 1)/n nats. */
export function bestOfNKl(n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new Error(`best-of-n needs a whole n ≥ 1, got ${n}`);
  return Math.log(n) - (n - 1) / n;
}

/** Index of the highest score in each consecutive block of n: the picks of best-of-n (the first on ties). */
export function bestOfNPicks(scores: ArrayLike<number>, n: number): number[] {
  const picks: number[] = [];
  for (let g = 0; g + n <= scores.length; g += n) {
    let best = g;
    for (let j = g + 1; j < g + n; j++) if (scores[j] > scores[best]) best = j;
    picks.push(best);
  }
  return picks;
}
