// Each optimizer beyond PPO, seeded, from the command line as a user runs it: gold reward rises on its preset by a
// clear margin (DPO, RPO, ORPO, SimPO, KTO and best-of-n here; RLOO and GRPO in cli_group_methods.test.ts),
// best-of-n's KL is exact on its rows, and iterated RLHF with rollback brings the reward model into agreement with
// the labeler on the policy's own samples, round by round.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { goldGain, runPreset } from './cli_run';
import { bestOfNKl } from '../../src/core/algos/best_of_n';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'rlhf-lab-cli-methods-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

const run = (name: string, backend: string, more: string[] = []) => runPreset(tmp, name, backend, more);

describe('text optimizers raise gold sentiment on their presets (wasm, seed 1)', () => {
  it('text-sentiment-dpo: DPO on the comparisons, no reward model', async () => {
    const { rows } = await run('text-sentiment-dpo', 'wasm');
    const { start, end } = goldGain(rows);
    expect(end).toBeGreaterThan(start + 1);
    const last = rows[rows.length - 1];
    expect(last['rewards/margins']).toBeGreaterThan(0.5);
    expect(last['rewards/accuracies']).toBeGreaterThan(0.7);
  }, 600_000);

  it('text-bon: best-of-n, gold and proxy up with n, KL exactly log n − (n−1)/n', async () => {
    const { rows } = await run('text-bon', 'wasm');
    const bon = rows.filter((r) => r['bon/n'] !== undefined);
    expect(bon.map((r) => r['bon/n'])).toEqual([1, 2, 4, 8, 16, 32, 64]);
    for (const r of bon) expect(r['objective/kl']).toBeCloseTo(bestOfNKl(r['bon/n']), 12);
    expect(bon[6]['gold/mean']).toBeGreaterThan(bon[0]['gold/mean'] + 1);
    expect(bon[6]['proxy/mean']).toBeGreaterThan(bon[0]['proxy/mean'] + 1);
  }, 600_000);
});

describe('offline preference methods raise gold sentiment on their presets (wasm, seed 1)', () => {
  // Measured seed-1 figures (README): RPO 0.06 → 1.8 at KL 6.2, ORPO → 1.95 at 4.6, KTO → 1.25 at 15, SimPO → 0.85
  // at 12; DPO on the same comparisons → 1.8 at 26.
  const tailKl = (rows: { [k: string]: number }[]) => mean(rows.slice(-5).map((r) => r['objective/kl']));

  it('text-sentiment-rpo: DPO plus NLL on the chosen side reaches DPO\'s gold for far less KL', async () => {
    const { rows } = await run('text-sentiment-rpo', 'wasm');
    const { start, end } = goldGain(rows);
    expect(end).toBeGreaterThan(start + 1);
    expect(tailKl(rows)).toBeLessThan(12);
    expect(rows.at(-1)!['logps/chosen']).toBeGreaterThan(rows[1]['logps/chosen']);
  }, 600_000);

  it('text-sentiment-orpo: no reference model, gold up and the chosen NLL down', async () => {
    const { rows } = await run('text-sentiment-orpo', 'wasm');
    const { start, end } = goldGain(rows);
    expect(end).toBeGreaterThan(start + 1);
    expect(mean(rows.slice(-5).map((r) => r['nll_loss']))).toBeLessThan(rows[1]['nll_loss'] - 0.1);
    expect(rows.at(-1)!['log_odds_chosen']).toBeGreaterThan(0.5);
  }, 600_000);

  it('text-sentiment-simpo and text-sentiment-kto: gold up by a clear margin', async () => {
    for (const [name, gain] of [['text-sentiment-simpo', 0.5], ['text-sentiment-kto', 0.8]] as const) {
      const { rows } = await run(name, 'wasm');
      const { start, end } = goldGain(rows);
      expect(end, name).toBeGreaterThan(start + gain);
      expect(rows.at(-1)!['rewards/margins'], name).toBeGreaterThan(0.5);
    }
  }, 600_000);
});

describe('over-optimization on text (overopt-text, wasm, seed 1, --fused off)', () => {
  // The README's figures for this run (gold 3.16 at its peak, 0.16 at the end) were measured on tfjs's ops, which
  // --fused off reproduces to the bit. On the fused kernels (the default) the run follows another trajectory: gold
  // fell 0.54 from its peak at seed 1, 2.17 at seed 2 and 1.59 at seed 3 (2026-12-02).
  it('PPO on a weak leash: gold peaks and falls while the proxy keeps its height; best-of-n rows and both fits', async () => {
    const { rows, summary } = await run('overopt-text', 'wasm', ['--fused', 'off']);
    const rl = rows.filter((r) => r.step > 0 && r['overopt/bon'] === undefined);
    const at = rl.reduce((best, r) => (r['gold/mean'] > best['gold/mean'] ? r : best));
    const tail = rl.slice(-5);
    // Gold at its peak is far above where the run ends; the proxy ends at least as high as it was at the gold peak.
    expect(at['gold/mean']).toBeGreaterThan(mean(tail.map((r) => r['gold/mean'])) + 1.5);
    expect(mean(tail.map((r) => r['proxy/mean']))).toBeGreaterThan(at['proxy/mean'] - 0.1);
    expect(mean(tail.map((r) => r['objective/kl']))).toBeGreaterThan(at['objective/kl'] * 1.5);
    const bon = rows.filter((r) => r['overopt/bon'] === 1);
    expect(bon.map((r) => r['bon/n'])).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256]);
    expect(bon[8]['gold/mean']).toBeGreaterThan(bon[0]['gold/mean'] + 1);
    for (const k of ['rl', 'bon']) {
      for (const f of ['alpha', 'beta', 'r2', 'peak_gold', 'peak_sqrt_kl']) expect(Number.isFinite(summary.overoptimization[k][f]), `${k}.${f}`).toBe(true);
    }
  }, 600_000);
});

describe('iterated RLHF with rollback (iterated-rollback, cpu, seed 1)', () => {
  it('each round rolls back and the reward model comes to agree with the labeler on the policy’s samples', async () => {
    const { summary } = await run('iterated-rollback', 'cpu');
    const rounds = summary.rounds as { labels: number; rm_policy_agreement: number; gold: number }[];
    expect(rounds.map((r) => r.labels)).toEqual([100, 200, 300, 400]);
    expect(rounds[3].rm_policy_agreement).toBeGreaterThan(0.9);
    expect(rounds[3].rm_policy_agreement).toBeGreaterThan(rounds[0].rm_policy_agreement + 0.5);
    expect(rounds[3].gold).toBeGreaterThan(rounds[0].gold + 0.2);
  }, 600_000);
});
