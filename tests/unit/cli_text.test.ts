// The text task from the command line: a seeded PPO run learns (gold up by a clear margin, KL near its target),
// `rlhf-lab pretrain` is deterministic, and bad text input is refused with a message.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, ROOT } from './cli_run';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'rlhf-lab-cli-text-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('rlhf-lab run text-sentiment-ppo --backend wasm --seed 1', () => {
  let out: string;
  let result: Awaited<ReturnType<typeof cli>>;

  beforeAll(async () => {
    out = join(tmp, 'sentiment');
    result = await cli(['run', 'text-sentiment-ppo', '--backend', 'wasm', '--seed', '1', '--out', out], 600_000);
  }, 600_000);

  it('raises gold sentiment well above the base policy while the KL stays near its target', async () => {
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    expect(summary.status).toBe('done');
    expect(summary.iterations).toBe(30);
    const rows = (await readFile(join(out, 'metrics.jsonl'), 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(rows).toHaveLength(31);
    const target = summary.experiment.optimizer.kl_target as number;
    // The base policy: step 0 and the first iterations, before PPO has moved it far.
    const before = mean(rows.slice(0, 4).map((r) => r['gold/mean']));
    const after = mean(rows.slice(-5).map((r) => r['gold/mean']));
    expect(after - before).toBeGreaterThan(1); // AFINN points per completion
    expect(mean(rows.slice(-5).map((r) => r['proxy/mean']))).toBeGreaterThan(mean(rows.slice(0, 4).map((r) => r['proxy/mean'])));
    // The adaptive controller holds the KL per completion near its target (over the last third of the run). Measured
    // over seeds 1–4, 2026-12-02: 1.00–1.74 × the target on the fused kernels (the default), 1.17–1.66 × on tf ops
    // (--fused off): Ziegler et al.'s controller moves β a little each iteration, and the KL trails it.
    const kl = mean(rows.slice(-10).map((r) => r['objective/kl']));
    expect(kl).toBeGreaterThan(0.25 * target);
    expect(kl).toBeLessThan(2 * target);
    for (const r of rows.slice(1)) {
      for (const k of ['policy/approxkl', 'policy/clipfrac', 'loss/policy', 'loss/value', 'objective/entropy', 'objective/kl_coef']) {
        expect(typeof r[k], k).toBe('number');
      }
    }
    expect(summary.seconds_per_iteration).toBeGreaterThan(0);
  });
});

describe('rlhf-lab pretrain', () => {
  it('gives the same bytes twice from the same seed', async () => {
    const dirs = [join(tmp, 'pt1'), join(tmp, 'pt2')];
    for (const d of dirs) {
      await mkdir(join(d, 'text'), { recursive: true });
      await copyFile(join(ROOT, 'public/text/corpus.txt'), join(d, 'text/corpus.txt'));
      const { code, stderr } = await cli(['pretrain', '--steps', '3', '--batch', '4', '--seed', '7', '--dir', d], 120_000);
      expect(code, stderr).toBe(0);
    }
    const [a, b] = await Promise.all(dirs.map((d) => readFile(join(d, 'text/base.bin'))));
    expect(a.length).toBe(425472);
    expect(Buffer.compare(a, b)).toBe(0);
    const [ja, jb] = await Promise.all(dirs.map((d) => readFile(join(d, 'text/base.json'), 'utf8')));
    expect(ja).toBe(jb);
    expect(JSON.parse(ja).meta).toMatchObject({ seed: 7, steps: 3, batch: 4 });
  }, 240_000);

  it('refuses an empty corpus with a clear message and writes nothing', async () => {
    const d = join(tmp, 'empty');
    await mkdir(join(d, 'text'), { recursive: true });
    await (await import('node:fs/promises')).writeFile(join(d, 'text/corpus.txt'), '\n\n');
    const { code, stderr } = await cli(['pretrain', '--steps', '3', '--dir', d], 60_000);
    expect(code).toBe(2);
    expect(stderr).toContain('the corpus is empty');
    expect(stderr).not.toMatch(/^\s+at /m);
    expect(existsSync(join(d, 'text/base.bin'))).toBe(false);
  });
});

describe('rlhf-lab refuses bad text experiments', () => {
  it('a prompt outside the vocabulary', async () => {
    const out = join(tmp, 'bad-prompt');
    const { code, stderr } = await cli(['run', 'text-sentiment-ppo', '--set', 'task.prompts=["Hello World"]', '--out', out], 60_000);
    expect(code).toBe(2);
    expect(stderr).toMatch(/task\.prompts\[0\]: "Hello World" has characters outside the vocabulary \("H", "W"\)/);
    expect(existsSync(out)).toBe(false);
  });
});
