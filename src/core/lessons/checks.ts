// A lesson step's check: a declarative question put to the metric rows of the step's run (and of earlier steps'
// runs), answered with the numbers it read. No code travels in a lesson: a check is one of the kinds below.
//   compare  one number of a run's rows (its value at the start or end, or its max, min or mean) against a constant or
//            against another such number: "gold/mean at end > gold/mean at start", "max of objective/kl > 20"
//   diverge  over the last N rows, one metric rose while another fell: "gold fell while proxy rose" (Gao et al. 2022)
//   all      every one of a few compare/diverge checks holds
// The rows read are the run's training rows: the best-of-n sweep an over-optimization run appends (overopt/bon = 1)
// is left out, and a metric's value is read only from the rows that logged it as a finite number.
import type { MetricRow } from '../checkpoint/record';

/** Metric keys a check may read: those the runner and the algorithms log (see README, "Metrics"). */
export const METRIC_KEYS = [
  'step',
  'round',
  'labels/count',
  'labels/skipped',
  'gold/mean',
  'test/gold',
  'proxy/mean',
  'objective/kl',
  'objective/kl_k3',
  'objective/kl_coef',
  'objective/entropy',
  'objective/rlhf_reward',
  'rm/accuracy',
  'rm/loss',
  'rm/policy_agreement',
  'rm/ensemble_std',
  'loss/policy',
  'loss/value',
  'loss/dpo',
  'loss/kto',
  'loss/simpo',
  'loss/orpo',
  'policy/approxkl',
  'policy/clipfrac',
  'policy/mean_x',
  'policy/mean_y',
  'value/explained_variance',
  'rewards/chosen',
  'rewards/rejected',
  'rewards/margins',
  'rewards/accuracies',
  'logps/chosen',
  'logps/rejected',
  'text/length',
  'completions/mean_length_pos_adv',
  'completions/mean_length_neg_adv',
  'clip_ratio/low_mean',
  'clip_ratio/high_mean',
  'clip_ratio/region_mean',
  'env/true_return',
  'env/steps',
  'env/rollout_episodes',
] as const;
export type MetricKey = (typeof METRIC_KEYS)[number];

export const AT = ['start', 'end', 'max', 'min', 'mean'] as const;
export type At = (typeof AT)[number];
export const OPS = ['>', '>=', '<', '<='] as const;
export type Op = (typeof OPS)[number];

/**
 * One number read from a run's rows; `step` names an earlier step of the lesson whose run is read instead, `round`
 * reads only that round's rows (0 is the first: iterated RLHF's rounds each start over).
 */
export interface MetricRef {
  metric: MetricKey;
  at: At;
  step?: string;
  round?: number;
}
export interface CompareCheck extends MetricRef {
  kind: 'compare';
  op: Op;
  than: number | MetricRef;
}
export interface DivergeCheck {
  kind: 'diverge';
  rising: MetricKey;
  falling: MetricKey;
  /** The last this-many rows (≥ 2) that logged both metrics; all of them when absent. */
  last?: number;
  step?: string;
}
export type SimpleCheck = CompareCheck | DivergeCheck;
export type Check = SimpleCheck | { kind: 'all'; checks: SimpleCheck[] };

/** One line of a verdict: what was compared, the numbers read, and whether it held. */
export interface Reading {
  text: string;
  passed: boolean;
}
export interface Verdict {
  passed: boolean;
  readings: Reading[];
}

/** The rows a check reads: the step's own run under "", earlier steps' runs under their ids. */
export type RunRows = Record<string, MetricRow[] | undefined>;

/** A run's training rows (the over-optimization lab's best-of-n rows come after training and are left out). */
export function trainingRows(rows: readonly MetricRow[]): MetricRow[] {
  return rows.filter((r) => r['overopt/bon'] !== 1);
}

const num = (r: MetricRow, k: string): number | null => {
  const x = r[k];
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
};

export const fmt = (x: number) => (Math.abs(x) >= 1000 || (x !== 0 && Math.abs(x) < 0.001) ? x.toExponential(2) : String(Math.round(x * 1000) / 1000));

class Unread extends Error {}

const refWhose = (r: MetricRef) => `${r.round !== undefined ? ` in round ${r.round}` : ''}${r.step ? ` of step "${r.step}"` : ''}`;

function rowsOf(runs: RunRows, step: string | undefined): MetricRow[] {
  const rows = runs[step ?? ''];
  if (!rows) throw new Unread(step ? `the run of step "${step}" has not finished yet` : 'this step\'s run has not finished yet');
  return trainingRows(rows);
}

function read(runs: RunRows, ref: MetricRef): { value: number; label: string } {
  const values = rowsOf(runs, ref.step)
    .filter((r) => ref.round === undefined || r.round === ref.round)
    .map((r) => num(r, ref.metric))
    .filter((x): x is number => x !== null);
  const whose = refWhose(ref);
  if (values.length === 0) throw new Unread(`the run${ref.step ? ` of step "${ref.step}"` : ''} logged no ${ref.metric}${ref.round !== undefined ? ` in round ${ref.round}` : ''}`);
  const value =
    ref.at === 'start'
      ? values[0]
      : ref.at === 'end'
        ? values[values.length - 1]
        : ref.at === 'max'
          ? Math.max(...values)
          : ref.at === 'min'
            ? Math.min(...values)
            : values.reduce((a, b) => a + b, 0) / values.length;
  const label = ref.at === 'start' || ref.at === 'end' ? `${ref.metric} at ${ref.at}${whose}` : `${ref.at} of ${ref.metric}${whose}`;
  return { value, label };
}

const holds = (a: number, op: Op, b: number) => (op === '>' ? a > b : op === '>=' ? a >= b : op === '<' ? a < b : a <= b);

function compare(c: CompareCheck, runs: RunRows): Reading {
  const left = read(runs, c);
  const right = typeof c.than === 'number' ? { value: c.than, label: '' } : read(runs, c.than);
  const passed = holds(left.value, c.op, right.value);
  const rhs = right.label ? `${right.label} = ${fmt(right.value)}` : fmt(right.value);
  return { text: `${left.label} = ${fmt(left.value)} ${c.op} ${rhs}`, passed };
}

function diverge(c: DivergeCheck, runs: RunRows): Reading {
  const both = rowsOf(runs, c.step).filter((r) => num(r, c.rising) !== null && num(r, c.falling) !== null);
  const whose = c.step ? ` (step "${c.step}")` : '';
  if (both.length < 2) throw new Unread(`the run${whose} logged fewer than 2 rows with both ${c.rising} and ${c.falling}`);
  const span = both.slice(-Math.min(c.last ?? both.length, both.length));
  const [first, last] = [span[0], span[span.length - 1]];
  const rise = num(last, c.rising)! - num(first, c.rising)!;
  const fall = num(last, c.falling)! - num(first, c.falling)!;
  const steps = `over the last ${span.length} rows${whose} (steps ${first.step}–${last.step})`;
  return {
    text:
      `${c.rising} ${fmt(num(first, c.rising)!)} → ${fmt(num(last, c.rising)!)} (${rise > 0 ? 'rose' : 'did not rise'}), ` +
      `${c.falling} ${fmt(num(first, c.falling)!)} → ${fmt(num(last, c.falling)!)} (${fall < 0 ? 'fell' : 'did not fall'}) ${steps}`,
    passed: rise > 0 && fall < 0,
  };
}

function one(c: SimpleCheck, runs: RunRows): Reading {
  try {
    return c.kind === 'compare' ? compare(c, runs) : diverge(c, runs);
  } catch (e) {
    if (e instanceof Unread) return { text: `not read: ${e.message}`, passed: false };
    throw e;
  }
}

/** Evaluates a check on the rows of the step's run ("" in `runs`) and of the earlier steps it names. */
export function evaluateCheck(check: Check, runs: RunRows): Verdict {
  const readings = check.kind === 'all' ? check.checks.map((c) => one(c, runs)) : [one(check, runs)];
  return { passed: readings.every((r) => r.passed), readings };
}

/** The earlier steps a check reads (their runs must be loaded before it is evaluated). */
export function stepsRead(check: Check): string[] {
  const refs = (c: SimpleCheck): (string | undefined)[] =>
    c.kind === 'compare' ? [c.step, typeof c.than === 'number' ? undefined : c.than.step] : [c.step];
  const all = check.kind === 'all' ? check.checks.flatMap(refs) : refs(check);
  return [...new Set(all.filter((s): s is string => !!s))];
}

/** The check in words, for the lesson page before the run ("gold/mean at end > gold/mean at start"). */
export function describeCheck(check: Check): string {
  const ref = (r: MetricRef) => {
    const whose = refWhose(r);
    return r.at === 'start' || r.at === 'end' ? `${r.metric} at ${r.at}${whose}` : `${r.at} of ${r.metric}${whose}`;
  };
  const simple = (c: SimpleCheck) =>
    c.kind === 'compare'
      ? `${ref(c)} ${c.op} ${typeof c.than === 'number' ? fmt(c.than) : ref(c.than)}`
      : `${c.rising} rose while ${c.falling} fell over the ${c.last ? `last ${c.last} rows` : 'whole run'}${c.step ? ` of step "${c.step}"` : ''}`;
  return check.kind === 'all' ? check.checks.map(simple).join(', and ') : simple(check);
}
