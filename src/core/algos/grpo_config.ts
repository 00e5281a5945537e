// GRPO's settings: the `optimizer` block of an experiment that runs it (TRL's GRPOConfig beside its trainer, grpo.ts).
// The variants researchers reach for are settings of the one trainer, under TRL's names: Dr. GRPO (loss_type dr_grpo,
// scale_rewards none), DAPO (loss_type dapo, epsilon_high, dynamic_sampling, soft_punish_cache), GSPO
// (importance_sampling_level sequence) and CISPO (loss_type cispo with epsilon_high its cap on the weight).
// No tfjs here: the tab's page validates experiments without loading the models.
import * as v from 'valibot';
import { int, num } from '../experiment/fields';

export const GRPO_LOSS_TYPES = ['grpo', 'bnpo', 'dr_grpo', 'dapo', 'cispo'] as const;
export type GrpoLossType = (typeof GRPO_LOSS_TYPES)[number];

export const GrpoConfig = v.strictObject({
  /** Group relative policy optimization: advantages normalized within each prompt's group, a k3 KL loss term. */
  algo: v.literal('grpo'),
  lr: num(1e-7, 1),
  /** β of the k3 KL term added to the loss. */
  kl_coef: num(0, 1000),
  /** Samples per prompt (group size). */
  k: int(2, 256),
  /** Samples per iteration (prompts × k). */
  batch_size: int(2, 4096),
  /** Passes over each batch, with the clipped ratio as in PPO. */
  epochs: v.optional(int(1, 64), 1),
  /** ε of the clipped ratio (TRL's `epsilon`): the default of epsilon_low and epsilon_high. */
  clip: v.optional(num(0, 10), 0.2),
  /** The ratio is clipped below at 1 − epsilon_low (default: clip). */
  epsilon_low: v.optional(num(0, 10)),
  /**
   * The ratio is clipped above at 1 + epsilon_high (default: clip; DAPO's clip-higher uses 0.28). With loss_type
   * cispo it is the cap on the importance weight itself, ε_max (required; TRL recommends 5).
   */
  epsilon_high: v.optional(num(0, 100)),
  /**
   * How per-token losses become one number (TRL's `loss_type`): `grpo` the mean over each completion's tokens, then
   * over completions; `bnpo` and `dapo` the mean over every token of the batch (the same here: one process, no
   * gradient accumulation; this lab's GRPO always computed it, and `dapo` is TRL's default); `dr_grpo` the sum over
   * tokens divided by rows × the longest completion allowed (max_new_tokens); `cispo` the REINFORCE loss weighted by
   * the stop-gradient weight min(ρ, epsilon_high), over every token of the batch.
   */
  loss_type: v.optional(v.picklist(GRPO_LOSS_TYPES), 'dapo'),
  /** What divides r − group mean (TRL's `scale_rewards`): the group's std, the batch's std, or nothing (Dr. GRPO). */
  scale_rewards: v.optional(v.picklist(['group', 'batch', 'none']), 'group'),
  /** GSPO's `sequence`: one ratio per completion, exp(mean over its tokens of log π − log π_old); or per token. */
  importance_sampling_level: v.optional(v.picklist(['token', 'sequence']), 'token'),
  /** DAPO's dynamic sampling: groups whose k rewards all tie carry no advantage and are left out of the update. */
  dynamic_sampling: v.optional(v.boolean(), false),
  /**
   * DAPO's soft overlong punishment (TRL's `get_soft_overlong_punishment`, `soft_punish_cache`): a completion longer
   * than max_new_tokens − cache loses (length − (max_new_tokens − cache))/cache of reward, up to 1. Text task only.
   */
  soft_punish_cache: v.optional(int(1, 4096)),
  iterations: int(0, 100000),
});
export type GrpoConfig = v.InferOutput<typeof GrpoConfig>;
