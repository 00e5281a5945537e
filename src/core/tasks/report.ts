// What a task says in a run's Reward Report (analysis/report.ts): its data and policy, its reward model's
// architecture, what a person labeling it is asked, and its failure cases. Plain TypeScript, no tfjs.
import type { CheckpointRecord } from '../checkpoint/record';
import type { Experiment } from '../experiment/parse';

export interface TaskReport {
  /** The reward model in a line. */
  architecture(record: CheckpointRecord): string;
  /** The "Base model and data" section's items (markdown lines). */
  data(record: CheckpointRecord): string;
  /** What a person is asked. */
  instructions: string;
  /** The gold reward's optimum, where the task knows it. */
  optimum?(e: Experiment): number;
  /** Held-out pairs with the stored reward model's P(a ≻ b), where it can be evaluated without tfjs. */
  heldOutPredictions?(record: CheckpointRecord): { p: number; y: number }[];
  /** Up to 5 failure cases: samples the reward model overrates most relative to gold (z-scores). */
  failures(record: CheckpointRecord): { intro: string; column: string; rows: string[] };
}

export const fmt = (x: number | null | undefined, d = 3) => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(d));

/** Scores as z-scores (mean 0, std 1; a constant list stays at 0). */
export function zScores(xs: ArrayLike<number>): number[] {
  const a = Array.from(xs);
  const mu = a.reduce((s, x) => s + x, 0) / (a.length || 1);
  const sd = Math.sqrt(a.reduce((s, x) => s + (x - mu) ** 2, 0) / (a.length || 1)) || 1;
  return a.map((x) => (x - mu) / sd);
}

/** The k items whose proxy z-score most exceeds their gold z-score, as [index, gap]. */
export function overrated(proxy: ArrayLike<number>, gold: ArrayLike<number>, k = 5): { i: number; d: number }[] {
  const [zp, zg] = [zScores(proxy), zScores(gold)];
  return zp
    .map((p, i) => ({ i, d: p - zg[i] }))
    .sort((a, b) => b.d - a.d)
    .slice(0, k);
}
