// The Experiment spec, version 1: everything a run needs, validated before anything runs.
// Every field is documented where it is declared; unknown keys and wrong types are refused with a message
// that names the field and what was expected. Storage and share links carry this object as is: a change
// that is not backwards compatible needs version 2 and a migration.
import * as v from 'valibot';
import { TEXT_CONTEXT, unknownChars } from '../tasks/text/vocab';

const num = (min: number, max = Infinity) =>
  v.pipe(v.number(), v.finite(), v.minValue(min), v.maxValue(max));
const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));

export const LANDSCAPES = ['one-hill', 'two-hills', 'ridge'] as const;

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
  /** Control task: a myopic labeler judges a segment by its last k steps only (0 or absent: the whole segment). */
  myopic_steps: v.optional(int(0, 10000)),
});

const HumanLabeler = v.strictObject({
  kind: v.literal('human'),
  weight: v.optional(num(0), 1),
});

export const LabelerSpec = v.variant('kind', [SimulatedLabeler, HumanLabeler]);

const LandscapeTask = v.strictObject({
  kind: v.literal('landscape2d'),
  /** The hidden gold reward over the plane. */
  landscape: v.picklist(LANDSCAPES),
});

const TextGold = v.variant('kind', [
  /** Σ AFINN-165 scores of the completion's words: cheerful beats gloomy. */
  v.strictObject({ kind: v.literal('sentiment') }),
  /** −|syllables of prompt + completion − target|: a line of `target` syllables (5 for a haiku's first line). */
  v.strictObject({ kind: v.literal('syllables'), target: int(1, 40) }),
  /** −|characters of the completion − target| / 5. */
  v.strictObject({ kind: v.literal('length'), target: int(1, 64) }),
  /** 1 when the completion contains the word, else 0. */
  v.strictObject({ kind: v.literal('keyword'), word: v.pipe(v.string(), v.regex(/^[a-z]+$/, 'lowercase letters a–z'), v.maxLength(24)) }),
]);

const TextTask = v.strictObject({
  kind: v.literal('text'),
  /** The hidden gold reward simulated labelers follow. */
  gold: TextGold,
  /** Prefixes the policy completes; each iteration draws from them. Lowercase letters, space and !',-.? only. */
  prompts: v.pipe(v.array(v.pipe(v.string(), v.minLength(1), v.maxLength(24))), v.minLength(1), v.maxLength(64)),
  /** Characters sampled after the prompt at most (a completion also ends at a line break). */
  max_new_tokens: int(1, 46),
  /** Sampling temperature τ (log-probabilities are taken at the same τ). */
  temperature: v.optional(num(0.05, 5), 1),
  /** Sample among the k most likely characters only (0: all). */
  top_k: v.optional(int(0, 34), 0),
});

export const CONTROL_ENVS = ['cartpole', 'reacher'] as const;

const ControlTask = v.strictObject({
  kind: v.literal('control'),
  /** The environment (core/tasks/control/envs.ts): "cartpole" (balance a pole) or "reacher" (a point mass to a goal). */
  env: v.picklist(CONTROL_ENVS),
  /** Steps per compared segment (cart-pole steps are 0.02 s, reacher steps 0.1 s; clips play them at a watchable rate). */
  segment_steps: int(2, 200),
  /** Environment steps per policy iteration, shared by the optimizer's batch_size environments run side by side. */
  rollout_steps: int(16, 65536),
  /** PPO on the environment's true reward instead of a reward model: no labels, the line learning from comparisons aims at. */
  true_reward: v.optional(v.boolean(), false),
});

const MixturePolicy = v.strictObject({
  kind: v.literal('gaussian_mixture'),
  /** Number of Gaussian components of π(x). */
  components: int(1, 16),
  /** Where the policy starts: the mean of every component at step 0. */
  init_mean: v.tuple([num(-3, 3), num(-3, 3)]),
  /** Standard deviation of every component at step 0. */
  init_std: num(0.01, 3),
});

/** The text task's policy: the shipped base character GPT (public/text/base.json) plus a value head. */
const GptPolicy = v.strictObject({
  kind: v.literal('gpt'),
});

/** The control task's policy: an MLP over observations (categorical or Gaussian head) and an MLP value function. */
const MlpPolicy = v.strictObject({
  kind: v.literal('mlp'),
  /** Widths of the hidden layers of the policy and of the value function. */
  hidden: v.pipe(v.array(int(1, 1024)), v.minLength(1), v.maxLength(6)),
  activation: v.optional(v.picklist(['relu', 'tanh']), 'tanh'),
});

const Reinforce = v.strictObject({
  /** REINFORCE with a mean baseline on R = r_RM(x) − kl_coef·log(π(x)/π_ref(x)). */
  algo: v.literal('reinforce'),
  lr: num(1e-7, 1),
  /** β of the KL penalty to the initial policy. */
  kl_coef: num(0, 1000),
  /** Samples per policy iteration. */
  batch_size: int(2, 8192),
  /** Policy iterations per round. */
  iterations: int(0, 100000),
});

const Ppo = v.strictObject({
  /** PPO with a per-token KL penalty, a value head, GAE and clipped losses (RLHF.md). */
  algo: v.literal('ppo'),
  lr: num(1e-7, 1),
  /** β of the per-token KL penalty r_t = −β·KL_t (the starting β when adaptive). */
  kl_coef: num(0, 1000),
  /** Estimator of KL_t from log π − log π_ref: k1 (log-ratio) or k3 (never negative). */
  kl_estimator: v.optional(v.picklist(['k1', 'k3']), 'k1'),
  /** Adaptive KL controller: the KL per completion to steer toward (null: β stays fixed). */
  kl_target: v.optional(v.nullable(num(0.001, 1000)), null),
  /** Adaptive KL controller horizon, in samples. */
  kl_horizon: v.optional(int(1, 1e7), 10000),
  /** Completions sampled per iteration. */
  batch_size: int(2, 1024),
  /** Minibatches each batch is split into for the gradient steps. */
  minibatches: v.optional(int(1, 1024), 1),
  /** Passes over each batch. */
  epochs: v.optional(int(1, 64), 2),
  /** ε of the clipped ratio. */
  clip: v.optional(num(0, 10), 0.2),
  /** ε of the clipped value loss. */
  value_clip: v.optional(num(0, 1000), 0.2),
  /** Weight of the value loss beside the policy loss. */
  vf_coef: v.optional(num(0, 100), 0.1),
  /** Discount γ and GAE λ. */
  gamma: v.optional(num(0, 1), 1),
  lam: v.optional(num(0, 1), 0.95),
  /** Policy iterations per round. */
  iterations: int(0, 100000),
});

const Dpo = v.strictObject({
  /** Direct preference optimization on the run's comparisons: no reward model, no sampling during training (RLHF.md). */
  algo: v.literal('dpo'),
  /** "sigmoid": DPO's −log σ(h); "ipo": IPO's (h/β − 1/(2β))²; "cdpo": conservative DPO with label smoothing. */
  loss: v.optional(v.picklist(['sigmoid', 'ipo', 'cdpo']), 'sigmoid'),
  /** cDPO's ε: the share of labels assumed flipped (used by "cdpo" only). */
  label_smoothing: v.optional(num(0, 0.5), 0.1),
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

const Rloo = v.strictObject({
  /** REINFORCE leave-one-out: k samples per prompt, each baselined by the mean reward of the other k − 1. */
  algo: v.literal('rloo'),
  lr: num(1e-7, 1),
  /** β of the sequence KL penalty in R_i = r_RM − β·Σ_t log(π/π_ref). */
  kl_coef: num(0, 1000),
  /** Samples per prompt (group size). */
  k: int(2, 256),
  /** Samples per iteration (prompts × k). */
  batch_size: int(2, 4096),
  iterations: int(0, 100000),
});

const Grpo = v.strictObject({
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
  /** ε of the clipped ratio. */
  clip: v.optional(num(0, 10), 0.2),
  iterations: int(0, 100000),
});

const BestOfN = v.strictObject({
  /** Best-of-n: draw n samples of the reference policy, keep the reward model's favourite. One metrics row per n. */
  algo: v.literal('best_of_n'),
  /** The n to try, in order; KL(best-of-n ‖ base) = log n − (n−1)/n. */
  n: v.pipe(v.array(int(1, 4096)), v.minLength(1), v.maxLength(16)),
  /** Best-of-n picks drawn per n (for text, prompts are cycled). */
  samples: int(1, 4096),
});

const Overoptimization = v.strictObject({
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

export const ExperimentSpec = v.strictObject({
  /** Spec version; only 1 exists. */
  version: v.literal(1),
  /** Short id shown in lists and used in file names. */
  name: v.pipe(v.string(), v.minLength(1), v.maxLength(80)),
  /** One or two sentences on what the experiment shows. */
  description: v.optional(v.pipe(v.string(), v.maxLength(2000)), ''),
  /** Seed of every random draw of the run: same seed, same backend, same numbers. */
  seed: int(0, 2 ** 32 - 1),
  task: v.variant('kind', [LandscapeTask, TextTask, ControlTask]),
  /** Who answers comparisons: one labeler, or a panel that shares the queries by weight. */
  labelers: v.pipe(v.array(LabelerSpec), v.minLength(1), v.maxLength(8)),
  reward_model: v.strictObject({
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
  }),
  policy: v.variant('kind', [MixturePolicy, GptPolicy, MlpPolicy]),
  optimizer: v.variant('algo', [Reinforce, Ppo, Dpo, Rloo, Grpo, BestOfN]),
  schedule: v.strictObject({
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
  }),
  /** The over-optimization lab: best-of-n sweep, Gao et al. fits and the reward-hacking panel (optional). */
  overoptimization: v.optional(Overoptimization),
});

export type Experiment = v.InferOutput<typeof ExperimentSpec>;
export type ExperimentInput = v.InferInput<typeof ExperimentSpec>;
/** The settings of one optimizer, by its algo. */
export type OptimizerOf<A extends Experiment['optimizer']['algo']> = Extract<Experiment['optimizer'], { algo: A }>;
export type LabelerConfig = v.InferOutput<typeof LabelerSpec>;

export class ExperimentError extends Error {
  constructor(readonly problems: string[]) {
    super(`The experiment is not valid:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ExperimentError';
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

function problem(issue: v.BaseIssue<unknown>): string {
  const path = issue.path?.map((p) => (typeof p.key === 'number' ? `[${p.key}]` : `.${String(p.key)}`)).join('') ?? '';
  const field = path ? path.replace(/^\./, '') : '(the file)';
  if (issue.kind === 'schema' && issue.input === undefined && path) {
    return `${field}: missing (this field is required)`;
  }
  if (issue.kind === 'schema' && issue.expected === 'never') {
    return `${field}: unknown key (remove it, or check its spelling)`;
  }
  if (issue.type === 'variant' || issue.type === 'literal' || issue.type === 'picklist') {
    return `${field}: expected ${issue.expected}, got ${describe(issue.input)}`;
  }
  if (issue.kind === 'schema') {
    return `${field}: expected ${issue.expected}, got ${describe(issue.input)}`;
  }
  // validations (min/max/integer/finite/length)
  return `${field}: expected ${issue.expected ?? issue.type} (${issue.type.replace(/_/g, ' ')}), got ${describe(issue.input)}`;
}

/** Validates untrusted input (a file, a link, CLI overrides) into an Experiment, or throws ExperimentError. */
export function parseExperiment(input: unknown): Experiment {
  const result = v.safeParse(ExperimentSpec, input);
  if (!result.success) throw new ExperimentError(result.issues.map(problem));
  const problems = [...crossCheck(result.output), ...myopicProblems(result.output)];
  if (problems.length) throw new ExperimentError(problems);
  return result.output;
}

/** The optimizers each task runs. */
export const TASK_ALGOS = {
  landscape2d: ['reinforce', 'dpo', 'rloo', 'grpo', 'best_of_n'],
  text: ['ppo', 'dpo', 'rloo', 'grpo', 'best_of_n'],
  control: ['ppo'],
} as const satisfies Record<Experiment['task']['kind'], readonly Experiment['optimizer']['algo'][]>;

function algoProblem(task: string, algo: string, allowed: readonly string[]): string {
  return `optimizer.algo: the ${task} task is optimized with ${allowed.map((a) => `"${a}"`).join(', ')}; got "${algo}"`;
}

/** Policy iterations (metrics rows) per round: best-of-n has one per n. */
export function policyIterations(e: Experiment): number {
  return e.optimizer.algo === 'best_of_n' ? e.optimizer.n.length : e.optimizer.iterations;
}

/** The optimizer's KL coefficient β, where it has one (best-of-n has none). */
export function klCoef(e: Experiment): number | undefined {
  return e.optimizer.algo === 'best_of_n' ? undefined : e.optimizer.kl_coef;
}

/** The policy's Adam learning rate (best-of-n trains nothing: 0). */
export function optimizerLr(e: Experiment): number {
  return e.optimizer.algo === 'best_of_n' ? 0 : e.optimizer.lr;
}

/** The optimizer's settings when it is `algo`; a task calls this where only that optimizer's math applies. */
export function optimizerAs<A extends Experiment['optimizer']['algo']>(e: Experiment, algo: A): OptimizerOf<A> {
  if (e.optimizer.algo !== algo) throw new Error(`this step needs optimizer "${algo}", the run has "${e.optimizer.algo}"`);
  return e.optimizer as OptimizerOf<A>;
}

/** Rules that span fields: which policy and optimizer each task takes, and what must fit the text model. */
function crossCheck(e: Experiment): string[] {
  const out: string[] = [];
  const { task, policy, optimizer } = e;
  if (task.kind === 'landscape2d') {
    if (policy.kind !== 'gaussian_mixture') out.push(`policy.kind: the landscape task needs "gaussian_mixture", got "${policy.kind}"`);
    if (!(TASK_ALGOS.landscape2d as readonly string[]).includes(optimizer.algo)) out.push(algoProblem('landscape', optimizer.algo, TASK_ALGOS.landscape2d));
    e.labelers.forEach((l, i) => {
      if (l.kind === 'simulated' && l.length_bias !== 0) out.push(`labelers[${i}].length_bias: a length bias applies to text only; set it to 0`);
    });
  } else if (task.kind === 'control') {
    out.push(...controlProblems(e, task));
  } else {
    if (policy.kind !== 'gpt') out.push(`policy.kind: the text task needs "gpt", got "${policy.kind}"`);
    if (!(TASK_ALGOS.text as readonly string[]).includes(optimizer.algo)) out.push(algoProblem('text', optimizer.algo, TASK_ALGOS.text));
    task.prompts.forEach((p, i) => {
      const bad = unknownChars(p);
      if (bad.length) {
        out.push(
          `task.prompts[${i}]: ${JSON.stringify(p)} has characters outside the vocabulary (${bad.map((c) => JSON.stringify(c)).join(', ')}); ` +
            `use lowercase letters a–z, space and !',-.?`,
        );
      }
      if (1 + p.length + task.max_new_tokens > TEXT_CONTEXT) {
        out.push(
          `task.prompts[${i}]: ${p.length} characters plus max_new_tokens ${task.max_new_tokens} do not fit the model's ` +
            `context of ${TEXT_CONTEXT} (shorten the prompt or lower max_new_tokens to ${TEXT_CONTEXT - 1 - p.length})`,
        );
      }
    });
  }
  if (optimizer.algo === 'ppo' && optimizer.batch_size % optimizer.minibatches !== 0) {
    out.push(`optimizer.minibatches: ${optimizer.minibatches} does not divide batch_size ${optimizer.batch_size}`);
  }
  if ((optimizer.algo === 'rloo' || optimizer.algo === 'grpo') && optimizer.batch_size % optimizer.k !== 0) {
    out.push(`optimizer.k: ${optimizer.k} samples per prompt do not divide batch_size ${optimizer.batch_size}`);
  }
  const rm = e.reward_model;
  if (rm.ensemble === 1 && rm.conservative !== 'mean') {
    out.push(`reward_model.conservative: "${rm.conservative}" needs an ensemble; set reward_model.ensemble to 2 or more`);
  }
  if (task.kind === 'text' && rm.ensemble > 1) {
    out.push(`reward_model.ensemble: the text task trains one GPT reward model; set it to 1 (ensembles run on the landscape and control tasks)`);
  }
  if (rm.ensemble === 1 && rm.query === 'disagreement') {
    out.push(`reward_model.query: "disagreement" needs an ensemble; set reward_model.ensemble to 2 or more`);
  }
  if (optimizer.algo === 'dpo' && e.overoptimization && e.overoptimization.bon_n.length > 0) {
    out.push(`overoptimization.bon_n: best-of-n needs a reward model, which a DPO run does not train; leave bon_n empty`);
  }
  return out;
}

/** A myopic labeler watches segments: refused on the other tasks rather than ignored. */
function myopicProblems(e: Experiment): string[] {
  if (e.task.kind === 'control') return [];
  return e.labelers.flatMap((l, i) =>
    l.kind === 'simulated' && (l.myopic_steps ?? 0) !== 0
      ? [`labelers[${i}].myopic_steps: a myopic labeler applies to control segments only; set it to 0`]
      : [],
  );
}

/** The control task's cross-field rules. */
function controlProblems(e: Experiment, task: Extract<Experiment['task'], { kind: 'control' }>): string[] {
  const out: string[] = [];
  const { policy, optimizer } = e;
  if (policy.kind !== 'mlp') out.push(`policy.kind: the control task needs "mlp", got "${policy.kind}"`);
  if (!(TASK_ALGOS.control as readonly string[]).includes(optimizer.algo)) out.push(algoProblem('control', optimizer.algo, TASK_ALGOS.control));
  if (optimizer.algo === 'ppo') {
    if (task.rollout_steps % optimizer.batch_size !== 0) {
      out.push(`task.rollout_steps: ${task.rollout_steps} is not a multiple of optimizer.batch_size ${optimizer.batch_size} (the environments run side by side)`);
    }
    if (task.rollout_steps % optimizer.minibatches !== 0) {
      out.push(`optimizer.minibatches: ${optimizer.minibatches} does not divide task.rollout_steps ${task.rollout_steps}`);
    }
    if (optimizer.kl_coef !== 0) out.push(`optimizer.kl_coef: the control task has no reference policy to stay near; set it to 0`);
  }
  if (e.schedule.rollback) out.push(`schedule.rollback: the control task does not roll its policy back between rounds; set it to false`);
  if (e.overoptimization && e.overoptimization.bon_n.length > 0) {
    out.push(`overoptimization.bon_n: the control task has no best-of-n sweep; leave bon_n empty`);
  }
  e.labelers.forEach((l, i) => {
    if (l.kind === 'simulated' && l.length_bias !== 0) out.push(`labelers[${i}].length_bias: a length bias applies to text only; set it to 0`);
    if (l.kind === 'simulated' && (l.myopic_steps ?? 0) > task.segment_steps) {
      out.push(`labelers[${i}].myopic_steps: ${l.myopic_steps} is longer than a segment (task.segment_steps ${task.segment_steps})`);
    }
  });
  return out;
}

/** Parses JSON text first, so a syntax error also gets a message of its own. */
export function parseExperimentJson(text: string): Experiment {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new ExperimentError([`not valid JSON: ${(e as Error).message}`]);
  }
  return parseExperiment(data);
}

/**
 * Applies `path=value` overrides (`--set optimizer.kl_coef=0.5`, `--set labelers[0].beta=3`) to a copy.
 * The value is read as JSON when it parses, else as a string; the result is validated as a whole.
 */
export function applyOverrides(base: unknown, overrides: string[]): Experiment {
  const copy = structuredClone(base) as Record<string, unknown>;
  for (const o of overrides) {
    const eq = o.indexOf('=');
    if (eq <= 0) throw new ExperimentError([`--set ${o}: expected path=value, e.g. optimizer.kl_coef=0.5`]);
    const path = o
      .slice(0, eq)
      .replace(/\[(\d+)\]/g, '.$1')
      .split('.')
      .filter(Boolean);
    if (path.some((k) => k === '__proto__' || k === 'constructor' || k === 'prototype')) {
      throw new ExperimentError([`--set ${o}: "${o.slice(0, eq)}" is not a field of the experiment`]);
    }
    const raw = o.slice(eq + 1);
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      value = raw;
    }
    let node: Record<string, unknown> = copy;
    for (let i = 0; i < path.length - 1; i++) {
      const next = node[path[i]];
      if (next === null || typeof next !== 'object') {
        throw new ExperimentError([`--set ${o}: ${path.slice(0, i + 1).join('.')} is not an object or array`]);
      }
      node = next as Record<string, unknown>;
    }
    node[path[path.length - 1]] = value;
  }
  return parseExperiment(copy);
}

/** An experiment of the landscape task (what crossCheck guarantees for task.kind "landscape2d"). */
export type LandscapeExperiment = Experiment & {
  task: Extract<Experiment['task'], { kind: 'landscape2d' }>;
  policy: Extract<Experiment['policy'], { kind: 'gaussian_mixture' }>;
  optimizer: Extract<Experiment['optimizer'], { algo: (typeof TASK_ALGOS.landscape2d)[number] }>;
};

/** An experiment of the text task (what crossCheck guarantees for task.kind "text"). */
export type TextExperiment = Experiment & {
  task: Extract<Experiment['task'], { kind: 'text' }>;
  policy: Extract<Experiment['policy'], { kind: 'gpt' }>;
  optimizer: Extract<Experiment['optimizer'], { algo: (typeof TASK_ALGOS.text)[number] }>;
};

/** An experiment of the control task (what crossCheck guarantees for task.kind "control"). */
export type ControlExperiment = Experiment & {
  task: Extract<Experiment['task'], { kind: 'control' }>;
  policy: Extract<Experiment['policy'], { kind: 'mlp' }>;
  optimizer: OptimizerOf<'ppo'>;
};
