// The Experiment, version 1: everything a run needs, composed from the two registries (each task brings its `task`
// and `policy` blocks and its rules, tasks/registry.ts; each algorithm its `optimizer` block, algos/registry.ts) and
// the blocks every experiment has (spec.ts), and validated before anything runs. Unknown keys and wrong types are
// refused with a message that names the field and what was expected.
import * as v from 'valibot';
import { int, issueField, shownValue } from './fields';
import { LabelerSpec, OveroptimizationSpec, RewardModelSpec, ScheduleSpec } from './spec';
import { POLICY_SCHEMAS, TASK_SCHEMAS, taskProblems } from '../tasks/registry';
import { OPTIMIZER_CONFIGS, algorithmOf } from '../algos/registry';

export type { LabelerConfig } from './spec';

export const ExperimentSpec = v.strictObject({
  /** Spec version; only 1 exists. */
  version: v.literal(1),
  /** Short id shown in lists and used in file names. */
  name: v.pipe(
    v.string(),
    v.minLength(1),
    v.maxLength(80),
    v.check((s) => !/[\u0000-\u001f\u007f]/.test(s), 'a name without control characters'),
    v.check((s) => !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s), 'a name of whole Unicode characters (no lone surrogate)'),
  ),
  /** One or two sentences on what the experiment shows. */
  description: v.optional(v.pipe(v.string(), v.maxLength(2000)), ''),
  /** Seed of every random draw of the run: same seed, same backend, same numbers. */
  seed: int(0, 2 ** 32 - 1),
  task: v.variant('kind', TASK_SCHEMAS),
  /** Who answers comparisons: one labeler, or a panel that shares the queries by weight. */
  labelers: v.pipe(v.array(LabelerSpec), v.minLength(1), v.maxLength(8)),
  reward_model: RewardModelSpec,
  policy: v.variant('kind', POLICY_SCHEMAS),
  optimizer: v.variant('algo', OPTIMIZER_CONFIGS),
  schedule: ScheduleSpec,
  /** The over-optimization lab: best-of-n sweep, Gao et al. fits and the reward-hacking panel (optional). */
  overoptimization: v.optional(OveroptimizationSpec),
});

export type Experiment = v.InferOutput<typeof ExperimentSpec>;
export type ExperimentInput = v.InferInput<typeof ExperimentSpec>;
/** The settings of one optimizer, by its algo. */
export type OptimizerOf<A extends Experiment['optimizer']['algo']> = Extract<Experiment['optimizer'], { algo: A }>;

export class ExperimentError extends Error {
  constructor(readonly problems: string[]) {
    super(`The experiment is not valid:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ExperimentError';
  }
}

function problem(issue: v.BaseIssue<unknown>): string {
  const { field, path } = issueField(issue, '(the file)');
  if (issue.kind === 'schema' && issue.input === undefined && path) {
    return `${field}: missing (this field is required)`;
  }
  if (issue.kind === 'schema' && issue.expected === 'never') {
    return `${field}: unknown key (remove it, or check its spelling)`;
  }
  if (issue.type === 'variant' || issue.type === 'literal' || issue.type === 'picklist') {
    return `${field}: expected ${issue.expected}, got ${shownValue(issue.input)}`;
  }
  if (issue.kind === 'schema') {
    return `${field}: expected ${issue.expected}, got ${shownValue(issue.input)}`;
  }
  if (issue.type === 'check') return `${field}: expected ${issue.message}, got ${shownValue(issue.input)}`;
  // validations (min/max/integer/finite/length)
  return `${field}: expected ${issue.expected ?? issue.type} (${issue.type.replace(/_/g, ' ')}), got ${shownValue(issue.input)}`;
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
  const algo = algorithmOf(e.optimizer);
  if (e.schedule.feedback === 'thumbs' && !algo.unpaired) {
    out.push(`schedule.feedback: "thumbs" gives one sample up or down, which ${algo.title(e.optimizer)} cannot learn from; use optimizer.algo "kto", or feedback "pairs"`);
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
  const twice = duplicateKey(text);
  if (twice) throw new ExperimentError([`${twice}: given twice (JSON keeps only the last; remove one)`]);
  return parseExperiment(data);
}

/**
 * The path of the first key an object of valid JSON text gives twice, or null. JSON.parse keeps the last silently, so
 * a file could say one thing to a reader and another to the lab.
 */
function duplicateKey(text: string): string | null {
  const stack: { keys: Set<string> | null; path: string; at: string }[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const top = stack[stack.length - 1];
      if (expectKey && top?.keys) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        const path = top.path ? `${top.path}.${key.slice(0, 40)}` : key.slice(0, 40);
        if (top.keys.has(key)) return path;
        top.keys.add(key);
        top.at = path;
        expectKey = false;
      }
      i = j;
    } else if (c === '{' || c === '[') {
      const parent = stack[stack.length - 1];
      const path = parent ? (parent.keys ? parent.at : `${parent.path}[]`) : '';
      stack.push({ keys: c === '{' ? new Set() : null, path, at: path });
      expectKey = c === '{';
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      expectKey = !!stack[stack.length - 1]?.keys;
    }
  }
  return null;
}

/**
 * Applies `path=value` overrides (`--set optimizer.kl_coef=0.5`, `--set labelers[0].beta=3`) to a copy.
 * The value is read as JSON when it parses, else as a string; the result is validated as a whole.
 */
/** The longest `--set` value read (a longer one is refused before it is parsed). */
export const MAX_OVERRIDE = 100_000;

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
    if (raw.length > MAX_OVERRIDE) throw new ExperimentError([`--set ${o.slice(0, eq)}: the value is ${raw.length} characters long; at most ${MAX_OVERRIDE}`]);
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      value = raw;
    }
    let node: Record<string, unknown> = copy;
    for (let i = 0; i < path.length; i++) {
      // An array takes an index, up to its length where a value is set (the next one appends); never `length`.
      const index = /^\d+$/.test(path[i]) ? Number(path[i]) : null;
      if (Array.isArray(node) && (index === null || (i === path.length - 1 && index > node.length))) {
        throw new ExperimentError([`--set ${o.slice(0, eq)}: ${path.slice(0, i).join('.')} has ${node.length} entries; "${path[i]}" is neither one of them nor the next`]);
      }
      if (i === path.length - 1) break;
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
