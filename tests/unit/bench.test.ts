// rlhf-lab bench: one JSON line per workload and backend with a timed, leak-free step; the workloads are
// ../shared/bench/workloads.json's with torch_reference.py's parameters; bad workloads and backends exit 2.
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../../src/core/tf';
import { BENCH_MODELS, buildWorkload, parseWorkload, type BenchModel } from '../../src/core/bench/workloads';
import { benchWorkload } from '../../src/core/bench/measure';
import { PPO_BENCH } from '../../src/core/bench/ppo_iteration';
import { cli, ROOT } from './cli_run';

const SHARED = join(ROOT, '../shared/bench/workloads.json');

describe('rlhf-lab bench --backend wasm --workload gpt-tiny:lm --steps 2', () => {
  let result: Awaited<ReturnType<typeof cli>>;
  beforeAll(async () => {
    result = await cli(['bench', '--backend', 'wasm', '--workload', 'gpt-tiny:lm', '--steps', '2', '--warmup', '0']);
  }, 120_000);

  it('prints one JSON line with the timing, the dispatch count and no leaked tensor', () => {
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    const r = JSON.parse(lines[0]);
    expect(r.workload).toBe('gpt-tiny:lm');
    expect(r.backend).toBe('wasm');
    expect(r.adapter).toBeNull();
    expect(r.config).toEqual(BENCH_MODELS['gpt-tiny']);
    expect(r.steps).toBe(2);
    expect(r.wasm_matmul_grad).toBe(true); // the default: kernels/wasm_matmul_grad.ts
    expect(r.wasm_batch_matmul).toBe(true); // likewise kernels/wasm_batch_matmul.ts
    expect(r.fused).toBe(true); // the default: wasm's fused kernels (kernels/wasm_*.ts)
    expect(r.wasm_relaxed_simd).toBe(true); // the CLI turns on Node's relaxed SIMD: fused multiply-adds
    expect(r.ms_per_step).toBeGreaterThan(0);
    // tokens_per_s is B·T tokens over the median step.
    expect(Math.abs(r.tokens_per_s - (32 * 64 * 1000) / r.ms_per_step)).toBeLessThanOrEqual(1);
    expect(Number.isInteger(r.dispatches_per_step)).toBe(true);
    expect(r.dispatches_per_step).toBeGreaterThan(0);
    expect(r.dispatches_per_step).toBe(r.kernels_per_step); // wasm: every kernel is one call into the backend
    expect(r.tensors_before).toBeGreaterThan(0);
    expect(r.tensors_after).toBe(r.tensors_before);
    // torch_reference.py's GPT(c, V): wte, wpe, L blocks (two LayerNorms, qkv, proj, fc, fc2), lnf, head.
    const { V, T, d, L } = BENCH_MODELS['gpt-tiny'];
    expect(r.params).toBe(V * d + T * d + L * (4 * d + 12 * d * d) + 2 * d + d * V);
    // Cross-entropy on random targets at PyTorch's init: near log V, well under twice it.
    expect(r.loss).toBeGreaterThan(Math.log(V) * 0.9);
    expect(r.loss).toBeLessThan(Math.log(V) * 2);
  });
});

describe('rlhf-lab bench refuses what it cannot run', () => {
  it('exits 2 on an unknown workload, naming what is valid', async () => {
    for (const w of ['gpt-huge:lm', 'gpt-tiny:sft', 'gpt-tiny']) {
      const r = await cli(['bench', '--workload', w, '--steps', '1']);
      expect(r.code, w).toBe(2);
      expect(r.stderr).toContain(`workload "${w}"`);
      expect(r.stderr).toContain('gpt-tiny:lm');
      expect(r.stdout).toBe('');
    }
  });

  it('exits 2 on an unknown backend or a bad step count', async () => {
    const r = await cli(['bench', '--backend', 'tpu']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--backend tpu: unknown backend; choose cpu, wasm or webgpu');
    const s = await cli(['bench', '--steps', '0']);
    expect(s.code).toBe(2);
    expect(s.stderr).toContain('--steps 0');
    const g = await cli(['bench', '--wasm-matmul-grad', 'maybe']);
    expect(g.code).toBe(2);
    expect(g.stderr).toContain('--wasm-matmul-grad maybe: expected on or off');
    const m = await cli(['bench', '--wasm-batch-matmul=maybe']);
    expect(m.code).toBe(2);
    expect(m.stderr).toContain('--wasm-batch-matmul maybe: expected on or off');
    const f = await cli(['bench', '--fused', 'maybe']);
    expect(f.code).toBe(2);
    expect(f.stderr).toContain('--fused maybe: expected on or off');
  });
});

describe('the workloads', () => {
  it('are ../shared/bench/workloads.json', () => {
    if (!existsSync(SHARED)) return; // the shared folder is beside the checkout on developer machines and CI
    const shared = JSON.parse(readFileSync(SHARED, 'utf8'));
    for (const [name, m] of Object.entries(BENCH_MODELS)) expect(m, name).toEqual(shared[name]);
  });

  it('parses model:kind and expands nothing else', () => {
    expect(parseWorkload('gpt-small:dpo')).toEqual({ model: 'gpt-small', kind: 'dpo' });
    expect(() => parseWorkload('gpt-small:dpo:x')).toThrow(/expected model:kind/);
  });
});

// Every kind on a model small enough for the cpu backend: the step trains (the loss falls on its fixed batch),
// and the measured steps leave no tensor behind.
describe('every kind on a small GPT (cpu)', () => {
  const models: Record<string, BenchModel> = {
    'gpt-test': { V: 16, T: 48, d: 16, L: 1, H: 2, B: 4, act: 'relu', linear_bias: false, lr: 0.01 },
  };
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  for (const kind of ['lm', 'rm', 'dpo'] as const) {
    it(`${kind}: the loss falls over steps on its batch, with no leak`, async () => {
      const w = buildWorkload(`gpt-test:${kind}`, 1, models);
      const losses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const loss = await w.step();
        losses.push((await loss.data())[0]);
        loss.dispose();
      }
      w.dispose();
      expect(losses[4]).toBeLessThan(losses[0]);
      if (kind === 'rm') expect(losses[0]).toBeCloseTo(Math.LN2, 0); // the reward heads start near equal
      const r = await benchWorkload(`gpt-test:${kind}`, { steps: 2, warmup: 1, models });
      expect(r.tensors_after).toBe(r.tensors_before);
      expect(r.dispatches_per_step).toBeGreaterThan(0);
      // ms_per_step is printed rounded to the microsecond, so the recomputed rate may differ in the last unit.
      const expected = ((kind === 'lm' ? 1 : 2) * 4 * 48 * 1000) / r.ms_per_step;
      expect(Math.abs(r.tokens_per_s - expected)).toBeLessThanOrEqual(1);
    });
  }

  it('ppo: a (shortened) iteration runs sampling, scoring and every minibatch update, finite, with no leak', async () => {
    // The bench's iteration is 64 completions × 32 new tokens, 4 epochs × 4 minibatches; a quarter of it here.
    expect(PPO_BENCH).toMatchObject({ completions: 64, new_tokens: 32, epochs: 4, minibatches: 4 });
    const ppo = { ...PPO_BENCH, completions: 16, new_tokens: 8, epochs: 2, minibatches: 2 };
    const one = await benchWorkload('gpt-test:ppo', { steps: 1, warmup: 0, models, ppo: { ...ppo, epochs: 1, minibatches: 1 } });
    const r = await benchWorkload('gpt-test:ppo', { steps: 1, warmup: 0, models, ppo });
    expect(r.tensors_after).toBe(r.tensors_before);
    expect(Number.isFinite(r.loss)).toBe(true);
    expect(r.config).toMatchObject({ completions: 16, new_tokens: 8, epochs: 2, minibatches: 2 });
    expect(r.tokens_per_s).toBe(Math.round((16 * 8 * 1000) / r.ms_per_step));
    // Three more minibatch updates than a one-update iteration, each the same number of kernels.
    const perUpdate = (r.kernels_per_step - one.kernels_per_step) / 3;
    expect(Number.isInteger(perUpdate)).toBe(true);
    expect(perUpdate).toBeGreaterThan(100);
  });
});

describe('a workload', () => {
  it('gives back every tensor it made when disposed', async () => {
    await tf.setBackend('cpu');
    const models: Record<string, BenchModel> = {
      'gpt-test': { V: 8, T: 8, d: 8, L: 1, H: 2, B: 2, act: 'relu', linear_bias: false, lr: 0.01 },
    };
    for (const kind of ['lm', 'rm', 'dpo', 'ppo']) {
      const before = tf.memory().numTensors;
      const w = buildWorkload(`gpt-test:${kind}`, 0, models, { ...PPO_BENCH, completions: 4, new_tokens: 4, prompt_tokens: 2, minibatches: 2, epochs: 1 });
      (await w.step()).dispose();
      w.dispose();
      expect(tf.memory().numTensors, kind).toBe(before);
    }
  });
});
