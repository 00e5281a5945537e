// The over-optimization lab's arithmetic (Gao, Schulman, Hilton 2022): with d = √KL(π ‖ π_init), the gold reward gained
// over the starting policy follows
//   best-of-n:  R(d) = d·(α − β·d)          RL:  R(d) = d·(α − β·log d)
// Both are linear in (α, β), so each fit is an ordinary least-squares solve of a 2×2 system (no intercept: R(0) = 0).
// Plain numbers in, plain numbers out; metric rows are read here so the CLI summary and the tab's chart agree.
import type { MetricRow } from '../checkpoint/record';

export interface Fit {
  alpha: number;
  beta: number;
  /** 1 − SS_res / SS_tot (SS_tot about the mean of the fitted points). */
  r2: number;
  /** Points the fit used. */
  points: number;
}

/** One point of the gold/proxy-vs-√KL chart. */
export interface OveroptPoint {
  sqrtKl: number;
  gold: number;
  proxy: number;
}

/** Least squares of y ≈ α·u − β·v over the points (u, v, y). */
function fitLinear(u: number[], v: number[], y: number[]): Fit {
  // Normal equations for y ≈ a·u + b·v, then α = a, β = −b.
  let suu = 0, suv = 0, svv = 0, suy = 0, svy = 0;
  for (let i = 0; i < y.length; i++) {
    suu += u[i] * u[i];
    suv += u[i] * v[i];
    svv += v[i] * v[i];
    suy += u[i] * y[i];
    svy += v[i] * y[i];
  }
  const det = suu * svv - suv * suv;
  if (y.length < 2 || Math.abs(det) < 1e-12 * Math.max(1, suu * svv)) return { alpha: NaN, beta: NaN, r2: NaN, points: y.length };
  const a = (suy * svv - svy * suv) / det;
  const b = (svy * suu - suy * suv) / det;
  const mean = y.reduce((s, x) => s + x, 0) / y.length;
  let res = 0, tot = 0;
  for (let i = 0; i < y.length; i++) {
    res += (y[i] - a * u[i] - b * v[i]) ** 2;
    tot += (y[i] - mean) ** 2;
  }
  return { alpha: a, beta: -b, r2: tot > 0 ? 1 - res / tot : NaN, points: y.length };
}

/** Best-of-n form R(d) = d(α − βd): least squares over (d, R). */
export function fitBestOfN(d: number[], r: number[]): Fit {
  return fitLinear(d, d.map((x) => x * x), r);
}

/** RL form R(d) = d(α − β·log d); points with d = 0 carry no information on log d and are skipped. */
export function fitRl(d: number[], r: number[]): Fit {
  const keep = d.map((x, i) => i).filter((i) => d[i] > 0);
  const dd = keep.map((i) => d[i]);
  return fitLinear(dd, dd.map((x) => x * Math.log(x)), keep.map((i) => r[i]));
}

/** The row with the highest gold reward, and where it sits on the √KL axis. */
export function peak(rows: OveroptPoint[]): { gold: number; sqrtKl: number } {
  let best = rows[0];
  for (const r of rows) if (r.gold > best.gold) best = r;
  return { gold: best.gold, sqrtKl: best.sqrtKl };
}

/** The k samples the reward model likes most beyond what they are worth: largest proxy − gold first. */
export function hackingSamples<T extends { proxy: number; gold: number }>(samples: readonly T[], k: number): T[] {
  return [...samples].sort((a, b) => b.proxy - b.gold - (a.proxy - a.gold)).slice(0, k);
}

/** A sample row of the reward-hacking panel: what it is (a point, a completion), its proxy and gold reward. */
export interface HackingRow {
  label: string;
  proxy: number;
  gold: number;
}

const num = (r: MetricRow, k: string) => (typeof r[k] === 'number' && Number.isFinite(r[k]) ? r[k] : null);

/**
 * Splits a run's metric rows into the RL curve (policy rows, the untrained policy at √KL = 0 first) and the best-of-n
 * curve (rows carrying `bon/n`); KL estimates below 0 (k1 is noisy near the start) count as 0.
 */
export function overoptCurves(rows: readonly MetricRow[]): { rl: OveroptPoint[]; bon: OveroptPoint[] } {
  const rl: OveroptPoint[] = [];
  const bon: OveroptPoint[] = [];
  for (const r of rows) {
    const kl = num(r, 'objective/kl');
    const gold = num(r, 'gold/mean');
    if (kl === null || gold === null) continue;
    const point = { sqrtKl: Math.sqrt(Math.max(0, kl)), gold, proxy: num(r, 'proxy/mean') ?? NaN };
    (num(r, 'bon/n') === null ? rl : bon).push(point);
  }
  return { rl, bon };
}

/**
 * The √KL range a fit may be drawn over: that of its own points (an RL fit's log d needs d > 0, so its range starts
 * at the smallest positive √KL). Null where there is no such range.
 */
export function fitRange(points: readonly OveroptPoint[], positive: boolean): { lo: number; hi: number } | null {
  const d = points.map((p) => p.sqrtKl).filter((x) => Number.isFinite(x) && (!positive || x > 0));
  if (!d.length) return null;
  const lo = Math.min(...d);
  const hi = Math.max(...d);
  return hi > lo ? { lo, hi } : null;
}

export interface CurveSummary {
  alpha: number;
  beta: number;
  r2: number;
  peak_gold: number;
  peak_sqrt_kl: number;
}

/**
 * The Gao et al. fits of a run: gold gained over the starting policy (the first RL row, √KL = 0) against √KL, for
 * RL and best-of-n, with each curve's peak. A curve the run does not have is left out.
 */
export function overoptSummary(rows: readonly MetricRow[]): { rl?: CurveSummary; bon?: CurveSummary } {
  const { rl, bon } = overoptCurves(rows);
  const base = rl.length ? rl[0].gold : bon.length ? bon[0].gold : 0;
  const summarize = (pts: OveroptPoint[], fit: (d: number[], r: number[]) => Fit): CurveSummary => {
    const f = fit(pts.map((p) => p.sqrtKl), pts.map((p) => p.gold - base));
    const p = peak(pts);
    return { alpha: f.alpha, beta: f.beta, r2: f.r2, peak_gold: p.gold, peak_sqrt_kl: p.sqrtKl };
  };
  return {
    ...(rl.length >= 3 ? { rl: summarize(rl, fitRl) } : {}),
    ...(bon.length >= 2 ? { bon: summarize(bon, fitBestOfN) } : {}),
  };
}
