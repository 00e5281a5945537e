// Reward-model ensembles (Christiano et al. 2017; Coste et al. 2023): K members, each on its own bootstrap
// resample of the comparisons; the policy optimizes a conservative combination of their scores, and queries go
// to the pairs on which the members disagree most. Plain numbers in, plain numbers out: every task shares this.

/** How members' scores are combined into the reward the policy sees (RLHF.md, over-optimization). */
export type Conservative = 'mean' | 'worst' | 'mean_minus_std';

/** Poisson(1) quantiles: P(X ≤ k) for k = 0…7 (the rest of the mass is folded into 8). */
const POISSON1_CDF = [0.36787944, 0.73575888, 0.9196986, 0.98101184, 0.99634015, 0.99940582, 0.99991676, 0.99998975];

/** A 32-bit mix of three integers (murmur3's finalizer over a simple combination): deterministic, well spread. */
function hash3(a: number, b: number, c: number): number {
  let h = (Math.imul(a | 0, 0x9e3779b1) ^ Math.imul(b | 0, 0x85ebca6b) ^ Math.imul(c | 0, 0xc2b2ae35)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * How many times member `member` counts comparison `labelId` in its bootstrap resample: a Poisson(1) draw fixed by
 * (seed, member, id), the large-sample limit of resampling n of n with replacement. Fixed per label, so a label keeps
 * its weight across rounds and a restored run resamples nothing.
 */
export function bootstrapWeight(seed: number, member: number, labelId: number): number {
  const u = hash3(seed, member + 1, labelId) / 2 ** 32;
  let k = 0;
  while (k < POISSON1_CDF.length && u >= POISSON1_CDF[k]) k++;
  return k;
}

/** Mean and (population) standard deviation across members, per sample: scores[k][i] is member k on sample i. */
export function memberStats(scores: ArrayLike<number>[]): { mean: Float32Array; std: Float32Array } {
  const K = scores.length;
  const n = scores[0].length;
  const mean = new Float32Array(n);
  const std = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += scores[k][i];
    const m = s / K;
    let v = 0;
    for (let k = 0; k < K; k++) v += (scores[k][i] - m) ** 2;
    mean[i] = m;
    std[i] = Math.sqrt(v / K);
  }
  return { mean, std };
}

/** The reward the policy optimizes: the members' mean, the worst member, or mean − λ·std. */
export function conservativeScore(scores: ArrayLike<number>[], mode: Conservative, lambda = 1): Float32Array {
  const { mean, std } = memberStats(scores);
  if (mode === 'mean') return mean;
  if (mode === 'mean_minus_std') return mean.map((m, i) => m - lambda * std[i]);
  return mean.map((_, i) => {
    let worst = Infinity;
    for (const s of scores) worst = Math.min(worst, s[i]);
    return worst;
  });
}

/**
 * How unsure the ensemble is which side of a pair wins: the standard deviation across members of
 * P_k(a ≻ b) = σ(r_k(a) − r_k(b)). 0 when all members agree; at most ½.
 */
export function pairDisagreement(a: ArrayLike<number>[], b: ArrayLike<number>[]): Float32Array {
  const probs = a.map((ak, k) => Float32Array.from(ak, (x, i) => 1 / (1 + Math.exp(-(x - b[k][i])))));
  return memberStats(probs).std;
}

/** Index of the largest value (the first on ties). */
export function argmax(xs: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i] > xs[best]) best = i;
  return best;
}
