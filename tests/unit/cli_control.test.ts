// Deep RL from preferences from the command line (issue #6): seeded runs of the control presets on wasm. Cart-pole
// learned from at most 500 simulated comparisons must reach ≥ 70% of the true return PPO reaches on the true
// reward with the same environment steps; the reacher learned from comparisons must improve by a wide margin.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './cli_run';

let tmp: string;
const runs: Record<string, { summary: Record<string, any>; rows: Record<string, number>[]; stderr: string }> = {};

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
/** The true return over the last 10 policy iterations (one evaluation is 8 episodes; ten of them smooth PPO's wobble). */
const finalReturn = (rows: Record<string, number>[]) => mean(rows.slice(-10).map((r) => r['env/true_return']));

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'rlhf-lab-cli-control-'));
  for (const name of ['control-cartpole-true', 'control-cartpole', 'control-cartpole-myopic', 'control-reacher-true', 'control-reacher']) {
    const out = join(tmp, name);
    const result = await cli(['run', name, '--backend', 'wasm', '--seed', '1', '--out', out], 400_000);
    if (result.code !== 0) throw new Error(`rlhf-lab run ${name} exited ${result.code}:\n${result.stderr}`);
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    const rows = (await readFile(join(out, 'metrics.jsonl'), 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l));
    runs[name] = { summary, rows, stderr: result.stderr };
  }
}, 900_000);

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('rlhf-lab run control-* --backend wasm --seed 1', () => {
  it('lists the control presets', async () => {
    const { code, stdout } = await cli(['presets']);
    expect(code).toBe(0);
    for (const name of ['control-cartpole', 'control-cartpole-true', 'control-reacher', 'control-reacher-true', 'control-cartpole-human']) {
      expect(stdout).toMatch(new RegExp(`^${name}\\s`, 'm'));
    }
  });

  it('cart-pole from ≤ 500 comparisons reaches ≥ 70% of PPO on the true reward with the same environment steps', () => {
    const prefs = runs['control-cartpole'];
    const truth = runs['control-cartpole-true'];
    for (const r of [prefs, truth]) expect(r.summary.status).toBe('done');
    expect(prefs.summary.labels).toBeGreaterThan(0);
    expect(prefs.summary.labels).toBeLessThanOrEqual(500);
    expect(truth.summary.labels).toBe(0);
    const last = (r: typeof prefs) => r.rows[r.rows.length - 1];
    expect(last(prefs)['env/steps']).toBe(last(truth)['env/steps']);
    expect(last(prefs)['labels/count']).toBe(prefs.summary.labels);
    // The untrained policy topples the pole in ~20 steps; both runs must be well past that.
    expect(prefs.rows[0]['env/true_return']).toBeLessThan(40);
    const fromPrefs = finalReturn(prefs.rows);
    const fromTruth = finalReturn(truth.rows);
    expect(fromTruth).toBeGreaterThan(150);
    expect(fromPrefs).toBeGreaterThanOrEqual(0.7 * fromTruth);
    // The figures the README quotes, for whoever reads the log.
    console.log(`cart-pole: ${fromPrefs.toFixed(1)} from ${prefs.summary.labels} comparisons vs ${fromTruth.toFixed(1)} on the true reward (${last(truth)['env/steps']} env steps; ${prefs.summary.wall_seconds} s vs ${truth.summary.wall_seconds} s)`);
  });

  it('a myopic labeler (last 5 of 50 steps) teaches cart-pole to drop the pole', () => {
    const myopic = runs['control-cartpole-myopic'];
    const start = myopic.rows[0]['env/true_return'];
    const final = finalReturn(myopic.rows);
    expect(myopic.summary.labels).toBe(runs['control-cartpole'].summary.labels);
    // Worse than the untrained policy, and far below the same run with a labeler who watches the whole clip.
    expect(final).toBeLessThan(start);
    expect(final).toBeLessThan(0.2 * finalReturn(runs['control-cartpole'].rows));
    console.log(`cart-pole, myopic labeler: ${start.toFixed(1)} → ${final.toFixed(1)}`);
  });

  it('the reacher learns to reach its goal from comparisons', () => {
    const prefs = runs['control-reacher'];
    const truth = runs['control-reacher-true'];
    expect(prefs.summary.labels).toBeLessThanOrEqual(500);
    const start = prefs.rows[0]['env/true_return'];
    const fromPrefs = finalReturn(prefs.rows);
    const fromTruth = finalReturn(truth.rows);
    // −Σ distance over 50 steps: about −50 for the untrained policy; reaching and staying near the goal is ~−13.
    expect(fromPrefs - start).toBeGreaterThan(20);
    expect(fromTruth - start).toBeGreaterThan(20);
    expect(fromPrefs).toBeGreaterThan(fromTruth - 10);
    console.log(`reacher: ${start.toFixed(1)} → ${fromPrefs.toFixed(1)} from ${prefs.summary.labels} comparisons vs ${fromTruth.toFixed(1)} on the true reward (${prefs.summary.wall_seconds} s vs ${truth.summary.wall_seconds} s)`);
  });

  it('writes the checkpoint with the comparisons as segments, and per-iteration PPO metrics', async () => {
    const rows = runs['control-cartpole'].rows;
    expect(rows).toHaveLength(51);
    for (const r of rows.slice(1)) {
      for (const k of ['env/true_return', 'env/steps', 'labels/count', 'policy/approxkl', 'policy/clipfrac', 'loss/value', 'proxy/mean', 'gold/mean']) {
        expect(Number.isFinite(r[k]), k).toBe(true);
      }
    }
    const record = JSON.parse(await readFile(join(tmp, 'control-cartpole', 'checkpoint.json'), 'utf8'));
    expect(record.labels).toHaveLength(400);
    expect(record.labels[0].a).toMatchObject({ env: 'cartpole' });
    expect(record.labels[0].a.reward).toHaveLength(50);
  });
});
