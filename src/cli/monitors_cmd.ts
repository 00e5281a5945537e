// rlhf-lab monitors RUN_DIR...: the hacking-onset monitors (core/analysis/monitors.ts) replayed over finished runs'
// metrics.jsonl, each alarm scored against the run's gold peak, then per monitor over all the runs: how often it fired
// before the peak and by how many iterations, how often late, missed, or on a run whose gold never turned down.
// A sweep's folder counts as its runs (cells/*/seed-*/). `run` writes the same scoring of its own run to monitors.json.
import { readdir, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { MONITORS, scoreRun, tallyScores, type MonitorTally } from '../core/analysis/monitors';
import type { MetricRow } from '../core/checkpoint/record';
import { readRows } from './sweep';

export const MONITORS_USAGE = `  rlhf-lab monitors RUN_DIR...         replay the hacking-onset monitors over runs (or sweep folders) and score
                                       each alarm against gold's peak: a table per monitor on stdout
      --out FILE                       also write the runs' alarms and the table as JSON`;

/** The monitors' report of one run: gold's peak, each monitor's first alarm and its verdict (monitors.json). */
export function monitorsReport(rows: readonly MetricRow[]) {
  return { format: 'rlhf-lab-monitors', version: 1, ...scoreRun(rows) };
}

/** Run folders at or under dir (a folder holding metrics.jsonl is a run; a sweep's are found below it). */
async function runDirs(dir: string, depth = 0): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    throw new MonitorsError(`cannot read ${dir}: ${(e as Error).message}`);
  }
  if (entries.some((e) => e.isFile() && e.name === 'metrics.jsonl')) return [dir];
  if (depth >= 3) return [];
  const found: string[] = [];
  for (const e of entries.filter((x) => x.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) found.push(...(await runDirs(join(dir, e.name), depth + 1)));
  return found;
}

export class MonitorsError extends Error {}

const lead = (t: MonitorTally) => (t.meanLead === null ? '–' : t.meanLead.toFixed(1));

/** The per-monitor table, as README's: one row per monitor. */
export function tallyTable(tally: readonly MonitorTally[]): string {
  const label = (m: string) => MONITORS.find((x) => x.name === m)!.label;
  const lines = ['| monitor | over-optimizing runs | fired before the peak | mean lead (iterations) | late | missed | false alarms (runs that never turned down) |', '| --- | --- | --- | --- | --- | --- | --- |'];
  for (const t of tally) {
    lines.push(`| ${label(t.monitor)} | ${t.turned} | ${t.early} | ${lead(t)} | ${t.late} | ${t.missed} | ${t.falseAlarms} of ${t.steady} |`);
  }
  return lines.join('\n') + '\n';
}

export async function monitorsCommand(argv: string[], usage: (m: string) => Error, out: (s: string) => void): Promise<void> {
  const targets: string[] = [];
  let file: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--out' || a.startsWith('--out=')) {
      file = a.includes('=') ? a.slice(6) : argv[++i];
      if (!file) throw usage('--out needs a file name');
    } else if (a.startsWith('-')) throw usage(`unknown option ${a}`);
    else targets.push(a);
  }
  if (!targets.length) throw usage('monitors needs run folders (each with metrics.jsonl, as `rlhf-lab run --out` writes) or sweep folders');
  const runs: { dir: string; report: ReturnType<typeof monitorsReport> }[] = [];
  for (const t of targets) {
    const dirs = await runDirs(resolve(t));
    if (!dirs.length) throw new MonitorsError(`${t} holds no metrics.jsonl: give the folder a run wrote (rlhf-lab run --out DIR), or a sweep's`);
    for (const dir of dirs) {
      const rows = await readRows(dir);
      if (!rows?.length) throw new MonitorsError(`${join(dir, 'metrics.jsonl')} has no metric rows`);
      runs.push({ dir, report: monitorsReport(rows) });
    }
  }
  const cwd = process.cwd();
  for (const { dir, report } of runs) {
    const p = report.peak;
    const verdicts = report.scores.map((s) => `${s.monitor} ${s.verdict}${s.step === null ? '' : ` @${s.step}`}`).join(', ');
    out(`${relative(cwd, dir) || '.'}: gold peak ${p ? `${p.gold.toFixed(3)} at step ${p.step}${p.turnedDown ? ', then down' : ', no turn'}` : 'n/a'}; ${verdicts}\n`);
  }
  const tally = tallyScores(runs.map((r) => r.report.scores));
  out('\n' + tallyTable(tally));
  if (file) {
    await writeFile(file, JSON.stringify({ format: 'rlhf-lab-monitors-table', version: 1, runs: runs.map((r) => ({ dir: r.dir, ...r.report })), tally }, null, 2) + '\n');
    out(`wrote ${file}\n`);
  }
}
