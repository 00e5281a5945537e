// Best-of-n (RLHF.md): draw n samples, keep the one the reward model scores highest. Its KL to the base policy has a
// closed form (Stiennon et al. 2020; Gao et al. 2022), exact for continuous rewards without ties.

/** KL(best-of-n ‖ base) = log n − (n − 1)/n nats. */
export function bestOfNKl(n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new Error(`best-of-n needs a whole n ≥ 1, got ${n}`);
  return Math.log(n) - (n - 1) / n;
}

/** Index of the highest score in each consecutive block of n: the picks of best-of-n. */
export function bestOfNPicks(scores: ArrayLike<number>, n: number): number[] {
  const picks: number[] = [];
  for (let g = 0; g + n <= scores.length; g += n) {
    let best = g;
    for (let j = g + 1; j < g + n; j++) if (scores[j] > scores[best]) best = j;
    picks.push(best);
  }
  return picks;
}
