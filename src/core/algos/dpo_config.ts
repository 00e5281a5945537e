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

/** TRL 1.x's DPOConfig options that train as a DPO config does, and where TRL's definition differs from the lab's. */
export interface TrlDpoLoss {
  loss_type: string[];
  loss_weights: number[] | null;
  label_smoothing: number;
  notes: string[];
}

/** The config's loss as TRL's DPOTrainer takes it (the export's train_trl.py --dpo). */
export function trlDpoLoss(o: DpoConfig): TrlDpoLoss {
  const notes: string[] = [];
  let loss_type = ['sigmoid'];
  let label_smoothing = 0;
  if (o.loss === 'ipo') {
    loss_type = ['ipo'];
    notes.push(
      "TRL's IPO divides each completion's log-ratio by its token count before the square, (mean_t logratio_w - mean_t logratio_l - 1/(2 beta))^2; the lab sums over tokens, as the IPO paper writes it",
    );
  } else if (o.loss === 'cdpo') {
    loss_type = ['robust'];
    label_smoothing = o.label_smoothing ?? 0.1;
    notes.push(
      `TRL 1.x has no conservative DPO (its label_smoothing acts only in 'robust' and 'exo_pair'); this uses 'robust' with label_smoothing ${label_smoothing}: (-(1-e) log s(bz) + e log s(-bz)) / (1-2e) (Chowdhury et al. 2024), where the lab minimizes -(1-e) log s(bz) - e log s(-bz) (Mitchell 2023)`,
    );
  }
  let loss_weights: number[] | null = null;
  if (o.rpo_alpha !== undefined && o.rpo_alpha !== null) {
    loss_type = [...loss_type, 'sft'];
    loss_weights = [1, o.rpo_alpha];
    notes.push(
      `RPO: loss_type + ['sft'] weighted ${o.rpo_alpha} (TRL 1.x's form of rpo_alpha); TRL's sft term averages the NLL over all chosen tokens of a batch, the lab over each completion's tokens, then over pairs`,
    );
  }
  return { loss_type, loss_weights, label_smoothing, notes };
}
