// An experiment's name is never a path, and `--set` reaches only the experiment's own fields (issue: nothing lost,
// nothing crashes). Each case failed on e1d67a7: a name of "../../../../escaped" wrote four folders above runs/,
// 25 × "中" or 80 × "." crashed the store with ENAMETOOLONG, a lone surrogate with URIError, and
// `--set labelers.length=100000000` ran for a minute at 4 GB.
import { describe, expect, it } from 'vitest';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { safeName } from '../../src/cli/fs_store';
import { ExperimentError, MAX_OVERRIDE, applyOverrides, parseExperiment } from '../../src/core/experiment/parse';
import { preset } from '../../src/core/experiment/presets';
import { ROOT } from './cli_run';

const base = () => preset('landscape-hello')!;

function problems(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    if (e instanceof ExperimentError) return e.problems;
    throw e;
  }
  return [];
}

describe('safeName', () => {
  it('keeps letters and digits, is short, and differs for different names', () => {
    for (const name of ['../../../../escaped', 'a/b/c', '中'.repeat(80), '.'.repeat(80), 'tiny', 'Tiny!']) {
      const s = safeName(name);
      expect(s).toMatch(/^[a-z0-9-]{1,49}$/);
      expect(s).not.toContain('..');
    }
    expect(safeName('../../../../escaped')).toMatch(/^escaped-[0-9a-f]{8}$/);
    expect(safeName('tiny')).not.toBe(safeName('Tiny!'));
    expect(safeName('a/b')).not.toBe(safeName('a-b'));
    expect(safeName('tiny')).toBe(safeName('tiny'));
  });
});

describe('names the schema takes', () => {
  it('refuses control characters and lone surrogates, with the field named; takes wide characters and dots', () => {
    expect(problems(() => parseExperiment({ ...base(), name: 'a\u0000b' }))[0]).toMatch(/^name: .*control characters/);
    expect(problems(() => parseExperiment({ ...base(), name: 'tiny\ud800' }))[0]).toMatch(/^name: .*lone surrogate/);
    expect(parseExperiment({ ...base(), name: '中'.repeat(80) }).name).toHaveLength(80);
    expect(parseExperiment({ ...base(), name: '.'.repeat(80) }).name).toHaveLength(80);
  });
});

describe('messages about untrusted input', () => {
  it('name an unknown key of megabytes by its first 40 characters, not in full', () => {
    const huge = 'k'.repeat(10_000_000);
    const [p] = problems(() => parseExperiment({ ...base(), [huge]: 1 }));
    expect(p).toMatch(/^k{40}…: unknown key/);
    expect(p.length).toBeLessThan(200);
  });
});

describe('--set', () => {
  it('never assigns an array\'s length or another built-in, and refuses it at once', () => {
    const t0 = performance.now();
    expect(problems(() => applyOverrides(base(), ['labelers.length=100000000']))[0]).toMatch(/labelers has 1 entries; "length"/);
    expect(problems(() => applyOverrides(base(), ['reward_model.hidden.length=1e9']))[0]).toMatch(/"length" is neither/);
    expect(performance.now() - t0).toBeLessThan(1000); // a refusal, not a billion-entry array
  });

  it('appends the next entry of an array, refuses one beyond it, and refuses a value past its bound', () => {
    const two = applyOverrides(base(), [`labelers[1]=${JSON.stringify({ kind: 'human' })}`]);
    expect(two.labelers).toHaveLength(2);
    expect(problems(() => applyOverrides(base(), ['labelers[5]={"kind":"human"}']))[0]).toMatch(/labelers has 1 entries; "5"/);
    expect(problems(() => applyOverrides(base(), [`name=${'x'.repeat(MAX_OVERRIDE + 1)}`]))[0]).toMatch(/at most 100000/);
  });
});

/** `rlhf-lab run FILE` in `cwd`, as a user in that folder runs it. */
function runIn(cwd: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/rlhf-lab.js'), ...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', rej);
    child.on('close', (code) => res({ code, stderr }));
  });
}

describe('rlhf-lab run with hostile names', () => {
  it('writes a "../../../../escaped" run inside runs/, and runs names of 25 × 中 and 80 × "." with --out', async () => {
    const top = await mkdtemp(join(tmpdir(), 'rlhf-lab-names-'));
    const cwd = join(top, 'a', 'b', 'c', 'd', 'e');
    try {
      const { mkdir } = await import('node:fs/promises');
      await mkdir(cwd, { recursive: true });
      const tiny = (name: string) => ({
        ...base(),
        name,
        reward_model: { ...base().reward_model, steps: 5 },
        optimizer: { ...base().optimizer, iterations: 1, batch_size: 16 },
        schedule: { ...base().schedule, rounds: 1, labels_per_round: 6 },
      });
      await writeFile(join(cwd, 'escape.json'), JSON.stringify(tiny('../../../../escaped')));
      const r = await runIn(cwd, ['run', 'escape.json']);
      expect(r.code, r.stderr).toBe(0);
      const runs = await readdir(join(cwd, 'runs'));
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatch(/^escaped-[0-9a-f]{8}-/);
      expect(await readdir(join(cwd, 'runs', runs[0]))).toContain('summary.json');
      expect((await readdir(top)).sort()).toEqual(['a']); // nothing above the folder it ran in
      for (const [file, name] of [['wide.json', '中'.repeat(25)], ['dots.json', '.'.repeat(80)]]) {
        await writeFile(join(cwd, file), JSON.stringify(tiny(name)));
        const w = await runIn(cwd, ['run', file, '--out', join(cwd, 'out-' + file)]);
        expect(w.code, w.stderr).toBe(0);
        expect(await readdir(join(cwd, 'out-' + file))).toContain('checkpoint.json');
      }
    } finally {
      await rm(top, { recursive: true, force: true });
    }
  }, 120_000);
});
