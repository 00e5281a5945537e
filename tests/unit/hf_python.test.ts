// The export in the real Python libraries (torch, transformers, TRL from .venv-py; .ci/run installs them from
// tests/python/requirements.txt): the hf/ folders give check.json's log-probabilities and rewards, and train_trl.py
// runs as shipped for a reward model and for DPO. Without the virtual environment these tests skip locally and fail
// under CI=true.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { unzipSync } from 'fflate';
import { cli, ROOT } from './cli_run';

const PYTHON = join(ROOT, '.venv-py/bin/python');
const HAVE_PYTHON = existsSync(PYTHON);
if (!HAVE_PYTHON) {
  if (process.env.CI === 'true') throw new Error(`${PYTHON} is missing: .ci/run creates it from tests/python/requirements.txt`);
  console.warn(`hf_python.test.ts: skipped, no ${PYTHON} (python3 -m venv .venv-py && .venv-py/bin/pip install -r tests/python/requirements.txt)`);
}

function python(args: string[], cwd: string, timeoutMs = 280_000): Promise<{ code: number | null; stdout: string; stderr: string; seconds: number }> {
  const started = performance.now();
  return new Promise((res, rej) => {
    const child = spawn(PYTHON, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HF_HUB_OFFLINE: '1', TOKENIZERS_PARALLELISM: 'false' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`python ${args.join(' ')} did not exit in ${timeoutMs} ms; stderr:\n${stderr}`));
    }, timeoutMs);
    child.on('error', rej);
    child.on('close', (code) => {
      clearTimeout(timer);
      res({ code, stdout, stderr, seconds: (performance.now() - started) / 1000 });
    });
  });
}

const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop()!);

const SMALL = [
  'schedule.rounds=1', 'schedule.labels_per_round=16', 'reward_model.steps=4', 'reward_model.batch_size=4',
  'task.max_new_tokens=10', 'optimizer.batch_size=4', 'optimizer.minibatches=2', 'optimizer.iterations=2',
].flatMap((s) => ['--set', s]);
const SMALL_DPO = [
  'schedule.rounds=1', 'schedule.labels_per_round=16', 'task.max_new_tokens=10', 'optimizer.batch_size=4',
  'optimizer.eval_samples=4', 'optimizer.iterations=2', 'optimizer.loss=ipo', 'optimizer.rpo_alpha=0.5',
].flatMap((s) => ['--set', s]);

let dir: string;
const bundles: Record<'mean' | 'last' | 'dpo', string> = { mean: '', last: '', dpo: '' };

/** `rlhf-lab run` then its export.zip unpacked into DIR/<name>/bundle. */
async function exported(name: string, preset: string, more: string[]): Promise<string> {
  const out = join(dir, name);
  const r = await cli(['run', preset, '--backend', 'wasm', '--seed', '1', '--out', out, ...more], 300_000);
  expect(r.code, r.stderr).toBe(0);
  const files = unzipSync(await readFile(join(out, 'export.zip')));
  const bundle = join(out, 'bundle');
  for (const [path, data] of Object.entries(files)) {
    await mkdir(dirname(join(bundle, path)), { recursive: true });
    await writeFile(join(bundle, path), data);
  }
  return bundle;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rlhf-hf-'));
  [bundles.mean, bundles.last, bundles.dpo] = await Promise.all([
    exported('mean', 'text-sentiment-ppo', SMALL),
    exported('last', 'text-sentiment-ppo', [...SMALL, '--set', 'reward_model.pool=last']),
    exported('dpo', 'text-sentiment-dpo', SMALL_DPO),
  ]);
}, 300_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('export bundles carry the models a run has', () => {
  it('a PPO run: hf/policy, hf/reference, hf/reward_model; a DPO run: no reward model anywhere', async () => {
    const manifest = (b: string) => readFile(join(b, 'manifest.json'), 'utf8').then((t) => JSON.parse(t));
    const ppo = await manifest(bundles.mean);
    expect(ppo.models).toEqual(['policy', 'reference', 'reward_model']);
    expect(ppo.files).toEqual(expect.arrayContaining(['check.json', 'hf/policy/config.json', 'hf/reward_model/model.safetensors', 'hf/policy/README.md']));
    const dpo = await manifest(bundles.dpo);
    expect(dpo.models).toEqual(['policy', 'reference']);
    expect(dpo.files.filter((f: string) => f.includes('reward_model'))).toEqual([]);
    const config = JSON.parse(await readFile(join(bundles.mean, 'hf/reward_model/config.json'), 'utf8'));
    expect(config.rlhf_lab.pooling).toBe('mean');
    const record = JSON.parse(await readFile(join(bundles.mean, 'checkpoint/record.json'), 'utf8'));
    expect(record.models.reward_model.spec.head).toMatch(/^reward \(mean over the last prompt token/);
  });
});

describe.skipIf(!HAVE_PYTHON)('the export in transformers and TRL (.venv-py)', () => {
  it('transformers reads the hf/ folders as the lab: log-probs and reward scores match check.json within 1e-4', async () => {
    const r = await python([join(ROOT, 'tests/python/check_hf.py'), bundles.mean, bundles.last], dir);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const lines = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    console.log(`check_hf.py, two bundles (${r.seconds.toFixed(1)} s):\n${lines.map((l) => JSON.stringify(l)).join('\n')}`);
    expect(lines.map((l) => l.bundle)).toEqual([bundles.mean, bundles.last]);
    for (const [pool, got] of [['mean', lines[0]], ['last', lines[1]]] as const) {
      expect(got.rows).toBeGreaterThanOrEqual(2);
      for (const m of ['policy', 'reference']) {
        expect(got[m].vocab).toBe(34);
        expect(got[m].max_token_logp_delta).toBeLessThan(1e-4);
        expect(got[m].max_completion_logp_delta).toBeLessThan(1e-4);
      }
      expect(got.reward_model.pooling).toBe(pool);
      expect(got.reward_model.max_score_delta).toBeLessThan(1e-4);
      expect(got.reward_model.max_normalized_delta).toBeLessThan(1e-4);
      if (pool === 'last') expect(got.reward_model.max_direct_score_delta).toBeLessThan(1e-4);
    }
  }, 300_000);

  it('train_trl.py --max-steps 5: a reward model from hf/reward_model, on CPU', async () => {
    const r = await python(['train_trl.py', '--max-steps', '5'], bundles.mean);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    console.log(`train_trl.py --max-steps 5 (reward model): ${r.seconds.toFixed(1)} s`);
    expect(r.stdout).toContain(`starting from ${join(bundles.mean, 'hf/reward_model')}`);
    expect(r.stdout).toContain("TRL's RewardTrainer scores the last non-pad token");
    const result = lastJson(r.stdout);
    expect(result.steps).toBe(5);
    expect(Number.isFinite(result.train_loss)).toBe(true);
    expect(existsSync(join(bundles.mean, 'trl-output/model.safetensors'))).toBe(true);
  }, 300_000);

  it('train_trl.py --dpo --max-steps 5: an IPO+RPO run continues from hf/policy against hf/reference, saying how TRL differs', async () => {
    const r = await python(['train_trl.py', '--dpo', '--max-steps', '5'], bundles.dpo);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    console.log(`train_trl.py --dpo --max-steps 5: ${r.seconds.toFixed(1)} s`);
    expect(r.stdout).toContain(`starting from ${join(bundles.dpo, 'hf/policy')}`);
    expect(r.stdout).toMatch(/note: TRL's IPO divides each completion's log-ratio by its token count/);
    expect(r.stdout).toMatch(/note: RPO: loss_type \+ \['sft'\] weighted 0.5/);
    const result = lastJson(r.stdout);
    expect(result.steps).toBe(5);
    expect(Number.isFinite(result.train_loss)).toBe(true);
  }, 300_000);
});

describe.skipIf(!HAVE_PYTHON)('a tiny GPT-2 made by transformers as the text task\'s base model (rlhf-lab run --base)', () => {
  const VOCAB_ARG = "\n !',-.?abcdefghijklmnopqrstuvwxyz";
  const tiny = (name: string) => join(dir, 'tiny', name);
  const runs: Record<string, { code: number | null; stderr: string }> = {};

  beforeAll(async () => {
    // tiny_gpt2.py: relu (tied), gelu_new (untied), and three that do not fit, all with shuffled token ids
    const made = await python([join(ROOT, 'tests/python/tiny_gpt2.py'), 'make', join(dir, 'tiny'), VOCAB_ARG], dir);
    expect(made.code, made.stderr.slice(-2000)).toBe(0);
    const names = ['relu', 'gelu_new', 'bias', 'erf', 'words'];
    for (let i = 0; i < names.length; i += 2) {
      await Promise.all(
        names.slice(i, i + 2).map(async (n) => {
          runs[n] = await cli(['run', 'text-sentiment-ppo', '--base', tiny(n), '--backend', 'wasm', '--seed', '1', '--out', join(dir, `base-${n}`), ...SMALL], 300_000);
        }),
      );
    }
  }, 300_000);

  it('imports relu/tied and gelu_new/untied models with shuffled token ids; log-probs match both ways within 1e-4', async () => {
    const bundle = (n: string) => join(dir, `base-${n}`, 'bundle');
    for (const n of ['relu', 'gelu_new']) {
      expect(runs[n].code, runs[n].stderr).toBe(0);
      expect(runs[n].stderr).toContain(`base model: ${tiny(n)} (GPT-2, 2 layers, width 32, 4 heads, ${n === 'relu' ? 'relu' : 'gelu'}, context 48; token ids reordered`);
      const files = unzipSync(await readFile(join(dir, `base-${n}`, 'export.zip')));
      for (const [path, data] of Object.entries(files)) {
        await mkdir(dirname(join(bundle(n), path)), { recursive: true });
        await writeFile(join(bundle(n), path), data);
      }
      // the Reward Report and the reference's card name the imported base, not the lab's shipped one
      expect(await readFile(join(bundle(n), 'REWARD_REPORT.md'), 'utf8')).toContain(`- Policy: a Hugging Face GPT-2 imported from \`${tiny(n)}\``);
      expect(await readFile(join(bundle(n), 'hf/reference/README.md'), 'utf8')).toContain(`the GPT-2 imported from \`${tiny(n)}\`, frozen`);
    }
    // transformers → lab: each original folder's log-probs against the lab's reference (the imported model, frozen)
    const hfToLab = await python([join(ROOT, 'tests/python/tiny_gpt2.py'), 'logps', ...['relu', 'gelu_new'].flatMap((n) => [tiny(n), join(bundle(n), 'check.json')])], dir);
    expect(hfToLab.code, hfToLab.stderr.slice(-2000)).toBe(0);
    // lab → transformers: the exported folders read back in transformers
    const labToHf = await python([join(ROOT, 'tests/python/check_hf.py'), bundle('relu'), bundle('gelu_new')], dir);
    expect(labToHf.code, labToHf.stderr.slice(-2000)).toBe(0);
    const lines = (r: { stdout: string }) => r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    const [a, b] = [lines(hfToLab), lines(labToHf)];
    console.log(`import, transformers→lab:\n${a.map((x) => JSON.stringify(x)).join('\n')}\nlab→transformers:\n${b.map((x) => JSON.stringify(x)).join('\n')}`);
    expect(a).toHaveLength(2);
    expect(b).toHaveLength(2);
    for (const x of a) {
      expect(x.rows).toBeGreaterThanOrEqual(2);
      expect(x.max_token_logp_delta).toBeLessThan(1e-4);
    }
    for (const x of b) for (const m of ['policy', 'reference']) expect(x[m].max_token_logp_delta).toBeLessThan(1e-4);
  }, 300_000);

  it('train_trl.py --model another GPT-2: the learning rate scaled by the widths, and said so', async () => {
    const r = await python(['train_trl.py', '--model', tiny('gelu_new'), '--max-steps', '2', '--output', join(dir, 'trl-other')], bundles.mean);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    console.log(`train_trl.py --model (tiny GPT-2) --max-steps 2: ${r.seconds.toFixed(1)} s`);
    // the run's reward-model lr 0.001, lab width 64, this model's 32
    expect(r.stdout).toContain('learning rate scaled by the widths 64/32 (muP, 1/width for Adam): 0.002; --lr to set it');
    expect(lastJson(r.stdout).steps).toBe(2);
  }, 300_000);

  it('refuses, naming what does not fit: biases, erf GELU, a vocabulary with words', () => {
    const cases: [string, RegExp][] = [
      ['bias', /architecture: transformer\.h\.0\.attn\.c_attn\.bias is not zero .* no biases/],
      ['erf', /architecture: activation "gelu"; the lab's GPT has relu and GELU's tanh form/],
      ['words', /vocabulary of 35 BPE tokens; .* "the" is not one of them/],
    ];
    for (const [name, message] of cases) {
      expect(runs[name].code, runs[name].stderr).toBe(2);
      expect(runs[name].stderr).toMatch(message);
      expect(runs[name].stderr).toContain(`${tiny(name)} cannot be the text task's base model`);
    }
  });
});
