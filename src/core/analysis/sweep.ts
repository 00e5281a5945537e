// A sweep's arithmetic: a grid of `--set` values crossed with seeds, each cell's runs reduced to final and peak
// figures, and their spread over seeds. Plain numbers in, plain numbers out, so the CLI's sweep.csv, its sweep.json
// and the tab's drawing of that file read one definition of "final", "peak" and "spread".
import type { MetricRow } from '../checkpoint/record';

/** One axis of a grid: an experiment path and the values it takes ("optimizer.kl_coef=[0,0.02,0.1]"). */
export interface GridAxis {
  path: string;
  values: unknown[];
}

export class SweepError extends Error {
  override name = 'SweepError';
}

/** At most this many runs (cells × seeds) in one sweep. */
export const MAX_SWEEP_RUNS = 1000;

/** Parses `path=[v1, v2, …]` (a JSON array after the first `=`). */
export function parseAxis(spec: string): GridAxis {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new SweepError(`--grid ${spec}: expected path=[values], e.g. optimizer.kl_coef=[0,0.02,0.1]`);
  const path = spec.slice(0, eq);
  let values: unknown;
  try {
    values = JSON.parse(spec.slice(eq + 1));
  } catch {
    throw new SweepError(`--grid ${path}: the values are not a JSON array (write them as [0,0.02,0.1] or ["a","b"])`);
  }
  if (!Array.isArray(values) || values.length === 0) throw new SweepError(`--grid ${path}: expected a non-empty JSON array of values`);
  return { path, values };
}

/** Every combination of the axes' values, first axis slowest, as `path=value` overrides. */
export function gridCells(axes: readonly GridAxis[]): { params: Record<string, unknown>; sets: string[] }[] {
  const paths = new Set<string>();
  for (const a of axes) {
    if (paths.has(a.path)) throw new SweepError(`--grid ${a.path} is given twice; put all its values in one array`);
    paths.add(a.path);
  }
  let cells: Record<string, unknown>[] = [{}];
  for (const a of axes) cells = cells.flatMap((c) => a.values.map((v) => ({ ...c, [a.path]: v })));
  return cells.map((params) => ({ params, sets: Object.entries(params).map(([p, v]) => `${p}=${typeof v === 'string' ? v : JSON.stringify(v)}`) }));
}

/** What one run of a sweep ended with, and where its gold reward peaked. */
export interface RunFigures {
  gold_start: number | null;
  gold_end: number | null;
  gold_peak: number | null;
  /** The step and KL where gold peaked (an over-optimized run peaks before its end). */
  step_at_gold_peak: number | null;
  kl_at_gold_peak: number | null;
  kl_end: number | null;
  proxy_end: number | null;
  rm_accuracy_end: number | null;
  labels: number | null;
}

export const FIGURES: readonly (keyof RunFigures)[] = [
  'gold_start', 'gold_end', 'gold_peak', 'step_at_gold_peak', 'kl_at_gold_peak', 'kl_end', 'proxy_end', 'rm_accuracy_end', 'labels',
];

const finite = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

/**
 * A run's figures from its metric rows: the first row's gold, the last trained row's gold, KL, proxy and reward-model
 * accuracy, and the row of highest gold. Best-of-n rows of the over-optimization lab come after training and are left
 * out, as the CLI's summary does.
 */
export function runFigures(rows: readonly MetricRow[]): RunFigures {
  const trained = rows.filter((r) => r['overopt/bon'] !== 1);
  const last = trained[trained.length - 1];
  let peak: MetricRow | undefined;
  for (const r of trained) {
    const g = finite(r['gold/mean']);
    if (g !== null && (peak === undefined || g > (peak['gold/mean'] as number))) peak = r;
  }
  return {
    gold_start: finite(trained[0]?.['gold/mean']),
    gold_end: finite(last?.['gold/mean']),
    gold_peak: finite(peak?.['gold/mean']),
    step_at_gold_peak: peak ? peak.step : null,
    kl_at_gold_peak: finite(peak?.['objective/kl']),
    kl_end: finite(last?.['objective/kl']),
    proxy_end: finite(last?.['proxy/mean']),
    rm_accuracy_end: finite(last?.['rm/accuracy']),
    labels: finite(last?.['labels/count']),
  };
}

/** Mean, sample standard deviation (n − 1; 0 for one value), min, max and count of the finite values. */
export interface Spread {
  mean: number | null;
  std: number | null;
  min: number | null;
  max: number | null;
  n: number;
}

export function spread(values: readonly (number | null)[]): Spread {
  const xs = values.filter((x): x is number => x !== null && Number.isFinite(x));
  const n = xs.length;
  if (n === 0) return { mean: null, std: null, min: null, max: null, n: 0 };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, min: Math.min(...xs), max: Math.max(...xs), n };
}

/** One run of a cell: its seed, how it ended, its figures and its gold/KL/proxy series (plot-ready). */
export interface SweepRun {
  seed: number;
  /** "done", "diverged" (exit 3), or "failed: <message>". */
  status: string;
  out: string;
  figures: RunFigures | null;
  series: { step: number[]; gold: (number | null)[]; kl: (number | null)[]; proxy: (number | null)[] } | null;
}

export interface SweepCell {
  params: Record<string, unknown>;
  runs: SweepRun[];
  /** Each figure's spread over the cell's seeds. */
  summary: Record<keyof RunFigures, Spread>;
}

/** What `rlhf-lab sweep` writes as sweep.json, and what the tab draws. */
export interface SweepFile {
  format: 'rlhf-lab-sweep';
  version: 1;
  experiment: string;
  axes: GridAxis[];
  seeds: number[];
  cells: SweepCell[];
}

/** The plot-ready series of a run's rows (trained rows only). */
export function runSeries(rows: readonly MetricRow[]): NonNullable<SweepRun['series']> {
  const trained = rows.filter((r) => r['overopt/bon'] !== 1);
  return {
    step: trained.map((r) => r.step),
    gold: trained.map((r) => finite(r['gold/mean'])),
    kl: trained.map((r) => finite(r['objective/kl'])),
    proxy: trained.map((r) => finite(r['proxy/mean'])),
  };
}

export function cellSummary(runs: readonly SweepRun[]): Record<keyof RunFigures, Spread> {
  return Object.fromEntries(FIGURES.map((f) => [f, spread(runs.map((r) => r.figures?.[f] ?? null))])) as Record<keyof RunFigures, Spread>;
}

const csvField = (x: unknown) => {
  const s = x === null || x === undefined ? '' : typeof x === 'string' ? x : JSON.stringify(x);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** sweep.csv: one row per cell, its parameters, runs done of runs, then each figure's mean, std, min and max over seeds. */
export function sweepCsv(file: SweepFile): string {
  const head = [...file.axes.map((a) => a.path), 'runs', 'done', ...FIGURES.flatMap((f) => [`${f}_mean`, `${f}_std`, `${f}_min`, `${f}_max`])];
  const lines = [head.map(csvField).join(',')];
  for (const c of file.cells) {
    const done = c.runs.filter((r) => r.status === 'done').length;
    const figs = FIGURES.flatMap((f) => {
      const s = c.summary[f];
      return [s.mean, s.std, s.min, s.max].map((x) => (x === null ? '' : Number(x.toPrecision(6))));
    });
    lines.push([...file.axes.map((a) => c.params[a.path]), c.runs.length, done, ...figs].map(csvField).join(','));
  }
  return lines.join('\n') + '\n';
}

/** Checks a sweep.json someone opens in the tab: its shape, before anything is drawn. */
export function readSweepFile(text: string, name = 'the file'): SweepFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new SweepError(`${name} is not valid JSON; open the sweep.json that \`rlhf-lab sweep\` wrote`);
  }
  const f = raw as Partial<SweepFile> | null;
  if (!f || typeof f !== 'object' || f.format !== 'rlhf-lab-sweep') throw new SweepError(`${name} is not a sweep file (no "format": "rlhf-lab-sweep")`);
  if (f.version !== 1) throw new SweepError(`${name} is a sweep file of version ${String(f.version)}; this lab reads version 1`);
  if (!Array.isArray(f.axes) || !Array.isArray(f.cells) || !Array.isArray(f.seeds)) throw new SweepError(`${name} lacks its axes, seeds or cells`);
  for (const [i, c] of f.cells.entries()) {
    if (!c || typeof c !== 'object' || !Array.isArray(c.runs) || typeof c.params !== 'object' || !c.summary) {
      throw new SweepError(`${name}: cell ${i} is malformed`);
    }
    for (const r of c.runs) {
      const s = r?.series;
      if (s !== null && (!s || !Array.isArray(s.step) || !Array.isArray(s.gold) || !Array.isArray(s.kl) || s.gold.length !== s.step.length || s.kl.length !== s.step.length)) {
        throw new SweepError(`${name}: a run of cell ${i} has a malformed series`);
      }
    }
  }
  return f as SweepFile;
}

/** A cell's name for legends and tables: its grid values ("optimizer.kl_coef=0.1"), or "base" for a seeds-only sweep. */
export const cellLabel = (c: SweepCell) => Object.entries(c.params).map(([p, v]) => `${p}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ') || 'base';

/**
 * Chart rows of one series across cells: at each step, each cell's mean over its seeds (key `c<i>`), the seeds that
 * reached that step only. What the tab draws for an opened sweep.
 */
export function sweepRows(file: SweepFile, key: 'gold' | 'kl' | 'proxy'): MetricRow[] {
  const byStep = new Map<number, Record<string, number[]>>();
  file.cells.forEach((c, ci) => {
    for (const r of c.runs) {
      const s = r.series;
      if (!s) continue;
      s.step.forEach((step, i) => {
        const v = s[key][i];
        if (v === null || !Number.isFinite(v)) return;
        const at = byStep.get(step) ?? {};
        (at[`c${ci}`] ??= []).push(v);
        byStep.set(step, at);
      });
    }
  });
  return [...byStep.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([step, at]) => ({ step, ...Object.fromEntries(Object.entries(at).map(([k, vs]) => [k, vs.reduce((a, b) => a + b, 0) / vs.length])) }) as MetricRow);
}
