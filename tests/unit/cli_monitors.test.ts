// `rlhf-lab monitors`: the hacking-onset monitors replayed over run folders and sweep folders, as a user calls it;
// and `run` writing monitors.json for its own run.
import { describe, expect, it } from 'vitest';
import { mkdtemp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './cli_run';

/** A run folder holding hand-made rows: gold peaks at steps 20-24 (centre 22) and falls; agreement falls from step 10. */
async function runFolder(dir: string, turns: boolean): Promise<void> {
  await mkdir(dir, { recursive: true });
  const rows = Array.from({ length: 40 }, (_, t) => ({
    step: t,
    round: 0,
    'gold/mean': turns ? (t < 20 ? t / 20 : t < 25 ? 1 : Math.max(0.2, 1 - 0.1 * (t - 24))) : t / 40,
    'proxy/mean': t,
    'rm/policy_agreement': t < 10 ? 0.75 : t === 10 ? 0.625 : t === 11 ? 0.5 : t === 12 ? 0.375 : 0.25,
  }));
  await writeFile(join(dir, 'metrics.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

describe('rlhf-lab monitors', () => {
  it('scores each run and tallies per monitor, finding a sweep’s runs below its folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'monitors-'));
    await runFolder(join(dir, 'a'), true);
    await runFolder(join(dir, 'sweep', 'cells', '000-base', 'seed-1'), false);
    const r = await cli(['monitors', join(dir, 'a'), join(dir, 'sweep'), '--out', join(dir, 'm.json')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/a: gold peak 1\.000 at step 22, then down; kl-acceleration n\/a, entropy-slope n\/a, length-drift n\/a, proxy-gold-divergence early @13/);
    expect(r.stdout).toMatch(/seed-1: gold peak 0\.925 at step 37, no turn; .*proxy-gold-divergence false @13/);
    expect(r.stdout).toContain('| proxy-gold divergence | 1 | 1 | 9.0 | 0 | 0 | 1 of 1 |');
    const json = JSON.parse(await readFile(join(dir, 'm.json'), 'utf8'));
    expect(json.runs).toHaveLength(2);
    expect(json.tally.find((t: { monitor: string }) => t.monitor === 'proxy-gold-divergence')).toMatchObject({ early: 1, meanLead: 9, falseAlarms: 1 });
  });
  it('names a folder without runs and asks for folders when given none', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'monitors-'));
    const empty = await cli(['monitors', dir]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain(`${dir} holds no metrics.jsonl: give the folder a run wrote (rlhf-lab run --out DIR), or a sweep's`);
    const none = await cli(['monitors']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('monitors needs run folders');
  });
  it('run writes monitors.json: the alarms of its own rows scored against its gold peak', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'monitors-'));
    const r = await cli(['run', 'overopt-landscape', '--seed', '1', '--out', dir], 300_000);
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(await readFile(join(dir, 'monitors.json'), 'utf8'));
    expect(m.format).toBe('rlhf-lab-monitors');
    // README's figures for this preset and seed: gold peaks near step 73 and falls; the divergence alarm precedes it
    expect(m.peak.turnedDown).toBe(true);
    const d = m.scores.find((s: { monitor: string }) => s.monitor === 'proxy-gold-divergence');
    expect(d.verdict).toBe('early');
    expect(d.lead).toBeGreaterThan(5);
  });
});
