// The over-optimization lab end to end, as a user runs it: `rlhf-lab run overopt-landscape` (seed 1, cpu). The proxy
// keeps rising while gold peaks and falls; best-of-n rows follow with the exact KL; summary.json carries Gao et al.'s
// fits; and the conservative ensemble variant holds on to its gold where the single reward model loses it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './cli_run';

type Row = Record<string, number>;
let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rlhf-overopt-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(name: string, sets: string[]): Promise<{ rows: Row[]; summary: Record<string, unknown> }> {
  const out = join(dir, name);
  const r = await cli(['run', 'overopt-landscape', '--seed', '1', '--out', out, ...sets.flatMap((s) => ['--set', s])], 180_000);
  expect(r.code, r.stderr).toBe(0);
  const rows = (await readFile(join(out, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Row);
  return { rows, summary: JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) };
}

const training = (rows: Row[]) => rows.filter((r) => r['overopt/bon'] !== 1);
const peakRow = (rows: Row[]) => rows.reduce((a, b) => (b['gold/mean'] > a['gold/mean'] ? b : a));

describe('overopt-landscape', () => {
  let single: { rows: Row[]; summary: Record<string, unknown> };

  it('proxy keeps rising while gold peaks and falls; best-of-n rows and the fits follow', async () => {
    single = await run('single', []);
    const rl = training(single.rows);
    expect(rl).toHaveLength(121);
    const top = peakRow(rl);
    const end = rl.at(-1)!;
    // over-optimization: gold falls well below its peak while the proxy goes on climbing past where gold peaked
    expect(top['gold/mean']).toBeGreaterThan(0.5);
    expect(top['gold/mean'] - end['gold/mean']).toBeGreaterThan(0.3);
    expect(end['proxy/mean']).toBeGreaterThan(top['proxy/mean'] + 2);
    expect(end['objective/kl']).toBeGreaterThan(top['objective/kl']);
    // the hidden test reward, drawn with its own generator, tells the same story
    expect(peakRow(rl.map((r) => ({ ...r, 'gold/mean': r['test/gold'] })))['test/gold']).toBeGreaterThan(end['test/gold'] + 0.3);

    const bon = single.rows.filter((r) => r['overopt/bon'] === 1);
    expect(bon.map((r) => r['bon/n'])).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256]);
    for (const r of bon) expect(r['objective/kl']).toBeCloseTo(Math.log(r['bon/n']) - (r['bon/n'] - 1) / r['bon/n'], 6);
    // more samples, more proxy: best-of-n climbs the reward model it picks by
    expect(bon.at(-1)!['proxy/mean']).toBeGreaterThan(bon[0]['proxy/mean'] + 2);
    expect(bon.at(-1)!['gold/mean']).toBeGreaterThan(bon[0]['gold/mean']);

    const o = single.summary.overoptimization as Record<string, Record<string, number>>;
    expect(o.rl.peak_gold).toBeCloseTo(top['gold/mean'], 9);
    expect(o.rl.peak_sqrt_kl).toBeCloseTo(Math.sqrt(top['objective/kl']), 9);
    // RL: gold gained rises then falls with √KL, so the log term's β is positive
    expect(o.rl.alpha).toBeGreaterThan(0);
    expect(o.rl.beta).toBeGreaterThan(0);
    expect(Number.isFinite(o.bon.alpha) && Number.isFinite(o.bon.beta)).toBe(true);
    expect(o.bon.r2).toBeGreaterThan(0.9);
    // "end" in the summary is the policy's last row, not the last best-of-n row
    expect((single.summary.gold as Record<string, number>).end).toBe(end['gold/mean']);
  }, 200_000);

  it('a conservative ensemble (5 members, mean − 4·std) loses far less gold than the single reward model', async () => {
    const ens = await run('ensemble', ['reward_model.ensemble=5', 'reward_model.conservative=mean_minus_std']);
    const rl = training(ens.rows);
    const end = rl.at(-1)!;
    const singleRl = training(single.rows);
    const singleEnd = singleRl.at(-1)!;
    expect(rl.every((r) => r['rm/ensemble_std'] >= 0)).toBe(true);
    // same optimizer, same budget: the ensemble stops where its members start to disagree, short of the cliff
    expect(end['gold/mean']).toBeGreaterThan(singleEnd['gold/mean'] + 0.3);
    expect(peakRow(rl)['gold/mean'] - end['gold/mean']).toBeLessThan(0.15);
    expect(peakRow(singleRl)['gold/mean'] - singleEnd['gold/mean']).toBeGreaterThan(0.4);
    expect(end['objective/kl']).toBeLessThan(singleEnd['objective/kl'] / 2);
    // at the ensemble's final KL the single model has no more gold to show (mean of its rows within ±3 nats)
    const kl = end['objective/kl'];
    const near = singleRl.filter((r) => Math.abs(r['objective/kl'] - kl) < 3);
    expect(near.length).toBeGreaterThan(0);
    const lastTen = rl.slice(-10);
    const ensGold = lastTen.reduce((s, r) => s + r['gold/mean'], 0) / lastTen.length;
    expect(ensGold).toBeGreaterThan(near.reduce((s, r) => s + r['gold/mean'], 0) / near.length - 0.05);
  }, 200_000);
});
