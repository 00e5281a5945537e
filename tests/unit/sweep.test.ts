// rlhf-lab sweep: the grid, the figures of a run, their spread over seeds (against hand-worked numbers), and the
// command itself on a small landscape grid, checked against each run's own summary.json.
import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './cli_run';
import { gridCells, parseAxis, readSweepFile, runFigures, spread, sweepCsv, SweepError, type SweepFile } from '../../src/core/analysis/sweep';
import type { MetricRow } from '../../src/core/checkpoint/record';

const row = (step: number, gold: number, kl: number, more: Record<string, number> = {}): MetricRow =>
  ({ step, round: 0, 'gold/mean': gold, 'objective/kl': kl, 'proxy/mean': gold * 2, 'labels/count': 10, ...more }) as MetricRow;

describe('sweep arithmetic', () => {
  it('spread: mean, the n − 1 standard deviation, min and max of the finite values', () => {
    const s = spread([1, 2, 4, null, Number.NaN]);
    expect(s.n).toBe(3);
    expect(s.mean).toBeCloseTo(7 / 3, 12);
    // ((1 − 7/3)² + (2 − 7/3)² + (4 − 7/3)²) / 2 = (16/9 + 1/9 + 25/9) / 2 = 7/3
    expect(s.std).toBeCloseTo(Math.sqrt(7 / 3), 12);
    expect([s.min, s.max]).toEqual([1, 4]);
    expect(spread([5])).toEqual({ mean: 5, std: 0, min: 5, max: 5, n: 1 });
    expect(spread([null])).toEqual({ mean: null, std: null, min: null, max: null, n: 0 });
  });

  it('a grid is every combination, first axis slowest, as --set strings', () => {
    const cells = gridCells([parseAxis('optimizer.kl_coef=[0,0.1]'), parseAxis('task.landscape=["one-hill","ridge"]')]);
    expect(cells.map((c) => c.sets)).toEqual([
      ['optimizer.kl_coef=0', 'task.landscape=one-hill'],
      ['optimizer.kl_coef=0', 'task.landscape=ridge'],
      ['optimizer.kl_coef=0.1', 'task.landscape=one-hill'],
      ['optimizer.kl_coef=0.1', 'task.landscape=ridge'],
    ]);
    expect(gridCells([])).toEqual([{ params: {}, sets: [] }]);
    expect(() => parseAxis('optimizer.kl_coef=0.1')).toThrow(SweepError);
    expect(() => parseAxis('optimizer.kl_coef=[]')).toThrow(/non-empty JSON array/);
    expect(() => parseAxis('=[1]')).toThrow(/expected path=\[values\]/);
    expect(() => gridCells([parseAxis('a=[1]'), parseAxis('a=[2]')])).toThrow(/given twice/);
  });

  it("a run's figures: start, end, the peak before an over-optimized end, best-of-n rows left out", () => {
    const rows = [row(0, 0.1, 0), row(1, 0.5, 2), row(2, 0.9, 5), row(3, 0.4, 9, { 'rm/accuracy': 0.8 }), row(3, 5, 20, { 'overopt/bon': 1 })];
    expect(runFigures(rows)).toEqual({
      gold_start: 0.1, gold_end: 0.4, gold_peak: 0.9, step_at_gold_peak: 2, kl_at_gold_peak: 5, kl_end: 9, proxy_end: 0.8, rm_accuracy_end: 0.8, labels: 10,
    });
  });

  it('sweep.csv quotes what needs quoting and leaves missing figures empty; a malformed sweep.json is refused by name', () => {
    const file: SweepFile = {
      format: 'rlhf-lab-sweep', version: 1, experiment: 'x', axes: [{ path: 'name', values: ['a,b'] }], seeds: [1],
      cells: [{ params: { name: 'a,b' }, runs: [], summary: Object.fromEntries(['gold_start', 'gold_end', 'gold_peak', 'step_at_gold_peak', 'kl_at_gold_peak', 'kl_end', 'proxy_end', 'rm_accuracy_end', 'labels'].map((k) => [k, spread([])])) as never }],
    };
    const [head, line] = sweepCsv(file).trimEnd().split('\n');
    expect(head.split(',').slice(0, 4)).toEqual(['name', 'runs', 'done', 'gold_start_mean']);
    expect(line.startsWith('"a,b",0,0,,,,')).toBe(true);
    expect(readSweepFile(JSON.stringify(file)).cells).toHaveLength(1);
    expect(() => readSweepFile('{', 's.json')).toThrow(/s\.json is not valid JSON/);
    expect(() => readSweepFile('{"format":"other"}', 's.json')).toThrow(/not a sweep file/);
    expect(() => readSweepFile(JSON.stringify({ ...file, cells: [{ ...file.cells[0], runs: [{ series: { step: [1], gold: [], kl: [1] } }] }] }), 's.json')).toThrow(/malformed series/);
  });
});

describe('rlhf-lab sweep', () => {
  it('runs 2 KL coefficients × 2 seeds two at a time; sweep.csv holds each cell\'s mean and spread of what the runs\' own summaries say', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rlhf-lab-sweep-'));
    try {
      const sets = ['schedule.rounds=1', 'schedule.labels_per_round=20', 'reward_model.steps=20', 'optimizer.iterations=4'].flatMap((s) => ['--set', s]);
      const r = await cli(['sweep', 'landscape-hello', '--grid', 'optimizer.kl_coef=[0,0.5]', '--seeds', '1,2', '--jobs', '2', '--out', dir, ...sets], 300_000);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/2 cells × 2 seeds = 4 runs/);
      expect(r.stderr).toMatch(/sweep done in .*: 4 finished, 0 diverged, 0 failed/);
      const file = readSweepFile(await readFile(join(dir, 'sweep.json'), 'utf8'));
      const csv = (await readFile(join(dir, 'sweep.csv'), 'utf8')).trimEnd().split('\n').map((l) => l.split(','));
      const col = (name: string) => csv[0].indexOf(name);
      expect(csv).toHaveLength(3);
      const cellDirs = (await readdir(join(dir, 'cells'))).sort();
      expect(cellDirs).toHaveLength(2);
      for (const [ci, kl] of [0, 0.5].entries()) {
        const cell = file.cells[ci];
        expect(cell.params).toEqual({ 'optimizer.kl_coef': kl });
        expect(cell.runs.map((x) => x.seed)).toEqual([1, 2]);
        // Each run's gold at its end, as its own summary.json gives it; the mean and spread computed here.
        const ends: number[] = [];
        for (const seed of [1, 2]) {
          const summary = JSON.parse(await readFile(join(dir, 'cells', cellDirs[ci], `seed-${seed}`, 'summary.json'), 'utf8'));
          expect(summary.experiment.optimizer.kl_coef).toBe(kl);
          expect(summary.experiment.seed).toBe(seed);
          ends.push(summary.gold.end);
        }
        const m = (ends[0] + ends[1]) / 2;
        const sd = Math.abs(ends[0] - ends[1]) / Math.SQRT2;
        expect(Number(csv[ci + 1][col('optimizer.kl_coef')])).toBe(kl);
        expect(Number(csv[ci + 1][col('gold_end_mean')])).toBeCloseTo(m, 5);
        expect(Number(csv[ci + 1][col('gold_end_std')])).toBeCloseTo(sd, 5);
        expect(cell.runs[0].series!.gold.length).toBe(5); // step 0 and 4 iterations
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 300_000);

  it('a grid value the experiment refuses is named before anything runs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rlhf-lab-sweep-bad-'));
    try {
      const r = await cli(['sweep', 'landscape-hello', '--grid', 'optimizer.kl_coef=[0.1,"strong"]', '--out', join(dir, 'out')]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/optimizer\.kl_coef/);
      await expect(readdir(join(dir, 'out'))).rejects.toThrow();
      const usage = await cli(['sweep', 'landscape-hello', '--grid', 'optimizer.kl_coef=0.1']);
      expect(usage.code).toBe(2);
      expect(usage.stderr).toMatch(/--grid optimizer\.kl_coef: expected a non-empty JSON array/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('what the tab draws of a sweep', () => {
  it('each cell\'s mean over seeds at each step, the seeds that reached it only', async () => {
    const { sweepRows, cellLabel } = await import('../../src/core/analysis/sweep');
    const run = (gold: (number | null)[]) => ({ seed: 1, status: 'done', out: '', figures: null, series: { step: gold.map((_, i) => i), gold, kl: gold.map(() => 0), proxy: gold.map(() => 0) } });
    const file = {
      format: 'rlhf-lab-sweep', version: 1, experiment: 'x', axes: [{ path: 'optimizer.kl_coef', values: [0, 0.1] }], seeds: [1, 2],
      cells: [
        { params: { 'optimizer.kl_coef': 0 }, runs: [run([0, 1, 2]), run([0, 3])], summary: {} },
        { params: { 'optimizer.kl_coef': 0.1 }, runs: [run([1, null, 5])], summary: {} },
      ],
    } as unknown as SweepFile;
    expect(sweepRows(file, 'gold')).toEqual([
      { step: 0, c0: 0, c1: 1 },
      { step: 1, c0: 2 }, // (1 + 3) / 2; cell 1's null is left out
      { step: 2, c0: 2, c1: 5 },
    ]);
    expect(file.cells.map(cellLabel)).toEqual(['optimizer.kl_coef=0', 'optimizer.kl_coef=0.1']);
  });
});
