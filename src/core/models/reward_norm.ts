// The reward model's score is normalized after training (mean 0, std 1 over policy samples), so the KL
// coefficient keeps its meaning from round to round (RLHF.md).
export interface RewardNorm {
  mean: number;
  std: number;
}

export function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / xs.length;
}

export function normalizeScores(raw: ArrayLike<number>): RewardNorm {
  const m = mean(raw);
  let v = 0;
  for (let i = 0; i < raw.length; i++) v += (raw[i] - m) ** 2;
  return { mean: m, std: Math.sqrt(v / raw.length) || 1 };
}
