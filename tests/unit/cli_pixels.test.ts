// The pixels task from the command line: a seeded PPO run on the green preset raises the gold reward and moves off
// the base model; `rlhf-lab pretrain --task pixels` is deterministic; a damaged base model is refused by its SHA-256;
// its export carries PNG sheets; bad input names what was wrong.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, ROOT } from './cli_run';
import { decodePixelBase } from '../../src/core/tasks/pixels/base_model';
import { strFromU8, unzipSync } from 'fflate';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'rlhf-lab-cli-pixels-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** A pixels-green run's rows and its output folder. */
async function greenRun(name: string, args: string[]): Promise<{ out: string; rows: Record<string, number>[] }> {
  const out = join(tmp, name);
  const result = await cli(['run', 'pixels-green', '--backend', 'wasm', '--out', out, ...args], 900_000);
  expect(result.code, result.stderr).toBe(0);
  const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
  expect(summary.status).toBe('done');
  const rows = (await readFile(join(out, 'metrics.jsonl'), 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l));
  expect(rows).toHaveLength(1 + 2 * 12);
  return { out, rows };
}

/** The gain in gold share: the last 4 rows against the first 3. */
const goldGain = (rows: Record<string, number>[]) => mean(rows.slice(-4).map((r) => r['gold/mean'])) - mean(rows.slice(0, 3).map((r) => r['gold/mean']));

describe('rlhf-lab run pixels-green --backend wasm --seed 1 --fused off', () => {
  it('raises the gold share of green well above the base policy, and the policy leaves the base model', async () => {
    const { out, rows } = await greenRun('green-plain', ['--seed', '1', '--fused', 'off']);
    expect(goldGain(rows)).toBeGreaterThan(GOLD_GAIN);
    const after = mean(rows.slice(-4).map((r) => r['gold/mean']));
    expect(after).toBeLessThanOrEqual(1);
    expect(mean(rows.slice(-4).map((r) => r['objective/kl']))).toBeGreaterThan(0.5);
    for (const r of rows.slice(1)) expect(Number.isFinite(r['pixels/brightness'])).toBe(true);
    // The export bundle carries the PNG sheets beside the usual files, and the Reward Report names the task.
    const zip = unzipSync(new Uint8Array(await readFile(join(out, 'export.zip'))));
    for (const png of ['pictures/samples.png', 'pictures/preferences.png']) expect(Array.from(zip[png].subarray(1, 4)), png).toEqual([0x50, 0x4e, 0x47]);
    expect(strFromU8(zip['REWARD_REPORT.md'])).toContain('Task: `pixels` (10 × 10 pictures');
    expect(JSON.parse(strFromU8(zip['manifest.json'])).files).toContain('pictures/preferences.png');
  }, 900_000);

  it('raises it on the fused kernels too (the default), over seeds 1 and 2', async () => {
    const gains: number[] = [];
    for (const seed of ['1', '2']) gains.push(goldGain((await greenRun(`green-fused-${seed}`, ['--seed', seed])).rows));
    expect(mean(gains)).toBeGreaterThan(FUSED_GOLD_GAIN);
  }, 900_000);
});

describe('rlhf-lab pretrain --task pixels', () => {
  it('gives the same bytes twice from the same seed, and the files load', async () => {
    const dirs = [join(tmp, 'pt1'), join(tmp, 'pt2')];
    for (const d of dirs) {
      const { code, stderr } = await cli(['pretrain', '--task', 'pixels', '--steps', '3', '--batch', '4', '--seed', '7', '--dir', d], 180_000);
      expect(code, stderr).toBe(0);
    }
    const [a, b] = await Promise.all(dirs.map((d) => readFile(join(d, 'pixels/base.bin'))));
    expect(Buffer.compare(a, b)).toBe(0);
    const [ja, jb] = await Promise.all(dirs.map((d) => readFile(join(d, 'pixels/base.json'), 'utf8')));
    expect(ja).toBe(jb);
    const model = await decodePixelBase(ja, a);
    expect(model.meta).toMatchObject({ seed: 7, steps: 3, batch: 4 });
    expect(model.config.T).toBe(101);
  }, 400_000);

  it('an unknown task is refused with the tasks there are', async () => {
    const { code, stderr } = await cli(['pretrain', '--task', 'landscape2d', '--dir', join(tmp, 'none')], 60_000);
    expect(code).toBe(2);
    expect(stderr).toContain('--task landscape2d: expected text or pixels');
  });
});

describe('the shipped pixels base model', () => {
  it('is well under 1 MB, and a changed byte is refused by its SHA-256 with the command that rebuilds it', async () => {
    const [json, bin] = await Promise.all([readFile(join(ROOT, 'public/pixels/base.json'), 'utf8'), readFile(join(ROOT, 'public/pixels/base.bin'))]);
    expect(bin.length).toBeLessThan(200_000);
    await expect(decodePixelBase(json, new Uint8Array(bin))).resolves.toMatchObject({ meta: { seed: 1 } });
    const damaged = new Uint8Array(bin);
    damaged[100] ^= 1;
    await expect(decodePixelBase(json, damaged)).rejects.toThrow(/does not match its SHA-256.*rlhf-lab pretrain --task pixels/);
    // The text task's base model is not a pixels model.
    const text = await readFile(join(ROOT, 'public/text/base.json'), 'utf8');
    await expect(decodePixelBase(text, new Uint8Array(await readFile(join(ROOT, 'public/text/base.bin'))))).rejects.toThrow(/different vocabulary/);
  });
});

describe('rlhf-lab refuses bad pixels experiments', () => {
  it('a class it cannot draw', async () => {
    const out = join(tmp, 'bad-prompt');
    const { code, stderr } = await cli(['run', 'pixels-symmetry', '--set', 'task.prompts=["a dragon"]', '--out', out], 60_000);
    expect(code).toBe(2);
    expect(stderr).toMatch(/task\.prompts\[0\]: expected \("a face" \| "a house" \| "a tree" \| "a symbol"\)/);
  });
});

// Measured (wasm, the last 4 rows against the first 3), 2026-12-02. On tfjs's ops (--fused off, the numbers the
// README's figures were measured on) seed 1 went from 0.139 at step 0 to 0.339 at step 24; the test asks for half
// that gain. The fused kernels (the default) round differently, which moves a seeded run: seeds 1–4 gained 0.048,
// 0.135, 0.115 and 0.153 there, so that test asks for seeds 1 and 2 together (0.091) to gain more than 0.05.
const GOLD_GAIN = 0.1;
const FUSED_GOLD_GAIN = 0.05;
