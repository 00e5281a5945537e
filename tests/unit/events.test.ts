// The "What is happening" detectors (core/analysis/events.ts), each on hand-made metric rows: firing where its
// condition holds, silent where it does not.
import { describe, expect, it } from 'vitest';
import type { MetricRow } from '../../src/core/checkpoint/record';
import {
  LANGUAGE_KL_PER_CHAR,
  MIN_HELDOUT,
  detectEvents,
  fewHeldOut,
  klPastTarget,
  klTargetOf,
  leavingLanguage,
  overoptimization,
  renormalized,
} from '../../src/core/analysis/events';
import { preset } from '../../src/core/experiment/presets';
import { applyOverrides } from '../../src/core/experiment/parse';

/** Rows of one round from columns: rows({ 'gold/mean': [...], 'proxy/mean': [...] }). */
function rows(cols: Record<string, number[]>, round = 0, step0 = 0): MetricRow[] {
  const n = Math.max(...Object.values(cols).map((c) => c.length));
  return Array.from({ length: n }, (_, i) => {
    const r: MetricRow = { step: step0 + i, round };
    for (const [k, c] of Object.entries(cols)) if (i < c.length) r[k] = c[i];
    return r;
  });
}

describe('over-optimization: proxy rising while gold falls', () => {
  const idx = (n: number, k = 1) => Array.from({ length: n }, (_, i) => i * k);
  it('fires when gold peaks and falls while the proxy keeps rising', () => {
    const gold = [0, 0.2, 0.4, 0.6, 0.6, 0.6, 0.6, 0.6, 0.5, 0.4, 0.3, 0.3, 0.3];
    const e = overoptimization(rows({ 'gold/mean': gold, 'proxy/mean': idx(13, 0.5) }));
    expect(e?.kind).toBe('overoptimization');
    expect(e?.step).toBe(12);
    expect(e?.text).toMatch(/^Over-optimization: since gold peaked at 0\.600 \(steps 3–7\) it fell to 0\.360, while the proxy kept rising \(2\.50 → 5\.00\)\./);
  });
  it('is silent while both rise, while both fall, and on too few rows', () => {
    expect(overoptimization(rows({ 'gold/mean': idx(12, 0.1), 'proxy/mean': idx(12) }))).toBeNull();
    expect(overoptimization(rows({ 'gold/mean': idx(12, -0.1), 'proxy/mean': idx(12, -1) }))).toBeNull();
    const short = [0, 0.5, 0.6, 0.6, 0.6, 0.3, 0.2, 0.1, 0];
    expect(overoptimization(rows({ 'gold/mean': short, 'proxy/mean': idx(9) }))).toBeNull();
  });
  it('is silent on a gold wobble smaller than 15% of its range, and while the fall is too recent to judge', () => {
    const wobble = [0, 0.25, 0.5, 0.75, 1, 1, 1, 1, 1, 0.95, 0.93, 0.92, 0.95, 0.93, 0.94];
    expect(overoptimization(rows({ 'gold/mean': wobble, 'proxy/mean': idx(15) }))).toBeNull();
    const recent = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.5, 0.4, 0.3, 0.2];
    expect(overoptimization(rows({ 'gold/mean': recent, 'proxy/mean': idx(12) }))).toBeNull();
  });
  it('stays named once gold has fallen and flattened while the proxy still climbs', () => {
    const gold = [0, 0.3, 0.6, 0.7, 0.6, 0.6, 0.5, 0.3, 0.15, 0.12, 0.12, 0.12, 0.12, 0.12, 0.12];
    const e = overoptimization(rows({ 'gold/mean': gold, 'proxy/mean': idx(15) }));
    expect(e?.text).toMatch(/since gold peaked at 0\.600 \(steps 2–6\) it fell to 0\.120, while the proxy kept rising \(4\.00 → 12\.00\)/);
    // the same fall with the proxy falling too is not over-optimization (the policy got worse on both)
    expect(overoptimization(rows({ 'gold/mean': gold, 'proxy/mean': gold.map((g) => g * 10) }))).toBeNull();
  });
  it("names a round whose proxy climbs while gold stays far below the run's best (gold fell in an earlier round)", () => {
    const r0 = rows({ 'gold/mean': [0.1, 0.4, 0.6, 0.3, 0.05, 0], 'proxy/mean': [0, 1, 2, 3, 4, 5] }, 0);
    const r1 = rows({ 'gold/mean': idx(10, 0), 'proxy/mean': idx(10, 0.5) }, 1, 6);
    expect(overoptimization([...r0, ...r1])?.text).toBe(
      "Over-optimization: the proxy rose from 1.00 to 3.50 this round while gold stayed at 0.000, far below the run's best 0.600. The policy is finding what the reward model overrates, not what the labelers wanted.",
    );
    // gold climbing back as the proxy rises is the loop working
    const up = rows({ 'gold/mean': [0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.55, 0.6, 0.6], 'proxy/mean': idx(10, 0.5) }, 1, 6);
    expect(overoptimization([...r0, ...up])).toBeNull();
    // a proxy that moves less than one normalized std names nothing
    const flat = rows({ 'gold/mean': idx(10, 0), 'proxy/mean': idx(10, 0.1) }, 1, 6);
    expect(overoptimization([...r0, ...flat])).toBeNull();
  });
  it('reads only the current round: gold below the last round\'s peak, after a rollback, is not a fall', () => {
    const r0 = rows({ 'gold/mean': [0.1, 0.3, 0.5, 0.7, 0.9, 1.0, 1.0, 1.0, 1.0, 1.0], 'proxy/mean': idx(10, 0.5) }, 0);
    // rolled back: gold restarts low and climbs slowly while the retrained reward model's proxy climbs fast
    const r1 = rows({ 'gold/mean': idx(10, 0.02).map((g) => 0.2 + g), 'proxy/mean': idx(10) }, 1, 10);
    expect(overoptimization([...r0, ...r1])).toBeNull();
    expect(overoptimization([...r0, ...r1].map((r) => ({ ...r, round: 0 })))).not.toBeNull(); // as one round it would be
  });
  it('leaves out the best-of-n rows after training (detectEvents)', () => {
    const rl = rows({ 'gold/mean': idx(7, 0.1), 'proxy/mean': idx(7) });
    const bon = rows({ 'gold/mean': idx(10, -1), 'proxy/mean': idx(10, 5) }, 0, 7).map((r) => ({ ...r, 'overopt/bon': 1 }));
    expect(detectEvents([...rl, ...bon]).map((e) => e.kind)).not.toContain('overoptimization');
    expect(detectEvents([...rl, ...bon.map((r) => ({ ...r, 'overopt/bon': 0 }))]).map((e) => e.kind)).toContain('overoptimization');
  });
});

describe('KL past its target', () => {
  const kl = (xs: number[]) => rows({ 'objective/kl': xs, 'objective/kl_coef': xs.map(() => 0.15) });
  it('fires when the median of the last three rows is above 1.2 × the target', () => {
    const e = klPastTarget(kl([1, 3, 7.5, 8, 8.5]), 6);
    expect(e?.kind).toBe('kl-past-target');
    expect(e?.text).toBe('KL is past its target: 8.00 against 6.00 (β is now 0.150; the controller raises it to pull the policy back).');
  });
  it('is silent within the controller\'s 20%, without a target, and on one spike', () => {
    expect(klPastTarget(kl([5, 7, 7.1, 7.2]), 6)).toBeNull(); // median 7.1 ≤ 7.2
    expect(klPastTarget(kl([50, 50, 50]), null)).toBeNull();
    expect(klPastTarget(kl([50, 50, 50]), undefined)).toBeNull();
    expect(klPastTarget(kl([1, 1, 240]), 6)).toBeNull(); // one spike (a rare sample) is not the policy running off
  });
  it('reads the target of the experiment (PPO with kl_target; none for REINFORCE)', () => {
    const ppo = applyOverrides(preset('text-sentiment-ppo')!, ['optimizer.kl_target=6']);
    expect(klTargetOf(ppo)).toBe(6);
    expect(klTargetOf(preset('landscape-hello')!)).toBeNull();
  });
});

describe('reward-model accuracy from few held-out pairs', () => {
  it('fires below MIN_HELDOUT pairs and names n', () => {
    const e = fewHeldOut(rows({ 'rm/accuracy': [1], 'rm/heldout': [2] }));
    expect(e?.text).toBe("The reward model's held-out accuracy 1.00 comes from only 2 pairs: each pair moves it by 0.50, so it says little.");
    expect(fewHeldOut(rows({ 'rm/accuracy': [NaN], 'rm/heldout': [0] }))?.text).toMatch(/not measured: no labeled pair was held out/);
  });
  it('is silent with enough pairs, or where the count is not known', () => {
    expect(fewHeldOut(rows({ 'rm/accuracy': [0.8], 'rm/heldout': [MIN_HELDOUT] }))).toBeNull();
    expect(fewHeldOut(rows({ 'rm/accuracy': [1] }))).toBeNull();
    expect(fewHeldOut(rows({ 'rm/accuracy': [NaN], 'rm/heldout': [NaN] }))).toBeNull();
  });
});

describe('proxy re-normalized at a new round', () => {
  const r0 = rows({ 'proxy/mean': [0, 0.8, 1.6, 2.4] }, 0);
  it('fires in the first rows of a round whose proxy restarts below the last round\'s', () => {
    const e = renormalized([...r0, ...rows({ 'proxy/mean': [0.05, 0.3] }, 1, 4)]);
    expect(e?.kind).toBe('renormalized');
    expect(e?.step).toBe(4);
    expect(e?.text).toMatch(/^Round 2 began: .*restarted from 2\.40 at 0\.05/);
  });
  it('is silent in the first round, when the proxy did not drop, and once the round is old', () => {
    expect(renormalized(r0)).toBeNull();
    expect(renormalized([...r0, ...rows({ 'proxy/mean': [2.2] }, 1, 4)])).toBeNull();
    expect(renormalized([...r0, ...rows({ 'proxy/mean': Array.from({ length: 11 }, (_, i) => i * 0.1) }, 1, 4)])).toBeNull();
  });
});

describe('the policy leaving the base model\'s language (text)', () => {
  it('fires when KL per character stays at or above the threshold', () => {
    const e = leavingLanguage(rows({ 'objective/kl': [1, 4, 4.5, 5], 'text/length': [15, 15, 15, 15] }));
    expect(e?.kind).toBe('leaving-language');
    expect(e?.text).toMatch(/KL 0\.30 nats per character/);
  });
  it('is silent below it, on one spike, and off the text task (no text/length)', () => {
    expect(leavingLanguage(rows({ 'objective/kl': [1, 2, 2, 2], 'text/length': [15, 15, 15, 15] }))).toBeNull();
    expect(leavingLanguage(rows({ 'objective/kl': [1, 1, 1, 30], 'text/length': [15, 15, 15, 15] }))).toBeNull();
    expect(leavingLanguage(rows({ 'objective/kl': [50, 50, 50] }))).toBeNull();
    expect(LANGUAGE_KL_PER_CHAR).toBe(0.25);
  });
});

describe('detectEvents', () => {
  it('lists what holds, most pressing first, and nothing on quiet rows', () => {
    const quiet = rows({ 'gold/mean': [0, 0.1, 0.2, 0.3, 0.4, 0.5], 'proxy/mean': [0, 1, 2, 3, 4, 5], 'objective/kl': [0, 1, 1, 1, 1, 1], 'rm/heldout': [NaN, 30, 30, 30, 30, 30] });
    expect(detectEvents(quiet, { klTarget: 6 })).toEqual([]);
    const loud = rows({
      'gold/mean': [0, 0.2, 0.4, 0.6, 0.6, 0.6, 0.6, 0.6, 0.5, 0.4, 0.3, 0.3, 0.3],
      'proxy/mean': [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5, 6],
      'objective/kl': [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 9],
      'rm/heldout': [NaN, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3],
      'rm/accuracy': [NaN, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
    });
    expect(detectEvents(loud, { klTarget: 6 }).map((e) => e.kind)).toEqual(['overoptimization', 'kl-past-target', 'few-heldout']);
    expect(detectEvents([])).toEqual([]);
  });
});
