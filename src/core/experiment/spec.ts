// The Experiment spec, version 1: the blocks every experiment has whatever its task and optimizer (labelers, the
// reward model, the schedule, the over-optimization lab). The task's `task` and `policy` blocks come from its task
// (tasks/*/spec.ts), the `optimizer` block from its algorithm (algos/*_config.ts); experiment/parse.ts composes them.
// Every field is documented where it is declared. Storage and share links carry the experiment as is: a change
// that is not backwards compatible needs version 2 and a migration.
import * as v from 'valibot';
import { int, num } from './fields';

const SimulatedLabeler = v.strictObject({
  kind: v.literal('simulated'),
  /** Boltzmann rationality β: P(a ≻ b) = σ(β·(g(a) − g(b))); larger is a sharper labeler. */
  beta: num(0, 1e6),
  /** With probability ε the answer is a coin flip (Christiano et al. 2017 assume 0.1). */
  epsilon: num(0, 1),
  /** Answer "tie" when |g(a) − g(b)| < tie_margin. */
  tie_margin: num(0),
  /** Probability of skipping a pair altogether. */
  skip_prob: num(0, 1),
  /** Share of the queries this labeler answers when several form a panel. */
  weight: v.optional(num(0), 1),
  /** Text task: a biased labeler adds this much per character of the completion to the gold reward (0: none). */
  length_bias: v.optional(num(-10, 10), 0),
  /**
   * States a strength of preference with each decisive answer, from the gold gap: level 1 + floor(|Δg| / strength_step)
   * (at most 4), whose margin (0, 1/3, 2/3, 1) the reward model's loss takes (TRL's margin). Absent: no strength.
   */
  strength_step: v.optional(num(1e-9, 1e6)),
  /** Thumbs (`schedule.feedback: "thumbs"`): the gold reward above which a completion is more likely up than down (absent: 0). */
  thumb_threshold: v.optional(num(-1e6, 1e6)),
  /** Control task: a myopic labeler judges a segment by its last k steps only (0 or absent: the whole segment). */
  myopic_steps: v.optional(int(0, 10000)),
});

const HumanLabeler = v.strictObject({
  kind: v.literal('human'),
  weight: v.optional(num(0), 1),
});

export const LabelerSpec = v.variant('kind', [SimulatedLabeler, HumanLabeler]);

export const OveroptimizationSpec = v.strictObject({
  /**
   * After the last round, best-of-n of the initial policy on the final reward model for each n, one row each
   * (rows carry `bon/n`), so RL and best-of-n are drawn against √KL on one chart with Gao et al.'s fits.
   */
  bon_n: v.optional(v.pipe(v.array(int(1, 4096)), v.maxLength(16)), []),
  /** Best-of-n picks per n. */
  bon_samples: v.optional(int(1, 4096), 64),
  /** How many samples with the largest proxy − gold gap the reward-hacking panel lists. */
  hacking_samples: v.optional(int(0, 64), 8),
});

/** The reward model: its architecture (landscape and control), its training, its ensemble and its queries. */
export const RewardModelSpec = v.strictObject({
  /** Landscape: widths of the hidden layers of the MLP r_θ(x). (The text task's reward model is the base GPT with a scalar head.) */
  hidden: v.optional(v.pipe(v.array(int(1, 1024)), v.minLength(1), v.maxLength(6)), [64, 64]),
  /** Landscape: the MLP's activation. */
  activation: v.optional(v.picklist(['relu', 'tanh']), 'relu'),
  /**
   * Text: where the scalar head reads the GPT: "last" token (as InstructGPT), or the "mean" over the completion's
   * tokens (a per-token reward; learns word-level preferences such as sentiment from far fewer labels).
   */
  pool: v.optional(v.picklist(['last', 'mean']), 'last'),
  /** Adam learning rate. */
  lr: num(1e-7, 1),
  /** Gradient steps per round on the labels gathered so far. */
  steps: int(0, 100000),
  /** Pairs per gradient step. */
  batch_size: int(1, 4096),
  /**
   * Text: a length-controlled reward model (LMArena's style control). Comparisons are fit to r_θ + w·length, the
   * completion's length in characters a separate covariate with its own coefficient w (reported as
   * `rm/length_coef`, per character); the policy is scored by r_θ alone.
   */
  length_control: v.optional(v.boolean()),
  /** Adam learning rate of the length coefficient w (absent: 0.01; the head's lr would take hundreds of steps to move it). */
  length_lr: v.optional(num(1e-7, 1)),
  /**
   * TRL's `center_rewards_coefficient`: c·mean((r(a) + r(b))²) is added to the loss, pulling the rewards toward mean
   * zero (Eisenstein et al. 2023; TRL suggests 0.01). Absent or 0: the plain Bradley-Terry loss.
   */
  center_rewards_coefficient: v.optional(num(0, 100)),
  /** Every k-th label is held out for accuracy (k = round(1 / holdout)). */
  holdout: num(0, 0.5),
  /** Members of the reward-model ensemble (1: a single model); each starts from its own seed. */
  ensemble: v.optional(int(1, 16), 1),
  /** Each member trains on its own bootstrap resample of the labels (ensemble > 1). */
  bootstrap: v.optional(v.boolean(), true),
  /** The score the policy optimizes: the members' "mean", the "worst" member, or "mean_minus_std" (mean − λ·std). */
  conservative: v.optional(v.picklist(['mean', 'worst', 'mean_minus_std']), 'mean'),
  /** λ of "mean_minus_std". */
  conservative_lambda: v.optional(num(0, 100), 1),
  /** Which pairs are asked: "random" draws of the policy, or the "disagreement" pair the ensemble is least sure of. */
  query: v.optional(v.picklist(['random', 'disagreement']), 'random'),
  /** Candidate pairs scored per query when query is "disagreement". */
  query_candidates: v.optional(int(2, 1024), 16),
});

/** Rounds of label → fit the reward model → optimize the policy. */
export const ScheduleSpec = v.strictObject({
  /** Rounds of label → fit reward model → optimize policy; later rounds label the current policy's samples. */
  rounds: int(1, 1000),
  /** Comparisons asked per round. */
  labels_per_round: int(0, 100000),
  /** Save a checkpoint at least this often during a stage, in seconds (and after every stage). */
  checkpoint_every_s: num(1, 3600),
  /**
   * Iterated RLHF with rollback: from the second round on, the policy (and its optimizer) is rolled back to where
   * it started before it is optimized on the retrained reward model; the labels still come from the latest policy.
   */
  rollback: v.optional(v.boolean(), false),
  /**
   * What a labeler gives: "pairs" (absent: A, B, tie or skip on two samples) or "thumbs" (up or down on one sample,
   * KTO's unpaired feedback; needs an optimizer that learns from it, `kto`).
   */
  feedback: v.optional(v.picklist(['pairs', 'thumbs'])),
});

export type LabelerConfig = v.InferOutput<typeof LabelerSpec>;
