// The tab's done/total, rate and ETA, on hand-worked timings.
import { describe, expect, it } from 'vitest';
import { StageProgress, formatDuration, formatRate, stageTotal } from '../../src/core/progress';
import { preset } from '../../src/core/experiment/presets';

describe('StageProgress', () => {
  it('has no estimate before a sample, and no rate before a step is timed', () => {
    const p = new StageProgress();
    expect(p.estimate(0)).toBeNull();
    p.observe('r0/reward', 0, 300, 1000);
    expect(p.estimate(1500)).toEqual({ done: 0, total: 300, rate: null, remainingS: null });
  });

  it('rates the recent steps and counts the time left from now', () => {
    const p = new StageProgress();
    p.observe('k', 0, 100, 0);
    p.observe('k', 10, 100, 1000);
    p.observe('k', 20, 100, 2000);
    // 20 steps in 2 s: 10 steps/s; 80 left: 8 s at t = 2 s, 7.5 s half a second later, never below 0.
    expect(p.estimate(2000)).toEqual({ done: 20, total: 100, rate: 10, remainingS: 8 });
    expect(p.estimate(2500)!.remainingS).toBeCloseTo(7.5, 12);
    expect(p.estimate(60_000)!.remainingS).toBe(0);
  });

  it('forgets steps older than the window, keeping one before it so slow steps still have a rate', () => {
    const p = new StageProgress(10_000);
    p.observe('k', 0, 100, 0);
    p.observe('k', 50, 100, 5000); // 10 steps/s for 5 s
    p.observe('k', 52, 100, 15_000); // then 0.2 steps/s
    p.observe('k', 54, 100, 25_000);
    // The window (15 s … 25 s) plus the sample before it (5 s): 4 steps in 20 s = 0.2 steps/s; 46 left = 230 s.
    const e = p.estimate(25_000)!;
    expect(e.rate).toBeCloseTo(0.2, 12);
    expect(e.remainingS).toBeCloseTo(230, 9);
    // One step per 30 s, longer than the window: the two samples still give a rate.
    const slow = new StageProgress(10_000);
    slow.observe('k', 0, 6, 0);
    slow.observe('k', 1, 6, 30_000);
    slow.observe('k', 2, 6, 60_000);
    expect(slow.estimate(60_000)).toEqual({ done: 2, total: 6, rate: 1 / 30, remainingS: 120 });
  });

  it('keeps the time a count was first reached (updates that repeat it do not make the step look slower)', () => {
    const p = new StageProgress();
    p.observe('k', 0, 10, 0);
    p.observe('k', 1, 10, 2000);
    p.observe('k', 1, 10, 2900); // a status update, no new step
    expect(p.estimate(3000)).toEqual({ done: 1, total: 10, rate: 0.5, remainingS: 17 });
  });

  it('starts over on another stage, a count that went back, or clear()', () => {
    const p = new StageProgress();
    p.observe('r0/label', 0, 10, 0);
    p.observe('r0/label', 10, 10, 1000);
    p.observe('r0/reward', 0, 300, 1000);
    expect(p.estimate(1000)).toEqual({ done: 0, total: 300, rate: null, remainingS: null });
    p.observe('r0/reward', 30, 300, 2000);
    expect(p.estimate(2000)!.rate).toBe(30);
    p.observe('r0/reward', 5, 300, 3000); // a restored run, back at an older checkpoint
    expect(p.estimate(3000)!.rate).toBeNull();
    p.observe('r0/reward', 35, 300, 4000);
    expect(p.estimate(4000)!.rate).toBe(30);
    p.clear(); // paused
    expect(p.estimate(9000)).toBeNull();
  });
});

describe('formatting', () => {
  it('writes rates per second, or per minute under one a second', () => {
    expect(formatRate(24.6, 'steps')).toBe('25 steps/s');
    expect(formatRate(2.25, 'steps')).toBe('2.3 steps/s');
    expect(formatRate(0.2, 'labels')).toBe('12.0 labels/min');
  });

  it('writes durations rounded up to whole seconds', () => {
    expect(formatDuration(0)).toBe('0 s');
    expect(formatDuration(7.2)).toBe('8 s');
    expect(formatDuration(125)).toBe('2 min 05 s');
    expect(formatDuration(3725)).toBe('1 h 02 min');
  });
});

describe('stageTotal', () => {
  it('counts labels, reward-model steps and policy iterations of a round', () => {
    const e = preset('landscape-hello')!;
    expect(stageTotal(e, 'label')).toBe(e.schedule.labels_per_round);
    expect(stageTotal(e, 'reward')).toBe(e.reward_model.steps);
    expect(stageTotal(e, 'reward', false)).toBe(0);
    expect(stageTotal(e, 'policy')).toBe((e.optimizer as { iterations: number }).iterations);
    expect(stageTotal(e, 'done')).toBe(0);
  });
});
