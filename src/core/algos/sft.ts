// Language-model (next-token) cross-entropy: pretraining the base model and supervised fine-tuning.
import { tf, type Tensor } from '../tf';
import { gptHidden, tokenStats, type GptConfig } from '../models/gpt';
import type { Params } from '../models/params';

/** Mean −log π(ids[t+1] | ids[≤t]) over every position of ids [B, N] (int32). */
export function lmLoss(cfg: GptConfig, p: Params, ids: Tensor): Tensor {
  return tf.tidy(() => {
    const { logp } = tokenStats(cfg, gptHidden(cfg, p, ids), p, ids);
    return tf.neg(tf.mean(logp));
  });
}
