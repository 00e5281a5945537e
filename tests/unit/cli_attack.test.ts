// `rlhf-lab attack RUN_DIR|export.zip`: red-teams a run's reward model with the core's attack and closes the loop;
// exploits.jsonl and summary.json agree with each other, a run folder and its export bundle give the same finds, and
// a text run's finds stay in the vocabulary and above the likelihood floor and its loop labels them; a missing run, a damaged one or a task
// not attacked yet exit 2 with the reason.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJson, encodeJson } from '../../src/cli/fs_store';
import type { CheckpointRecord } from '../../src/core/checkpoint/record';
import { preset } from '../../src/core/experiment/presets';
import { cli, firstCheckpointDir } from './cli_run';
import { tf } from '../../src/core/tf';
import { applyOverrides } from '../../src/core/experiment/parse';
import { publicAssets } from '../../src/cli/fs_assets';
import { unknownChars } from '../../src/core/tasks/text/vocab';

let tmp: string;
let run: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'rlhf-lab-attack-'));
  run = join(tmp, 'run');
  const sets = ['schedule.rounds=1', 'schedule.labels_per_round=40', 'reward_model.steps=150', 'optimizer.iterations=15'].flatMap((s) => ['--set', s]);
  const r = await cli(['run', 'landscape-ridge', ...sets, '--out', run]);
  expect(r.code, r.stderr).toBe(0);
}, 120_000);
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const lines = async (dir: string) =>
  (await readFile(join(dir, 'exploits.jsonl'), 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l));
const meanOf = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('rlhf-lab attack', () => {
  it('writes every find and a summary that agrees with them; --rounds 1 labels the finds and the rate falls', async () => {
    const out = join(tmp, 'a');
    const r = await cli(['attack', run, '--budget', '24', '--seed', '3', '--rounds', '1', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/round 0: success rate [\d.]+ after 0 labels/);
    const finds = await lines(out);
    expect(finds).toHaveLength(48);
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    for (const round of [0, 1]) {
      const these = finds.filter((f) => f.round === round);
      expect(these).toHaveLength(24);
      const row = summary.rounds[round];
      expect(row.success_rate).toBeCloseTo(these.filter((f) => f.success).length / 24, 12);
      expect(row.mean_proxy).toBeCloseTo(meanOf(these.map((f) => f.proxy)), 5);
      expect(row.mean_gold).toBeCloseTo(meanOf(these.map((f) => f.gold)), 5);
      // a success is what the thresholds say, and the gap is proxy − gold
      for (const f of these) {
        expect(f.success).toBe(f.proxy >= row.thresholds.proxyTopDecile && f.gold < row.thresholds.goldMedian);
        expect(f.gap).toBeCloseTo(f.proxy - f.gold, 5);
        for (const c of f.point) expect(Math.abs(c)).toBeLessThanOrEqual(3);
      }
    }
    expect(summary.success_rate).toBe(summary.rounds[0].success_rate);
    expect(summary.rounds.map((x: { labels_spent: number }) => x.labels_spent)).toEqual([0, 24]);
    expect(summary.rounds[0].success_rate).toBeGreaterThan(0.5);
    expect(summary.rounds[1].success_rate).toBeLessThan(summary.rounds[0].success_rate);
    expect(summary.tensors_leaked).toBe(0);
  }, 120_000);

  it('the export.zip of the run gives the same finds as its folder', async () => {
    const out = join(tmp, 'zip');
    const z = await cli(['attack', join(run, 'export.zip'), '--budget', '24', '--seed', '3', '--out', out]);
    expect(z.code, z.stderr).toBe(0);
    const fromDir = (await lines(join(tmp, 'a'))).filter((f) => f.round === 0);
    expect(await lines(out)).toEqual(fromDir);
  }, 120_000);

  it('a text run: greedy edits inside the vocabulary and above the floor; --rounds 1 labels each find against the policy on its prompt and attacks again', async () => {
    // A text run's first checkpoint (the base model, an untrained reward head), written as `run --out` writes it.
    await import('@tensorflow/tfjs-backend-wasm');
    await tf.setBackend('wasm');
    const e = applyOverrides(preset('text-sentiment-ppo')!, ['task.max_new_tokens=12']);
    const dir = join(tmp, 'text');
    await firstCheckpointDir(dir, e, 'text', 'wasm', publicAssets);
    const out = join(tmp, 'text-out');
    const r = await cli(['attack', dir, '--budget', '4', '--steps', '3', '--seed', '2', '--rounds', '1', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/round 1: success rate [\d.]+ after \d labels/);
    const finds = await lines(out);
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    expect(summary.task).toBe('text');
    expect(summary.rounds).toHaveLength(2);
    const first = finds.filter((f) => f.round === 0);
    expect(first.length).toBeGreaterThan(0);
    expect(first.length).toBeLessThanOrEqual(4);
    expect(summary.success_rate).toBeCloseTo(first.filter((f) => f.success).length / first.length, 12);
    for (const f of first) {
      expect(unknownChars(f.completion)).toEqual([]);
      expect((e.task as { prompts: string[] }).prompts).toContain(f.prompt);
      expect(f.logp).toBeGreaterThanOrEqual(summary.floor);
    }
    // The first round's finds became labels (the preset's labeler never skips), and the second attack was scored apart.
    expect(summary.rounds[0].labels_spent).toBe(0);
    expect(summary.rounds[1].labels_spent).toBe(first.length);
    const second = finds.filter((f) => f.round === 1);
    expect(second.length).toBeGreaterThan(0);
    expect(summary.rounds[1].success_rate).toBeCloseTo(second.filter((f) => f.success).length / second.length, 12);
    expect(summary.rounds[1].mean_gold).toBeCloseTo(meanOf(second.map((f) => f.gold)), 5);
    expect(summary.tensors_leaked).toBe(0);
  }, 120_000);

  it('a control run: perturbed clips replayed by the environment, the loop labels them; summary agrees with the finds', async () => {
    await tf.setBackend('cpu');
    const e = applyOverrides(preset('control-cartpole')!, ['task.rollout_steps=256', 'reward_model.hidden=[8]', 'policy.hidden=[16]', 'task.segment_steps=20']);
    const dir = join(tmp, 'control');
    await firstCheckpointDir(dir, e, 'control', 'cpu');
    const out = join(tmp, 'control-out');
    const r = await cli(['attack', dir, '--budget', '4', '--steps', '2', '--seed', '2', '--rounds', '1', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const finds = await lines(out);
    expect(finds).toHaveLength(8);
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    expect(summary.task).toBe('control');
    expect(summary.steps).toBe(2);
    expect(summary.rounds.map((x: { labels_spent: number }) => x.labels_spent)).toEqual([0, 4]);
    for (const round of [0, 1]) {
      const these = finds.filter((f) => f.round === round);
      expect(summary.rounds[round].success_rate).toBeCloseTo(these.filter((f) => f.success).length / these.length, 12);
      for (const f of these) {
        expect(f.segment.reward).toHaveLength(20);
        expect(f.gold).toBe(f.segment.reward.reduce((a: number, b: number) => a + b, 0));
      }
    }
    expect(summary.tensors_leaked).toBe(0);
  }, 120_000);

  it('a missing run, a folder without a checkpoint, a damaged one and a bad flag exit 2 with the reason', async () => {
    let r = await cli(['attack', join(tmp, 'nothing-here')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no such run folder or file');

    const empty = join(tmp, 'empty');
    await mkdir(empty);
    r = await cli(['attack', empty]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('holds no checkpoint.json');

    const record = decodeJson(await readFile(join(run, 'checkpoint.json'), 'utf8')) as CheckpointRecord;
    const damaged = join(tmp, 'damaged');
    await mkdir(damaged);
    await writeFile(join(damaged, 'checkpoint.json'), encodeJson({ ...record, labels: [] }));
    r = await cli(['attack', damaged]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('does not match its SHA-256');

    r = await cli(['attack', run, '--budget', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--budget 0: expected an integer from 1');
  }, 60_000);
});
