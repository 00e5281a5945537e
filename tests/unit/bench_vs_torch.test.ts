// rlhf-lab bench --vs-torch: the pairing and its median ratio (pairs.ts, against values worked out by hand), the
// lab's side on a built workload with no leak, the command wired to a stand-in Python (a shell script printing what
// torch_reference.py prints), its refusals, and one real pair against torch where .venv-py exists.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../../src/core/tf';
import { firstInPair, median, summarizePairs, timePairs } from '../../src/core/bench/pairs';
import { benchPaired } from '../../src/core/bench/measure';
import type { BenchModel } from '../../src/core/bench/workloads';
import { parseTorchLine } from '../../src/cli/vs_torch';
import { cli, ROOT } from './cli_run';

describe('pairs.ts', () => {
  it('median: the middle value, or the mean of the middle two', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(() => median([])).toThrow(/no values/);
  });

  it('alternates which side runs first', () => {
    expect([0, 1, 2, 3].map(firstInPair)).toEqual(['lab', 'torch', 'lab', 'torch']);
  });

  it('the ratio of each pair and their median, not the ratio of the medians', () => {
    // Ratios by hand: 300/100 = 3, 200/100 = 2, 600/150 = 4 → median 3. The ratio of the medians would be
    // 300/100 = 3 too, so a fourth pair separates them: 100/200 = 0.5 → ratios 0.5, 2, 3, 4 → median 2.5, where
    // median(lab) / median(torch) = 250 / 125 = 2.
    const s = summarizePairs([
      { lab_ms: 300, torch_ms: 100, first: 'lab' },
      { lab_ms: 200, torch_ms: 100, first: 'torch' },
      { lab_ms: 600, torch_ms: 150, first: 'lab' },
      { lab_ms: 100, torch_ms: 200, first: 'torch' },
    ]);
    expect(s.pairs.map((p) => p.ratio)).toEqual([3, 2, 4, 0.5]);
    expect(s.median_ratio).toBe(2.5);
    expect(s.lab_ms_median).toBe(250);
    expect(s.torch_ms_median).toBe(125);
  });

  it('refuses no pairs and a time that is not positive, naming the pair', () => {
    expect(() => summarizePairs([])).toThrow(/at least one/);
    expect(() => summarizePairs([{ lab_ms: 1, torch_ms: 1, first: 'lab' }, { lab_ms: 1, torch_ms: 0, first: 'torch' }])).toThrow(/pair 2: torch_ms is 0/);
    expect(() => summarizePairs([{ lab_ms: Number.NaN, torch_ms: 1, first: 'lab' }])).toThrow(/pair 1: lab_ms is NaN/);
  });

  it('timePairs runs the sides in alternating order and pairs each lab time with its own torch time', async () => {
    const calls: string[] = [];
    let n = 0;
    const s = await timePairs(
      3,
      async () => (calls.push('lab'), 10 * ++n),
      async () => (calls.push('torch'), 5),
    );
    expect(calls).toEqual(['lab', 'torch', 'torch', 'lab', 'lab', 'torch']);
    expect(s.pairs.map((p) => [p.lab_ms, p.first])).toEqual([[10, 'lab'], [20, 'torch'], [30, 'lab']]);
    expect(s.median_ratio).toBe(4);
  });
});

describe('benchPaired: the lab side of --vs-torch on a small GPT (cpu)', () => {
  const models: Record<string, BenchModel> = {
    'gpt-test': { V: 16, T: 16, d: 16, L: 1, H: 2, B: 4, act: 'relu', linear_bias: false, lr: 0.01 },
  };
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('times the lab once per pair around the reference, leaks nothing, and frees the workload', async () => {
    const before = tf.memory().numTensors;
    let references = 0;
    const { lab, summary } = await benchPaired('gpt-test:dpo', { steps: 2, warmup: 1, pairs: 3, models }, async () => (++references, 1000));
    expect(references).toBe(3);
    expect(summary.pairs).toHaveLength(3);
    for (const p of summary.pairs) expect(p.ratio).toBeCloseTo(p.lab_ms / 1000, 4);
    expect(lab.tensors_after).toBe(lab.tensors_before);
    expect(lab.warmup).toBe(0); // the warm-up ran before the first pair only; `lab` is the last pair's line
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('rlhf-lab bench --vs-torch with a stand-in Python', () => {
  let dir: string;
  let env: Record<string, string | undefined>;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vs-torch-'));
    const python = join(dir, 'python');
    // `-c PROBE` answers torchInfo's probe; otherwise it is torch_reference.py WORKLOAD CONFIG --steps N.
    writeFileSync(
      python,
      `#!/bin/sh\nif [ "$1" = "-c" ]; then echo '{"torch": "0.0-test", "threads": 3, "cuda": false}'; exit 0; fi\n` +
        `echo "$@" >> ${dir}/calls\necho '{"impl": "torch-eager-cpu", "workload": "'"$2"'", "params": 7, "ms_per_step": 2000.0, "tokens_per_s": 1, "loss": 1.5}'\n`,
    );
    chmodSync(python, 0o755);
    writeFileSync(join(dir, 'torch_reference.py'), '# stands in; the fake python never reads it\n');
    env = { RLHF_LAB_PYTHON: process.env.RLHF_LAB_PYTHON, RLHF_LAB_TORCH_REFERENCE: process.env.RLHF_LAB_TORCH_REFERENCE };
  });
  afterAll(() => {
    for (const [k, v] of Object.entries(env)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints each pair, the median ratio, torch\'s line and the lab\'s', async () => {
    process.env.RLHF_LAB_PYTHON = join(dir, 'python');
    process.env.RLHF_LAB_TORCH_REFERENCE = join(dir, 'torch_reference.py');
    const r = await cli(['bench', '--workload', 'gpt-tiny:rm', '--steps', '1', '--warmup', '0', '--vs-torch', '--pairs', '2'], 300_000);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    const o = JSON.parse(lines[0]);
    expect(o.workload).toBe('gpt-tiny:rm');
    expect(o.torch).toMatchObject({ impl: 'torch-eager-cpu', version: '0.0-test', threads: 3 });
    expect(o.pairs.map((p: { first: string }) => p.first)).toEqual(['lab', 'torch']);
    for (const p of o.pairs) {
      expect(p.torch_ms).toBe(2000);
      expect(p.ratio).toBeCloseTo(p.lab_ms / 2000, 4);
    }
    expect(o.median_ratio).toBeCloseTo((o.pairs[0].ratio + o.pairs[1].ratio) / 2, 3);
    expect(o.lab.tensors_after).toBe(o.lab.tensors_before);
    expect(r.stderr).toContain('pair 2/2 (torch first)');
    // The reference got the same workload: kind, workloads.json's model, and the steps.
    const { readFileSync } = await import('node:fs');
    const calls = readFileSync(join(dir, 'calls'), 'utf8').trimEnd().split('\n');
    expect(calls).toHaveLength(2);
    expect(calls[0]).toContain('rm {"V":64,"T":64,"d":128,"L":2,"H":4,"B":32,"act":"relu","linear_bias":false,"lr":0.0003} --steps 1');
  }, 300_000);

  it('exits 2 without a Python, saying how to make .venv-py; and on ppo or --pairs alone', async () => {
    process.env.RLHF_LAB_PYTHON = join(dir, 'no-such-python');
    const r = await cli(['bench', '--vs-torch']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('RLHF_LAB_PYTHON=');
    expect(r.stderr).toContain('no such file');
    expect(r.stdout).toBe('');
    const ppo = await cli(['bench', '--vs-torch', '--workload', 'gpt-tiny:ppo']);
    expect(ppo.code).toBe(2);
    expect(ppo.stderr).toContain('gpt-tiny:ppo has no PyTorch reference');
    const alone = await cli(['bench', '--pairs', '3']);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain('--pairs is for --vs-torch');
  });

  it('reads torch_reference.py\'s line and refuses anything else', () => {
    expect(parseTorchLine('warming\n{"impl":"torch-eager-cpu","ms_per_step":12.5,"tokens_per_s":1,"params":1,"loss":1}\n').ms_per_step).toBe(12.5);
    expect(() => parseTorchLine('Traceback ...')).toThrow(/no JSON line/);
    expect(() => parseTorchLine('{"impl":"x"}')).toThrow(/no ms_per_step/);
  });
});

const VENV = join(ROOT, '.venv-py/bin/python');
const SCRIPT = join(ROOT, '../shared/bench/torch_reference.py');

describe.skipIf(!existsSync(VENV) || !existsSync(SCRIPT))('rlhf-lab bench --vs-torch against torch in .venv-py', () => {
  it('one pair of gpt-tiny:lm: the same parameter count, both losses near log V', async () => {
    delete process.env.RLHF_LAB_PYTHON;
    delete process.env.RLHF_LAB_TORCH_REFERENCE;
    const r = await cli(['bench', '--workload', 'gpt-tiny:lm', '--steps', '1', '--warmup', '0', '--vs-torch', '--pairs', '1'], 300_000);
    expect(r.code, r.stderr).toBe(0);
    const o = JSON.parse(r.stdout.trim());
    expect(o.torch.impl).toMatch(/^torch-eager-/);
    expect(o.torch.params).toBe(o.lab.params);
    for (const loss of [o.torch.loss, o.lab.loss]) expect(Math.abs(loss - Math.log(64))).toBeLessThan(0.5);
    expect(o.pairs[0].ratio).toBeGreaterThan(0);
  }, 300_000);
});
