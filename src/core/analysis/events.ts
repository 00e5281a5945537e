// "What is happening": reads a run's metric rows as they arrive and names what a student should notice, in words.
// Each detector looks at the newest rows of the RL curve (best-of-n sweep rows, `overopt/bon` = 1, are left out) and
// says something only while its condition holds, so the line follows the run. Criteria, each tested on hand-made rows
// in tests/unit/events.test.ts:
//   over-optimization  in the current round (at least OVEROPT_WINDOW rows), either gold's peak (of its means over
//                      OVEROPT_RECENT consecutive rows) ended before the newest OVEROPT_RECENT rows, their mean gold is
//                      below that peak by more than OVEROPT_DROP (15%) of the run's gold range, and their mean proxy
//                      is above the proxy's mean over the peak's rows (the proxy kept rising while gold fell, Gao et al. 2022; it stays named once gold
//                      has fallen, not only while it falls); or the proxy's mean rose by a normalized std or more from
//                      the round's first OVEROPT_RECENT rows to its newest while gold rose by no more than OVEROPT_FLAT
//                      (5%) of its range and sits more than half its range below the run's best (gold fell in an
//                      earlier round and the retrained reward model is exploited again). Means over OVEROPT_RECENT = 5
//                      rows: with 3, the landscape's gold noise named a fall at single dips (measured on
//                      landscape-ridge; with 5 it names rounds 1–3 of its 4 as the gallery describes them, and
//                      overopt-landscape from step 93 of 120).
//   KL past its target the median KL (k1) of the last 3 rows is above 1.2 × the KL target. 1.2 because the adaptive
//                      controller's error is clipped at ±0.2 (Ziegler et al. 2019): up to there it is steering. The
//                      median, so that one noisy row (a rare sample) neither fires it nor silences it.
//   few held-out pairs the last row's reward-model accuracy was measured on fewer than MIN_HELDOUT pairs (`rm/heldout`).
//   re-normalized      the current round began fewer than RENORM_RECENT rows ago and its first proxy is at least 0.5
//                      (half a normalized std) below the previous round's last: the reward model was refit and
//                      re-normalized to mean 0 over the policy's samples, so the proxy restarts near 0.
//   leaving language   text only: the median over the last 3 rows of KL per generated character (objective/kl divided
//                      by text/length) is at least LANGUAGE_KL_PER_CHAR nats. At 0.25 nats per character, a 15-character
//                      completion is e^3.75 ≈ 40 times less likely under the base model than under the policy: text
//                      the base model would seldom write, where misspellings the reward model tolerates creep in.
// Plain rows in, plain strings out: no DOM, so the CLI and tests read the same events.
import type { MetricRow } from '../checkpoint/record';
import type { Experiment } from '../experiment/parse';
import { algorithmOf } from '../algos/registry';

export type EventKind = 'overoptimization' | 'kl-past-target' | 'few-heldout' | 'renormalized' | 'leaving-language';

export interface RunEvent {
  kind: EventKind;
  /** The step at which it was seen (the newest row's). */
  step: number;
  text: string;
}

export interface EventContext {
  /** The KL target of an adaptive controller; null or absent where β is fixed. */
  klTarget?: number | null;
}

export const OVEROPT_WINDOW = 10;
export const OVEROPT_RECENT = 5;
export const OVEROPT_DROP = 0.15;
export const OVEROPT_FLAT = 0.05;
export const KL_TOLERANCE = 1.2;
export const MIN_HELDOUT = 20;
export const RENORM_RECENT = 10;
export const RENORM_DROP = 0.5;
export const LANGUAGE_KL_PER_CHAR = 0.25;

const num = (r: MetricRow | undefined, k: string): number | null => {
  const v = r?.[k];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
};
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const values = (rows: readonly MetricRow[], k: string) => rows.map((r) => num(r, k)).filter((v): v is number => v !== null);
const f = (x: number, d = 2) => x.toFixed(d);

/** The KL target of the experiment's optimizer, where it adapts β toward one. */
export function klTargetOf(e: Experiment): number | null {
  return algorithmOf(e.optimizer).klTarget?.(e.optimizer).target ?? null;
}

/** The RL curve's rows: training rows, without the best-of-n sweep that follows it. */
export function rlRows(rows: readonly MetricRow[]): MetricRow[] {
  return rows.filter((r) => r['overopt/bon'] !== 1);
}

/** The newest rows of the last row's round. */
function currentRound(rows: readonly MetricRow[]): MetricRow[] {
  const round = rows.at(-1)?.round;
  let i = rows.length;
  while (i > 0 && rows[i - 1].round === round) i--;
  return rows.slice(i);
}

export function overoptimization(rows: readonly MetricRow[]): RunEvent | null {
  const round = currentRound(rows).filter((r) => num(r, 'gold/mean') !== null && num(r, 'proxy/mean') !== null);
  if (round.length < OVEROPT_WINDOW) return null;
  const gold = round.map((r) => num(r, 'gold/mean')!);
  const proxy = round.map((r) => num(r, 'proxy/mean')!);
  const all = values(rows, 'gold/mean');
  const runPeak = Math.max(...all);
  const range = runPeak - Math.min(...all);
  if (!(range > 1e-3)) return null;
  const k = OVEROPT_RECENT;
  const [g1, p1] = [mean(gold.slice(-k)), mean(proxy.slice(-k))];
  const step = round.at(-1)!.step;
  const why = 'The policy is finding what the reward model overrates, not what the labelers wanted.';
  // Gold's peak as the mean of k rows, like the newest rows it is compared with: the largest single row of a noisy
  // curve sits above the curve, and compared with it gold would seem to fall at every dip.
  const smooth = (xs: number[], i: number) => mean(xs.slice(i, i + k));
  let p = 0;
  for (let i = 1; i + k <= gold.length; i++) if (smooth(gold, i) > smooth(gold, p)) p = i;
  const [gPeak, pPeak] = [smooth(gold, p), smooth(proxy, p)];
  // Gold peaked in this round and fell since, while the proxy rose past its value at gold's peak.
  if (gold.length - p >= 2 * k && gPeak - g1 > OVEROPT_DROP * range && p1 > pPeak) {
    return {
      kind: 'overoptimization',
      step,
      text: `Over-optimization: since gold peaked at ${f(gPeak, 3)} (steps ${round[p].step}–${round[p + k - 1].step}) it fell to ${f(g1, 3)}, while the proxy kept rising (${f(pPeak)} → ${f(p1)}). ${why}`,
    };
  }
  // Gold fell earlier and does not come back, while the proxy climbs by a normalized std or more this round.
  const [g0, p0] = [mean(gold.slice(0, k)), mean(proxy.slice(0, k))];
  if (p1 - p0 >= 1 && g1 - g0 <= OVEROPT_FLAT * range && runPeak - g1 > 0.5 * range) {
    return {
      kind: 'overoptimization',
      step,
      text: `Over-optimization: the proxy rose from ${f(p0)} to ${f(p1)} this round while gold stayed at ${f(g1, 3)}, far below the run's best ${f(runPeak, 3)}. ${why}`,
    };
  }
  return null;
}

export function klPastTarget(rows: readonly MetricRow[], target: number | null | undefined): RunEvent | null {
  if (target === null || target === undefined || !(target > 0)) return null;
  const kl = values(rows.slice(-3), 'objective/kl');
  if (kl.length < 3) return null;
  const m = median(kl);
  if (!(m > KL_TOLERANCE * target)) return null;
  const beta = num(rows.at(-1), 'objective/kl_coef');
  return {
    kind: 'kl-past-target',
    step: rows.at(-1)!.step,
    text: `KL is past its target: ${f(m)} against ${f(target)}${beta === null ? '' : ` (β is now ${f(beta, 3)}; the controller raises it to pull the policy back)`}.`,
  };
}

export function fewHeldOut(rows: readonly MetricRow[]): RunEvent | null {
  const last = rows.at(-1);
  const n = num(last, 'rm/heldout');
  if (n === null || n >= MIN_HELDOUT) return null;
  const acc = num(last, 'rm/accuracy');
  return {
    kind: 'few-heldout',
    step: last!.step,
    text:
      n === 0
        ? 'The reward model\'s accuracy is not measured: no labeled pair was held out.'
        : `The reward model's held-out accuracy${acc === null ? '' : ` ${f(acc)}`} comes from only ${n} pair${n === 1 ? '' : 's'}: each pair moves it by ${f(1 / n)}, so it says little.`,
  };
}

export function renormalized(rows: readonly MetricRow[]): RunEvent | null {
  const round = currentRound(rows);
  const before = rows.at(-round.length - 1);
  if (!before || round.length > RENORM_RECENT) return null;
  const [p0, p1] = [num(before, 'proxy/mean'), num(round[0], 'proxy/mean')];
  if (p0 === null || p1 === null || !(p0 - p1 >= RENORM_DROP)) return null;
  return {
    kind: 'renormalized',
    step: round[0].step,
    text: `Round ${Number(round[0].round) + 1} began: the reward model was refit and re-normalized (mean 0 over the policy's samples), so the proxy restarted from ${f(p0)} at ${f(p1)}. A new scale, not a worse policy.`,
  };
}

export function leavingLanguage(rows: readonly MetricRow[]): RunEvent | null {
  const tail = rows.slice(-3);
  const perChar = tail.map((r) => {
    const kl = num(r, 'objective/kl');
    const len = num(r, 'text/length');
    return kl === null || len === null || len <= 0 ? null : kl / len;
  });
  if (perChar.length < 3 || perChar.some((v) => v === null)) return null;
  const m = median(perChar as number[]);
  if (!(m >= LANGUAGE_KL_PER_CHAR)) return null;
  return {
    kind: 'leaving-language',
    step: rows.at(-1)!.step,
    text: `The policy is leaving the base model's language: KL ${f(m)} nats per character. Expect odd words and misspellings the reward model does not mind; a larger KL coefficient holds it back.`,
  };
}

/** What is happening now, most pressing first; empty where nothing stands out. */
export function detectEvents(rows: readonly MetricRow[], ctx: EventContext = {}): RunEvent[] {
  const rl = rlRows(rows);
  if (!rl.length) return [];
  return [overoptimization(rl), leavingLanguage(rl), klPastTarget(rl, ctx.klTarget), renormalized(rl), fewHeldOut(rl)].filter(
    (e): e is RunEvent => e !== null,
  );
}
