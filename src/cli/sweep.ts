// rlhf-lab sweep: one experiment over a grid of settings and several seeds, each run its own `rlhf-lab run` process
// (at most one per core at a time), then one sweep.csv of final and peak figures with their spread over seeds and
// one plot-ready sweep.json (analysis/sweep.ts), which the tab's Runs page opens and draws.
import { readArgs } from './args';
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyOverrides, type Experiment } from '../core/experiment/parse';
import type { MetricRow } from '../core/checkpoint/record';
import {
  MAX_SWEEP_RUNS, SweepError, cellSummary, gridCells, parseAxis, runFigures, runSeries, sweepCsv,
  type GridAxis, type SweepFile, type SweepRun,
} from '../core/analysis/sweep';
import { safeName } from './fs_store';

export const SWEEP_USAGE = `  rlhf-lab sweep <preset | file.json>  run a grid of settings over seeds, several runs at once
      --grid 'path=[v1,v2,...]'        one axis of the grid, a JSON array (repeatable; every combination runs)
      --seeds 1,2,3                    the seeds each cell runs with (default: the experiment's own)
      --jobs N                         runs at once (default and at most: the CPU cores)
      --backend, --set                 as for run, given to every run
      --out DIR                        sweep.csv, sweep.json and cells/<cell>/seed-<s>/ (default sweeps/<name>-<time>)`;

interface SweepArgs {
  target: string;
  axes: GridAxis[];
  seeds: number[] | null;
  jobs: number | null;
  backend: string;
  sets: string[];
  out: string | null;
}

function parseSweepArgs(argv: string[], usage: (m: string) => Error): SweepArgs {
  const args: SweepArgs = { target: '', axes: [], seeds: null, jobs: null, backend: 'cpu', sets: [], out: null };
  readArgs(argv, usage, (flag, take, a) => {
    switch (flag) {
      case '--grid':
        args.axes.push(parseAxis(take()));
        break;
      case '--seeds': {
        const s = take();
        if (!/^\d+(,\d+)*$/.test(s)) throw usage(`--seeds ${s}: expected integers separated by commas, e.g. 1,2,3`);
        args.seeds = [...new Set(s.split(',').map(Number))];
        if (args.seeds.some((x) => x > 2 ** 32 - 1)) throw usage(`--seeds ${s}: seeds go from 0 to 4294967295`);
        break;
      }
      case '--jobs': {
        const s = take();
        if (!/^\d+$/.test(s) || Number(s) < 1) throw usage(`--jobs ${s}: expected a whole number of at least 1`);
        args.jobs = Number(s);
        break;
      }
      case '--backend':
        args.backend = take();
        break;
      case '--set':
        args.sets.push(take());
        break;
      case '--out':
        args.out = take();
        break;
      default:
        if (a.startsWith('-')) throw usage(`unknown option ${a}`);
        if (args.target) throw usage(`one experiment at a time (got "${args.target}" and "${a}")`);
        args.target = a;
    }
  });
  if (!args.target) throw usage('sweep needs a preset name or an experiment file');
  if (!args.axes.length && !args.seeds) throw usage("sweep needs a --grid axis or --seeds (e.g. --grid 'optimizer.kl_coef=[0,0.1]' --seeds 1,2)");
  return args;
}

const BIN = fileURLToPath(new URL('../../bin/rlhf-lab.js', import.meta.url));

/** One `rlhf-lab run`; resolves with its exit code and the last lines it wrote to stderr. */
function runChild(args: string[]): Promise<{ code: number | null; tail: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [BIN, 'run', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-4000);
    });
    child.on('error', (e) => res({ code: null, tail: e.message }));
    child.on('close', (code) => res({ code, tail: err }));
  });
}

/** A run folder's metrics.jsonl as rows; null where it has none (or it cannot be read). */
export async function readRows(dir: string): Promise<MetricRow[] | null> {
  try {
    const text = await readFile(join(dir, 'metrics.jsonl'), 'utf8');
    return text.trimEnd().split('\n').filter(Boolean).map((l) => JSON.parse(l) as MetricRow);
  } catch {
    return null;
  }
}

const fmt = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : x.toFixed(3));

/** Runs the sweep; returns the exit code: 0 when every run finished, 3 when some diverged (and none failed), 1 otherwise. */
export async function sweepCommand(argv: string[], usage: (m: string) => Error, load: (target: string) => Promise<Experiment>): Promise<number> {
  const args = parseSweepArgs(argv, usage);
  const base = await load(args.target);
  const cells = gridCells(args.axes);
  const seeds = args.seeds ?? [base.seed];
  const total = cells.length * seeds.length;
  if (total > MAX_SWEEP_RUNS) throw new SweepError(`the sweep has ${total} runs (${cells.length} cells × ${seeds.length} seeds); at most ${MAX_SWEEP_RUNS}`);
  // Every cell must be a valid experiment before anything runs: a bad value is named now, not after an hour.
  for (const c of cells) {
    const e = applyOverrides(base, [...args.sets, ...c.sets]);
    if (e.labelers.some((l) => l.kind === 'human')) {
      throw new SweepError(`${e.name} asks a human labeler, and a sweep has no one to ask: replace the labeler with --set 'labelers=[…]'`);
    }
  }
  const cores = availableParallelism();
  const jobs = Math.min(args.jobs ?? cores, cores, total);
  const out = resolve(args.out ?? join('sweeps', `${safeName(base.name)}-${new Date().toISOString().replace(/[:.]/g, '-')}`));
  await mkdir(out, { recursive: true });
  process.stderr.write(`sweep of ${base.name}: ${cells.length} cells × ${seeds.length} seeds = ${total} runs, ${jobs} at a time, into ${out}\n`);

  const queue = cells.flatMap((c, ci) => seeds.map((seed) => ({ ci, seed, dir: join(out, 'cells', `${String(ci).padStart(3, '0')}-${safeName(c.sets.join(' ') || 'base')}`, `seed-${seed}`) })));
  const results: SweepRun[][] = cells.map(() => []);
  let finished = 0;
  const started = performance.now();
  const worker = async () => {
    for (let job = queue.shift(); job; job = queue.shift()) {
      const c = cells[job.ci];
      const t0 = performance.now();
      const runArgs = [args.target, '--backend', args.backend, '--seed', String(job.seed), ...[...args.sets, ...c.sets].flatMap((s) => ['--set', s]), '--out', job.dir];
      const { code, tail } = await runChild(runArgs);
      const rows = code === 0 || code === 3 ? await readRows(job.dir) : null;
      const status = code === 0 ? 'done' : code === 3 ? 'diverged' : `failed: ${tail.trim().split('\n').filter((l) => l.startsWith('rlhf-lab:')).pop() ?? `exit ${code}`}`;
      const figures = rows?.length ? runFigures(rows) : null;
      results[job.ci].push({ seed: job.seed, status, out: job.dir, figures, series: rows?.length ? runSeries(rows) : null });
      finished++;
      process.stderr.write(
        `[${finished}/${total}] ${c.sets.join(' ') || base.name} seed ${job.seed}: ${status}` +
          (figures ? `, gold ${fmt(figures.gold_start)} → ${fmt(figures.gold_end)} (peak ${fmt(figures.gold_peak)}), kl ${fmt(figures.kl_end)}` : '') +
          ` (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`,
      );
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));

  const file: SweepFile = {
    format: 'rlhf-lab-sweep',
    version: 1,
    experiment: base.name,
    axes: args.axes,
    seeds,
    cells: cells.map((c, ci) => {
      const runs = results[ci].sort((a, b) => seeds.indexOf(a.seed) - seeds.indexOf(b.seed));
      return { params: c.params, runs, summary: cellSummary(runs) };
    }),
  };
  await writeFile(join(out, 'sweep.json'), JSON.stringify(file) + '\n');
  await writeFile(join(out, 'sweep.csv'), sweepCsv(file));
  const runs = file.cells.flatMap((c) => c.runs);
  const failed = runs.filter((r) => r.status.startsWith('failed')).length;
  const diverged = runs.filter((r) => r.status === 'diverged').length;
  process.stderr.write(
    `sweep done in ${((performance.now() - started) / 1000).toFixed(1)} s: ${runs.length - failed - diverged} finished, ${diverged} diverged, ${failed} failed\n` +
      `wrote ${join(out, 'sweep.csv')} and sweep.json\n`,
  );
  return failed ? 1 : diverged ? 3 : 0;
}
