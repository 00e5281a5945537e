// How far a stage is, how fast it goes and when it will end: done/total, a rate from the recent steps and the time
// left. The tab feeds it the position of each update it gets (ui/lab.svelte.ts) and reads it once a second; the
// arithmetic lives here, without a DOM, so it is tested on hand-worked numbers (tests/unit/progress.test.ts).
import { policyIterations, type Experiment } from './experiment/parse';
import type { Stage } from './checkpoint/record';

/** How many steps a stage has: labels asked, reward-model steps, policy iterations (0 for a stage with none). */
export function stageTotal(e: Experiment, stage: Stage, usesRewardModel = true): number {
  if (stage === 'label') return e.schedule.labels_per_round;
  if (stage === 'reward') return usesRewardModel ? e.reward_model.steps : 0;
  if (stage === 'policy') return policyIterations(e);
  return 0;
}

export interface Estimate {
  done: number;
  total: number;
  /** Steps per second over the recent window; null until a step has been timed. */
  rate: number | null;
  /** Seconds until done at that rate, counted from `now`; null without a rate. */
  remainingS: number | null;
}

interface Sample {
  t: number;
  done: number;
}

/**
 * The progress of one stage at a time. `observe` takes each (time, done) seen; a different `key` (another run, round
 * or stage) or a count that went back starts over. The rate is the slope over the samples of the last `windowMs`,
 * reaching back one sample before the window so that steps slower than the window still have a rate.
 */
export class StageProgress {
  private key: string | null = null;
  private total = 0;
  private samples: Sample[] = [];

  constructor(private readonly windowMs = 10_000) {}

  observe(key: string, done: number, total: number, t: number): void {
    const last = this.samples[this.samples.length - 1];
    if (key !== this.key || (last && done < last.done)) this.clear(key);
    this.total = total;
    if (last && key === this.key && done === last.done) return; // no step since: the older time is when it was reached
    this.samples.push({ t, done });
    while (this.samples.length > 2 && this.samples[1].t < t - this.windowMs) this.samples.shift();
  }

  /** Forgets the timings (a pause: the time it stood still is no measure of speed). */
  clear(key: string | null = null): void {
    this.key = key;
    this.samples = [];
  }

  estimate(now: number): Estimate | null {
    const last = this.samples[this.samples.length - 1];
    if (!last) return null;
    const first = this.samples[0];
    const dt = (last.t - first.t) / 1000;
    const rate = dt > 0 && last.done > first.done ? (last.done - first.done) / dt : null;
    const left = Math.max(0, this.total - last.done);
    // The next step has been under way since `last.t`: that time is already spent.
    const remainingS = rate === null ? null : Math.max(0, left / rate - Math.max(0, now - last.t) / 1000);
    return { done: last.done, total: this.total, rate, remainingS };
  }
}

/** "12 steps/s", "0.5 steps/s", "4.0 labels/min": per minute under one a second, so a person's pace reads whole. */
export function formatRate(rate: number, unit: string): string {
  if (rate >= 10) return `${Math.round(rate)} ${unit}/s`;
  if (rate >= 1) return `${rate.toFixed(1)} ${unit}/s`;
  return `${(rate * 60).toFixed(1)} ${unit}/min`;
}

/** "8 s", "2 min 05 s", "1 h 02 min": whole seconds, rounded up so that 0 s means done. */
export function formatDuration(seconds: number): string {
  const s = Math.ceil(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}
