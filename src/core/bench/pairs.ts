// Side-by-side timing (`rlhf-lab bench --vs-torch`): the lab's step and a reference's (torch_reference.py) are timed
// in alternating pairs on one machine, and the figure is the median of the pairs' ratios. A ratio is taken within a
// pair so that a drift of the machine's load (other jobs, thermal limits) touches both sides of it alike; which side
// runs first alternates (lab, torch / torch, lab / …) so that neither always runs on the machine the other warmed.
// Host-agnostic: the CLI supplies the reference (a Python process), tests a function.

/** The median of a non-empty list (the mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('median of no values');
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export type PairSide = 'lab' | 'torch';

/** Which side runs first in pair `i` (0-based): the lab in even pairs, the reference in odd ones. */
export function firstInPair(i: number): PairSide {
  return i % 2 === 0 ? 'lab' : 'torch';
}

/** One pair's times (each side's median ms per step over its own timed steps). */
export interface PairTimes {
  lab_ms: number;
  torch_ms: number;
  first: PairSide;
}

export interface TimedPair extends PairTimes {
  /** lab_ms / torch_ms: above 1 the lab's step is slower by that factor. */
  ratio: number;
}

export interface PairSummary {
  pairs: TimedPair[];
  /** The figure a speed claim quotes: the median over pairs of lab ms / torch ms. */
  median_ratio: number;
  lab_ms_median: number;
  torch_ms_median: number;
}

/** Each pair's ratio and their median; a time that is not a positive number is an error naming the pair. */
export function summarizePairs(times: readonly PairTimes[]): PairSummary {
  if (times.length === 0) throw new Error('no pairs were timed: ask for at least one (--pairs 1)');
  const pairs = times.map((p, i) => {
    for (const side of ['lab_ms', 'torch_ms'] as const) {
      if (!(Number.isFinite(p[side]) && p[side] > 0)) throw new Error(`pair ${i + 1}: ${side} is ${p[side]}, expected a positive time in ms`);
    }
    return { ...p, ratio: round(p.lab_ms / p.torch_ms, 4) };
  });
  return {
    pairs,
    median_ratio: round(median(pairs.map((p) => p.lab_ms / p.torch_ms)), 4),
    lab_ms_median: round(median(pairs.map((p) => p.lab_ms)), 3),
    torch_ms_median: round(median(pairs.map((p) => p.torch_ms)), 3),
  };
}

/**
 * Times `pairs` pairs: `lab()` and `torch()` each time their own steps and return their median ms per step; they
 * alternate which goes first (firstInPair).
 */
export async function timePairs(
  pairs: number,
  lab: () => Promise<number>,
  torch: () => Promise<number>,
  progress: (i: number, p: PairTimes) => void = () => {},
): Promise<PairSummary> {
  const times: PairTimes[] = [];
  for (let i = 0; i < pairs; i++) {
    const first = firstInPair(i);
    let lab_ms: number;
    let torch_ms: number;
    if (first === 'lab') {
      lab_ms = await lab();
      torch_ms = await torch();
    } else {
      torch_ms = await torch();
      lab_ms = await lab();
    }
    times.push({ lab_ms, torch_ms, first });
    progress(i, times[i]);
  }
  return summarizePairs(times);
}

function round(x: number, digits: number): number {
  return Number(x.toFixed(digits));
}
