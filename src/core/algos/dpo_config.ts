// DPO (IPO, cDPO)'s settings: the `optimizer` block of an experiment that runs it (TRL's config beside its trainer, dpo.ts).
// No tfjs here: the tab's page validates experiments without loading the models.
import * as v from 'valibot';
import { int, num } from '../experiment/fields';

export const DpoConfig = v.strictObject({
  /** Direct preference optimization on the run's comparisons: no reward model, no sampling during training (RLHF.md). */
  algo: v.literal('dpo'),
  /** "sigmoid": DPO's −log σ(h); "ipo": IPO's (h/β − 1/(2β))²; "cdpo": conservative DPO with label smoothing. */
  loss: v.optional(v.picklist(['sigmoid', 'ipo', 'cdpo']), 'sigmoid'),
  /** cDPO's ε: the share of labels assumed flipped (used by "cdpo" only). */
  label_smoothing: v.optional(num(0, 0.5), 0.1),
  /**
   * RPO's α (Pang et al. 2024; TRL's `rpo_alpha`): adds α·NLL of the chosen completions (mean per token) to the loss.
   * Absent or null: plain DPO (IPO, cDPO).
   */
  rpo_alpha: v.optional(v.nullable(num(0, 1000))),
  lr: num(1e-7, 1),
  /** DPO's β: the strength of the implicit KL constraint to the reference policy (IPO's τ). */
  kl_coef: num(1e-6, 1000),
  /** Preference pairs per gradient step. */
  batch_size: int(1, 4096),
  /** Samples drawn after each step to measure gold reward and KL. */
  eval_samples: v.optional(int(2, 4096), 32),
  /** Gradient steps per round, one metrics row each. */
  iterations: int(0, 100000),
});
export type DpoConfig = v.InferOutput<typeof DpoConfig>;
