// Each landscape optimizer besides REINFORCE, run from the command line on landscape-hello (seed 1, cpu): DPO on the
// comparisons, RLOO and GRPO on the reward model, best-of-n of the starting policy. Each must raise the gold reward.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './cli_run';

type Row = Record<string, number>;
let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rlhf-algos-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function rows(name: string, optimizer: object): Promise<Row[]> {
  const out = join(dir, name);
  const args = ['run', 'landscape-hello', '--seed', '1', '--out', out, '--set', `optimizer=${JSON.stringify(optimizer)}`, '--set', 'schedule.rounds=2'];
  const r = await cli(args, 120_000);
  expect(r.code, r.stderr).toBe(0);
  return (await readFile(join(out, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Row);
}

describe('landscape optimizers raise the gold reward', () => {
  it('DPO: from the comparisons alone, chosen points gain on rejected ones', async () => {
    const r = await rows('dpo', { algo: 'dpo', lr: 0.04, kl_coef: 0.5, batch_size: 64, iterations: 40 });
    expect(r.at(-1)!['gold/mean']).toBeGreaterThan(r[0]['gold/mean'] + 0.3);
    expect(r.at(-1)!['test/gold']).toBeGreaterThan(r[0]['test/gold'] + 0.3);
    const last = r.at(-1)!;
    expect(last['rewards/margins']).toBeGreaterThan(0);
    expect(last['rewards/accuracies']).toBeGreaterThan(0.5);
    expect(last['rewards/chosen'] - last['rewards/rejected']).toBeCloseTo(last['rewards/margins'], 5);
    expect(last['objective/kl']).toBeGreaterThan(0);
    expect(r[0]).not.toHaveProperty('proxy/mean'); // no reward model is trained for DPO
  }, 150_000);

  it('RLOO: groups of 4, leave-one-out baseline', async () => {
    const r = await rows('rloo', { algo: 'rloo', lr: 0.04, kl_coef: 0.05, k: 4, batch_size: 256, iterations: 40 });
    expect(r.at(-1)!['gold/mean']).toBeGreaterThan(r[0]['gold/mean'] + 0.5);
  }, 150_000);

  it('GRPO: group-normalized advantages, clipped ratio, k3 KL in the loss', async () => {
    const r = await rows('grpo', { algo: 'grpo', lr: 0.04, kl_coef: 0.3, k: 4, batch_size: 256, epochs: 2, iterations: 30 });
    expect(r.at(-1)!['gold/mean']).toBeGreaterThan(r[0]['gold/mean'] + 0.25);
    expect(r.at(-1)!['objective/kl']).toBeLessThan(20);
  }, 150_000);

  it('best-of-n: more samples, more gold, at KL log n − (n − 1)/n', async () => {
    const r = await rows('bon', { algo: 'best_of_n', n: [1, 4, 16, 64], samples: 64 });
    const last = r.filter((x) => x.round === 1);
    expect(last.map((x) => x['bon/n'])).toEqual([1, 4, 16, 64]);
    expect(last[3]['gold/mean']).toBeGreaterThan(last[0]['gold/mean'] + 0.05);
    expect(last[3]['proxy/mean']).toBeGreaterThan(last[0]['proxy/mean'] + 1);
    expect(last[3]['objective/kl']).toBeCloseTo(Math.log(64) - 63 / 64, 6);
  }, 150_000);
});
