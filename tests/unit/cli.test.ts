// The command line, as a user runs it: `node bin/rlhf-lab.js ...` in the repository root.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJson } from '../../src/cli/fs_store';
import { cli } from './cli_run';
import { hashRecord, type CheckpointRecord } from '../../src/core/checkpoint/record';
import { preset, PRESETS } from '../../src/core/experiment/presets';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'rlhf-lab-cli-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('rlhf-lab presets', () => {
  it('lists every preset, one line each, landscape-hello first', async () => {
    const { code, stdout } = await cli(['presets']);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines.length).toBe(PRESETS.length);
    expect(lines[0]).toMatch(/^landscape-hello\s+\S/);
    for (const name of ['landscape-human', 'landscape-decoy', 'landscape-ridge', 'landscape-noisy', 'text-sentiment-ppo', 'text-haiku-ppo']) {
      expect(lines.filter((l) => l.startsWith(`${name} `))).toHaveLength(1);
    }
  });
});

describe('rlhf-lab run landscape-hello', () => {
  const REQUIRED = ['step', 'gold/mean', 'proxy/mean', 'objective/kl', 'rm/accuracy', 'labels/count'];
  let out: string;
  let result: { code: number | null; stdout: string; stderr: string };

  beforeAll(async () => {
    out = join(tmp, 'hello');
    result = await cli(['run', 'landscape-hello', '--backend', 'cpu', '--seed', '1', '--out', out]);
  }, 180_000);

  it('exits 0 and says where it wrote', () => {
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('backend: cpu');
    expect(result.stderr).toContain(`wrote ${out}`);
  });

  it('learns: held-out RM accuracy ≥ 0.85 and at least half of the gold gap closed', async () => {
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    expect(summary.status).toBe('done');
    expect(summary.backend).toBe('cpu');
    expect(summary.experiment.seed).toBe(1);
    expect(summary.iterations).toBe(4 * 40); // rounds × iterations of the preset
    expect(summary.labels).toBe(4 * 100);
    expect(summary.final['rm/accuracy']).toBeGreaterThanOrEqual(0.85);
    // one-hill: a single bump of height 1, so the optimum is 1; gap closed = (end − start)/(1 − start)
    expect(summary.gold.optimum).toBeCloseTo(1, 6);
    const { start, end } = summary.gold;
    expect(summary.gold.gap_closed).toBeCloseTo((end - start) / (1 - start), 9);
    expect(summary.gold.gap_closed).toBeGreaterThanOrEqual(0.5);
  });

  it('writes metrics.jsonl: one JSON object per iteration (plus step 0) with the required keys', async () => {
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    const lines = (await readFile(join(out, 'metrics.jsonl'), 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(summary.iterations + 1);
    const rows = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    rows.forEach((row, i) => {
      expect(row.step).toBe(i);
      for (const key of REQUIRED) {
        // JSON has no NaN: the untrained step-0 row has no reward-model accuracy yet and writes null.
        if (i === 0 && key === 'rm/accuracy') expect(row[key]).toBeNull();
        else expect(typeof row[key], `${key} of row ${i}`).toBe('number');
      }
    });
    expect(rows[0]['gold/mean']).toBe(summary.gold.start);
    expect(rows.at(-1)).toEqual(summary.final);
  });

  it('writes checkpoint.json: the finished run, with a SHA-256 that verifies', async () => {
    const path = join(out, 'checkpoint.json');
    expect(existsSync(path)).toBe(true);
    const record = decodeJson(await readFile(path, 'utf8')) as CheckpointRecord;
    expect(record.position.stage).toBe('done');
    expect(record.position.iteration).toBe(160);
    expect(record.models.policy.weights.means.data).toBeInstanceOf(Float32Array);
    expect(await hashRecord(record)).toBe(record.sha256);
  });
});

describe('rlhf-lab run on the wasm backend', () => {
  // tfjs-wasm lacks some kernels and leak checks the cpu backend has; one round must train there too.
  it('trains one round of landscape-hello: gold rises severalfold, accuracy holds', async () => {
    const out = join(tmp, 'wasm');
    const { code, stderr } = await cli(['run', 'landscape-hello', '--backend', 'wasm', '--seed', '1', '--set', 'schedule.rounds=1', '--out', out]);
    expect(code, stderr).toBe(0);
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    expect(summary.backend).toBe('wasm');
    expect(summary.iterations).toBe(40);
    expect(summary.gold.end).toBeGreaterThan(3 * summary.gold.start);
    expect(summary.final['rm/accuracy']).toBeGreaterThanOrEqual(0.85);
  }, 120_000);
});

describe('rlhf-lab refuses bad input with a clear message', () => {
  async function refused(args: string[], message: RegExp | string) {
    const out = join(tmp, `bad-${Math.random().toString(36).slice(2)}`);
    const { code, stderr } = await cli([...args, '--out', out], 60_000);
    expect(code, stderr).not.toBe(0);
    expect(code).not.toBeNull();
    if (typeof message === 'string') expect(stderr).toContain(message);
    else expect(stderr).toMatch(message);
    expect(stderr).not.toMatch(/^\s+at /m); // a message, not a stack trace
    expect(existsSync(out)).toBe(false); // nothing written
  }

  it('an unknown preset', async () => {
    await refused(['run', 'no-such-preset'], '"no-such-preset" is neither a preset');
  });

  it('a malformed JSON file', async () => {
    const file = join(tmp, 'malformed.json');
    await writeFile(file, '{ "version": 1, "name": ');
    await refused(['run', file], 'not valid JSON');
  });

  it('an unknown key in a file, named with its path', async () => {
    const e = preset('landscape-hello') as unknown as { reward_model: Record<string, unknown> };
    e.reward_model.lrr = 0.01;
    const file = join(tmp, 'unknown-key.json');
    await writeFile(file, JSON.stringify(e));
    await refused(['run', file], /reward_model\.lrr: unknown key/);
  });

  it('a file that does not exist', async () => {
    await refused(['run', join(tmp, 'missing.json')], /cannot read .*missing\.json/);
  });

  it('--backend foo', async () => {
    await refused(['run', 'landscape-hello', '--backend', 'foo'], /Unknown backend "foo"/);
  });

  it('--set with a value out of range, and with a bad path', async () => {
    await refused(['run', 'landscape-hello', '--set', 'optimizer.lr=-1'], /optimizer\.lr: .*-1/);
    await refused(['run', 'landscape-hello', '--set', 'optimizer.nope.x=1'], /optimizer\.nope is not an object/);
  });

  it('--seed that is not an unsigned 32-bit integer', async () => {
    await refused(['run', 'landscape-hello', '--seed', 'abc'], '--seed abc: expected an integer');
  });

  it('--fused that is not on or off', async () => {
    await refused(['run', 'landscape-hello', '--fused', 'maybe'], '--fused maybe: expected on or off');
  });

  it('an unknown command', async () => {
    await refused(['frobnicate'], 'unknown command "frobnicate"');
  });

  // A terminal has no one to answer a human labeler's pairs: the run must say so and exit, not end silently
  // (today Node exits 13, "unsettled top-level await", with no explanation and no output).
  it('an experiment with a human labeler', async () => {
    await refused(['run', 'landscape-human'], /human/i);
  });
});
