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

export const ExperimentSpec = v.strictObject({
  /** Spec version; only 1 exists. */
  version: v.literal(1),
  /** Short id shown in lists and used in file names. */
  name: v.pipe(v.string(), v.minLength(1), v.maxLength(80)),
  /** One or two sentences on what the experiment shows. */
  description: v.optional(v.pipe(v.string(), v.maxLength(2000)), ''),
  /** Seed of every random draw of the run: same seed, same backend, same numbers. */
  seed: int(0, 2 ** 32 - 1),
  task: v.variant('kind', [LandscapeTask, TextTask]),
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
  }),
  policy: v.variant('kind', [MixturePolicy, GptPolicy]),
  optimizer: v.variant('algo', [Reinforce, Ppo]),
  schedule: v.strictObject({
    /** Rounds of label → fit reward model → optimize policy; later rounds label the current policy's samples. */
    rounds: int(1, 1000),
    /** Comparisons asked per round. */
    labels_per_round: int(0, 100000),
    /** Save a checkpoint at least this often during a stage, in seconds (and after every stage). */
    checkpoint_every_s: num(1, 3600),
  }),
});

export type Experiment = v.InferOutput<typeof ExperimentSpec>;
export type ExperimentInput = v.InferInput<typeof ExperimentSpec>;
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

/** Rules that span fields: which policy and optimizer each task takes, and what must fit the text model. */
function crossCheck(e: Experiment): string[] {
  const out: string[] = [];
  const { task, policy, optimizer } = e;
  if (task.kind === 'landscape2d') {
    if (policy.kind !== 'gaussian_mixture') out.push(`policy.kind: the landscape task needs "gaussian_mixture", got "${policy.kind}"`);
    if (optimizer.algo !== 'reinforce') out.push(`optimizer.algo: the landscape task is optimized with "reinforce", got "${optimizer.algo}"`);
    e.labelers.forEach((l, i) => {
      if (l.kind === 'simulated' && l.length_bias !== 0) out.push(`labelers[${i}].length_bias: a length bias applies to text only; set it to 0`);
    });
  } else {
    if (policy.kind !== 'gpt') out.push(`policy.kind: the text task needs "gpt", got "${policy.kind}"`);
    if (optimizer.algo !== 'ppo') out.push(`optimizer.algo: the text task is optimized with "ppo", got "${optimizer.algo}"`);
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
  optimizer: Extract<Experiment['optimizer'], { algo: 'reinforce' }>;
};

/** An experiment of the text task (what crossCheck guarantees for task.kind "text"). */
export type TextExperiment = Experiment & {
  task: Extract<Experiment['task'], { kind: 'text' }>;
  policy: Extract<Experiment['policy'], { kind: 'gpt' }>;
  optimizer: Extract<Experiment['optimizer'], { algo: 'ppo' }>;
};
