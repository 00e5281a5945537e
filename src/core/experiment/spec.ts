// The Experiment spec, version 1: everything a run needs, validated before anything runs.
// Every field is documented where it is declared; unknown keys and wrong types are refused with a message
// that names the field and what was expected. Storage and share links carry this object as is: a change
// that is not backwards compatible needs version 2 and a migration.
//
// The spec is composed here from the two registries: each task brings its `task` and `policy` blocks and its rules
// (tasks/registry.ts), each algorithm its `optimizer` block, beside its trainer (algos/registry.ts).
import * as v from 'valibot';
import { int, num } from './fields';
import { POLICY_SCHEMAS, TASK_SCHEMAS, taskProblems } from '../tasks/registry';
import { OPTIMIZER_CONFIGS, algorithmOf } from '../algos/registry';

export { LANDSCAPES } from '../tasks/landscape2d/spec';
export { CONTROL_ENVS } from '../tasks/control/spec';

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
  task: v.variant('kind', TASK_SCHEMAS),
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
  policy: v.variant('kind', POLICY_SCHEMAS),
  optimizer: v.variant('algo', OPTIMIZER_CONFIGS),
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
  const problems = crossCheck(result.output);
  if (problems.length) throw new ExperimentError(problems);
  return result.output;
}

/** Policy iterations (metrics rows) per round: best-of-n has one per n. */
export function policyIterations(e: Experiment): number {
  return algorithmOf(e.optimizer).iterations(e.optimizer);
}

/** The optimizer's KL coefficient β, where it has one (best-of-n has none). */
export function klCoef(e: Experiment): number | undefined {
  return algorithmOf(e.optimizer).klCoef(e.optimizer);
}

/** The policy's Adam learning rate (best-of-n trains nothing: 0). */
export function optimizerLr(e: Experiment): number {
  return algorithmOf(e.optimizer).lr(e.optimizer);
}

/** Rules that span fields: the task's (its policy, optimizers and own fields), the optimizer's, the reward model's. */
function crossCheck(e: Experiment): string[] {
  const out = [...taskProblems(e), ...(algorithmOf(e.optimizer).check?.(e.optimizer) ?? [])];
  const rm = e.reward_model;
  if (rm.ensemble === 1 && rm.conservative !== 'mean') {
    out.push(`reward_model.conservative: "${rm.conservative}" needs an ensemble; set reward_model.ensemble to 2 or more`);
  }
  if (rm.ensemble === 1 && rm.query === 'disagreement') {
    out.push(`reward_model.query: "disagreement" needs an ensemble; set reward_model.ensemble to 2 or more`);
  }
  if (!algorithmOf(e.optimizer).usesRewardModel && e.overoptimization && e.overoptimization.bon_n.length > 0) {
    out.push(`overoptimization.bon_n: best-of-n needs a reward model, which a ${algorithmOf(e.optimizer).title(e.optimizer)} run does not train; leave bon_n empty`);
  }
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

/** An experiment of one task kind (what the task's rules guarantee of it). */
export type ExperimentOf<K extends Experiment['task']['kind']> = Experiment & { task: Extract<Experiment['task'], { kind: K }> };
