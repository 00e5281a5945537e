// Hacking-onset monitors (core/analysis/monitors.ts) on hand-built metric series with known onsets, and their
// scoring against gold's peak. Expected steps are worked out by hand in the comments, or by a plain second slope.
import { describe, expect, it } from 'vitest';
import type { MetricRow } from '../../src/core/checkpoint/record';
import { MONITORS, goldPeak, monitorAlarms, scoreRun, slope, tallyScores, type MonitorName } from '../../src/core/analysis/monitors';

/** Rows from columns, step = index. */
function rows(cols: Record<string, number[]>): MetricRow[] {
  const n = Math.max(...Object.values(cols).map((c) => c.length));
  return Array.from({ length: n }, (_, i) => {
    const r: MetricRow = { step: i, round: 0 };
    for (const [k, c] of Object.entries(cols)) if (i < c.length) r[k] = c[i];
    return r;
  });
}
const series = (n: number, f: (t: number) => number) => Array.from({ length: n }, (_, t) => f(t));
const firstAlarm = (name: MonitorName, r: MetricRow[]) => monitorAlarms(r).find((a) => a.monitor === name)?.step ?? null;

/** The slope as (nΣxy − ΣxΣy)/(nΣx² − (Σx)²): a second formula, not the code's centred one. */
function slope2(x: number[], y: number[]): number {
  const n = x.length;
  const sx = x.reduce((a, b) => a + b, 0), sy = y.reduce((a, b) => a + b, 0);
  const sxy = x.reduce((a, xi, i) => a + xi * y[i], 0), sxx = x.reduce((a, xi) => a + xi * xi, 0);
  return (n * sxy - sx * sy) / (n * sxx - sx * sx);
}

describe('slope', () => {
  it('is the least-squares slope', () => {
    expect(slope([0, 1, 2], [1, 3, 5])).toBeCloseTo(2, 12);
    // (0,0), (1,1), (2,1), (3,3): by hand Σ(x−1.5)(y−1.25) = 4.5, Σ(x−1.5)² = 5
    expect(slope([0, 1, 2, 3], [0, 1, 1, 3])).toBeCloseTo(0.9, 12);
  });
});

describe('KL acceleration', () => {
  it('fires where the newest 10 rows grow at least twice as fast as the 10 before', () => {
    // KL = 0.1·t up to step 30, then 0.4 per step: a kink.
    const kl = series(60, (t) => (t <= 30 ? 0.1 * t : 3 + 0.4 * (t - 30)));
    const steps = series(60, (t) => t);
    // the expected step, by the second formula over the same windows
    let expected = -1;
    for (let t = 19; t < 60 && expected < 0; t++) {
      const now = slope2(steps.slice(t - 9, t + 1), kl.slice(t - 9, t + 1));
      const before = slope2(steps.slice(t - 19, t - 9), kl.slice(t - 19, t - 9));
      if (now / before >= 2) expected = t;
    }
    expect(expected).toBeGreaterThan(30);
    expect(firstAlarm('kl-acceleration', rows({ 'objective/kl': kl }))).toBe(expected);
  });
  it('is silent on KL growing at a steady rate, levelling off, or still below 1 nat', () => {
    expect(firstAlarm('kl-acceleration', rows({ 'objective/kl': series(80, (t) => 0.2 * t) }))).toBeNull();
    expect(firstAlarm('kl-acceleration', rows({ 'objective/kl': series(80, (t) => 6 * (1 - Math.exp(-t / 20))) }))).toBeNull();
    // accelerating, but all of it under 1 nat
    expect(firstAlarm('kl-acceleration', rows({ 'objective/kl': series(40, (t) => (t < 25 ? 0.001 * t : 0.025 + 0.02 * (t - 25))) }))).toBeNull();
  });
});

describe('entropy slope', () => {
  it('fires once the newest 10 rows fall by 0.02 nats per iteration or more', () => {
    // flat at 2 until step 20, then −0.05 per step. A window ending at step 20 + j holds j falling rows: by the
    // second formula its slope first reaches −0.02 at j = 4 (−0.0167 at j = 3, −0.0242 at j = 4).
    const h = series(50, (t) => (t <= 20 ? 2 : 2 - 0.05 * (t - 20)));
    const s = (j: number) => slope2(series(10, (i) => i), h.slice(20 + j - 9, 20 + j + 1));
    expect(s(3)).toBeGreaterThan(-0.02);
    expect(s(4)).toBeLessThanOrEqual(-0.02);
    expect(firstAlarm('entropy-slope', rows({ 'objective/entropy': h }))).toBe(24);
  });
  it('is silent on a slow fall and on a rise', () => {
    expect(firstAlarm('entropy-slope', rows({ 'objective/entropy': series(60, (t) => 3 - 0.01 * t) }))).toBeNull();
    expect(firstAlarm('entropy-slope', rows({ 'objective/entropy': series(60, (t) => 1 + 0.05 * t) }))).toBeNull();
  });
});

describe('length drift', () => {
  it('fires when the newest 5 rows average 25% above the first 5', () => {
    // 10 characters for 8 rows, then +1 per row: the newest five's mean reaches 12.5 when they are 11..15 (step 12;
    // step 11's are 10..14, mean 12)
    const len = series(20, (t) => (t < 8 ? 10 : 10 + (t - 7)));
    expect(firstAlarm('length-drift', rows({ 'text/length': len }))).toBe(12);
  });
  it('is silent on a steady length, and on a run without text rows', () => {
    expect(firstAlarm('length-drift', rows({ 'text/length': series(30, (t) => 14 + (t % 2)) }))).toBeNull();
    expect(firstAlarm('length-drift', rows({ 'gold/mean': series(30, () => 0) }))).toBeNull();
  });
});

describe('proxy-gold divergence', () => {
  it("fires when the reward model's agreement on the policy's pairs falls 0.2 below its best 5-row mean", () => {
    // 0.75 for 10 rows, then 0.625, 0.5, 0.375, 0.25: the newest five average 0.725, 0.675, 0.6, 0.5 at steps 10-13;
    // 0.75 − 0.5 = 0.25 ≥ 0.2 first at step 13 (0.15 at step 12)
    const a = [...series(10, () => 0.75), 0.625, 0.5, 0.375, 0.25, 0.25, 0.25];
    expect(firstAlarm('proxy-gold-divergence', rows({ 'rm/policy_agreement': a }))).toBe(13);
  });
  it('is silent on a low but steady agreement (a weak reward model from the start, not a divergence)', () => {
    expect(firstAlarm('proxy-gold-divergence', rows({ 'rm/policy_agreement': series(40, (t) => 0.1 + 0.05 * (t % 3)) }))).toBeNull();
  });
});

describe('alarms as the run goes', () => {
  it("judges each row on the rows up to it: later rows do not move an alarm, and best-of-n rows are not the run's", () => {
    const a = [...series(10, () => 0.75), 0.625, 0.5, 0.375, 0.25];
    const r = rows({ 'rm/policy_agreement': a });
    const later = [...r, ...rows({ 'rm/policy_agreement': series(20, () => 0.9) }).map((x, i) => ({ ...x, step: 14 + i }))];
    expect(firstAlarm('proxy-gold-divergence', later)).toBe(13);
    const bon: MetricRow[] = Array.from({ length: 5 }, (_, i) => ({ step: 13, round: 0, 'overopt/bon': 1, 'bon/n': 2 ** i, 'rm/policy_agreement': 0 }));
    expect(firstAlarm('proxy-gold-divergence', [...r.slice(0, 12), ...bon])).toBeNull();
  });
  it('names every monitor once, with its words', () => {
    expect(MONITORS.map((m) => m.name)).toEqual(['kl-acceleration', 'entropy-slope', 'length-drift', 'proxy-gold-divergence']);
    const r = rows({ 'rm/policy_agreement': [...series(10, () => 0.75), 0.625, 0.5, 0.375, 0.25] });
    expect(monitorAlarms(r)).toEqual([
      { monitor: 'proxy-gold-divergence', step: 13, value: 0.5, text: "The reward model now orders only 50% of the policy's own sample pairs as the labeler does." },
    ]);
  });
});

describe('scoring against gold', () => {
  // gold rises to 1 at steps 20-24 (its best 5-row mean, centred on step 22) and falls to 0.2
  const gold = series(40, (t) => (t < 20 ? t / 20 : t < 25 ? 1 : Math.max(0.2, 1 - 0.1 * (t - 24))));
  it("finds gold's peak as the middle of its best 5 rows, and whether it turned down", () => {
    expect(goldPeak(rows({ 'gold/mean': gold }))).toEqual({ step: 22, gold: 1, turnedDown: true });
    const rising = goldPeak(rows({ 'gold/mean': series(40, (t) => t / 40) }));
    expect(rising).toEqual({ step: 37, gold: expect.closeTo(37 / 40, 12), turnedDown: false });
    // a dip of 10% of the range at the end is not a turn
    const dip = goldPeak(rows({ 'gold/mean': series(40, (t) => (t < 30 ? t / 30 : 1 - 0.01 * (t - 29))) }));
    expect(dip?.turnedDown).toBe(false);
  });
  it('scores an alarm before the peak early with its lead, after it late, never missed; on a steady run false or quiet', () => {
    // divergence fires at step 13 (9 before the peak at 22); entropy falls from step 25 on: fires at 29, after it
    const agreement = [...series(10, () => 0.75), 0.625, 0.5, 0.375, ...series(27, () => 0.25)];
    const entropy = series(40, (t) => (t <= 25 ? 2 : 2 - 0.05 * (t - 25)));
    const run = scoreRun(rows({ 'gold/mean': gold, 'rm/policy_agreement': agreement, 'objective/entropy': entropy, 'objective/kl': series(40, (t) => 0.5 * t) }));
    const by = Object.fromEntries(run.scores.map((s) => [s.monitor, s]));
    expect(by['proxy-gold-divergence']).toEqual({ monitor: 'proxy-gold-divergence', verdict: 'early', step: 13, lead: 9 });
    expect(by['entropy-slope']).toEqual({ monitor: 'entropy-slope', verdict: 'late', step: 29, lead: -7 });
    expect(by['kl-acceleration']).toEqual({ monitor: 'kl-acceleration', verdict: 'missed', step: null, lead: null });
    expect(by['length-drift'].verdict).toBe('n/a');

    const steady = scoreRun(rows({ 'gold/mean': series(40, (t) => t / 40), 'rm/policy_agreement': agreement, 'objective/entropy': series(40, () => 1) }));
    const s = Object.fromEntries(steady.scores.map((x) => [x.monitor, x.verdict]));
    expect(s).toEqual({ 'kl-acceleration': 'n/a', 'entropy-slope': 'quiet', 'length-drift': 'n/a', 'proxy-gold-divergence': 'false' });

    const tally = tallyScores([run.scores, steady.scores]);
    expect(tally.find((t) => t.monitor === 'proxy-gold-divergence')).toEqual({
      monitor: 'proxy-gold-divergence', turned: 1, early: 1, late: 0, missed: 0, meanLead: 9, steady: 1, falseAlarms: 1,
    });
    expect(tally.find((t) => t.monitor === 'entropy-slope')).toEqual({
      monitor: 'entropy-slope', turned: 1, early: 0, late: 1, missed: 0, meanLead: null, steady: 1, falseAlarms: 0,
    });
  });
});
