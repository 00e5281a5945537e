// Group baselines for k samples per prompt (RLHF.md): RLOO baselines each sample by the mean reward of the other
// k − 1 (Ahmadian et al. 2024); GRPO normalizes within the group (Shao et al. 2024). Groups are consecutive
// blocks of k in the batch.

function checkGroups(rewards: ArrayLike<number>, k: number): void {
  if (k < 2 || rewards.length % k !== 0) throw new Error(`group size ${k} must be ≥ 2 and divide the batch of ${rewards.length}`);
}

/** A_i = R_i − mean of the other k − 1 rewards of its group = k/(k−1)·(R_i − group mean). */
export function rlooAdvantages(rewards: ArrayLike<number>, k: number): Float32Array {
  checkGroups(rewards, k);
  const out = new Float32Array(rewards.length);
  for (let g = 0; g < rewards.length; g += k) {
    let sum = 0;
    for (let j = 0; j < k; j++) sum += rewards[g + j];
    for (let j = 0; j < k; j++) out[g + j] = rewards[g + j] - (sum - rewards[g + j]) / (k - 1);
  }
  return out;
}

/** A_i = (R_i − group mean) / (group std + ε), the std over the k samples with k − 1 in the denominator (torch.std, as TRL). */
export function grpoAdvantages(rewards: ArrayLike<number>, k: number, eps = 1e-4): Float32Array {
  checkGroups(rewards, k);
  const out = new Float32Array(rewards.length);
  for (let g = 0; g < rewards.length; g += k) {
    let sum = 0;
    for (let j = 0; j < k; j++) sum += rewards[g + j];
    const mean = sum / k;
    let v = 0;
    for (let j = 0; j < k; j++) v += (rewards[g + j] - mean) ** 2;
    const std = Math.sqrt(v / (k - 1));
    for (let j = 0; j < k; j++) out[g + j] = (rewards[g + j] - mean) / (std + eps);
  }
  return out;
}
