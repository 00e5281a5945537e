// rlhf-lab bench: times the lab's training steps (src/core/bench) on the backends asked, one JSON line per
// (workload, backend) on stdout, progress on stderr. The workloads are ../shared/bench/workloads.json's, the same
// steps torch_reference.py runs in PyTorch.
import { selectBackend } from '../core/backend';
import { ALL_WORKLOADS, BenchError, parseWorkload } from '../core/bench/workloads';
import { benchWorkload } from '../core/bench/measure';
import { registerWebgpuBackend } from './webgpu_node';
import { benchVsTorch, TORCH_KINDS, torchPython, torchReferenceScript, VsTorchError } from './vs_torch';

export const BENCH_BACKENDS = ['cpu', 'wasm', 'webgpu'] as const;
type BenchBackend = (typeof BENCH_BACKENDS)[number];

export const BENCH_DEFAULTS = { backend: 'wasm', workload: 'gpt-tiny:lm', steps: 10, warmup: 2, wasmMatMulGrad: 'on', wasmBatchMatMul: 'on', fused: 'on', pairs: 5 };

export const BENCH_USAGE = `  rlhf-lab bench                       time training steps, one JSON line per workload and backend
      --backend cpu|wasm|webgpu --workload MODEL:KIND|all --steps N --warmup N --wasm-matmul-grad on|off
      --wasm-batch-matmul on|off --fused on|off (repeatable backend and workload; defaults ${BENCH_DEFAULTS.backend},
      ${BENCH_DEFAULTS.workload}, ${BENCH_DEFAULTS.steps}, ${BENCH_DEFAULTS.warmup}, ${BENCH_DEFAULTS.wasmMatMulGrad}, ${BENCH_DEFAULTS.wasmBatchMatMul}, ${BENCH_DEFAULTS.fused};
      models gpt-tiny, gpt-small; kinds lm, rm, dpo, ppo)
      --vs-torch [--pairs N]  also time ../shared/bench/torch_reference.py on each workload (lm, rm, dpo), in N
      alternating pairs (default ${BENCH_DEFAULTS.pairs}), and print each pair and the median ratio lab ms / torch ms`;

interface BenchArgs {
  backends: BenchBackend[];
  workloads: string[];
  steps: number;
  warmup: number;
  wasmMatMulGrad: boolean;
  wasmBatchMatMul: boolean;
  fused: boolean;
  /** --vs-torch: pairs of lab and PyTorch timings (null: no comparison). */
  pairs: number | null;
}

function parseBenchArgs(argv: string[], usage: (message: string) => Error): BenchArgs {
  const backends: BenchBackend[] = [];
  const workloads: string[] = [];
  let steps = BENCH_DEFAULTS.steps;
  let warmup = BENCH_DEFAULTS.warmup;
  let wasmMatMulGrad = BENCH_DEFAULTS.wasmMatMulGrad === 'on';
  let wasmBatchMatMul = BENCH_DEFAULTS.wasmBatchMatMul === 'on';
  let fused = BENCH_DEFAULTS.fused === 'on';
  let vsTorch = false;
  let pairs: number | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, null];
    const take = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v.startsWith('--')) throw usage(`${flag} needs a value`);
      return v;
    };
    const onOff = () => {
      const v = take();
      if (v !== 'on' && v !== 'off') throw usage(`${flag} ${v}: expected on or off`);
      return v === 'on';
    };
    switch (flag) {
      case '--backend': {
        const b = take().trim().toLowerCase();
        if (!(BENCH_BACKENDS as readonly string[]).includes(b)) throw usage(`--backend ${b}: unknown backend; choose cpu, wasm or webgpu`);
        if (!backends.includes(b as BenchBackend)) backends.push(b as BenchBackend);
        break;
      }
      case '--workload': {
        const w = take();
        for (const name of w === 'all' ? ALL_WORKLOADS : [w]) {
          try {
            parseWorkload(name);
          } catch (e) {
            if (e instanceof BenchError) throw usage(e.message);
            throw e;
          }
          if (!workloads.includes(name)) workloads.push(name);
        }
        break;
      }
      case '--steps':
      case '--warmup':
      case '--pairs': {
        const v = take();
        const n = Number(v);
        const min = flag === '--warmup' ? 0 : 1;
        if (!/^\d+$/.test(v) || n < min) throw usage(`${flag} ${v}: expected a whole number of at least ${min}`);
        if (flag === '--steps') steps = n;
        else if (flag === '--warmup') warmup = n;
        else pairs = n;
        break;
      }
      case '--vs-torch':
        if (inline !== null) throw usage('--vs-torch takes no value (the number of pairs is --pairs N)');
        vsTorch = true;
        break;
      case '--wasm-matmul-grad':
        wasmMatMulGrad = onOff();
        break;
      case '--wasm-batch-matmul':
        wasmBatchMatMul = onOff();
        break;
      case '--fused':
        fused = onOff();
        break;
      default:
        throw usage(`unknown option ${a}`);
    }
  }
  if (pairs !== null && !vsTorch) throw usage('--pairs is for --vs-torch: add --vs-torch, or leave --pairs out');
  const chosen = workloads.length ? workloads : [BENCH_DEFAULTS.workload];
  if (vsTorch) {
    const without = chosen.filter((w) => !TORCH_KINDS.includes(parseWorkload(w).kind));
    if (without.length) throw usage(`--vs-torch: ${without.join(', ')} has no PyTorch reference; choose kinds ${TORCH_KINDS.join(', ')}`);
  }
  return {
    backends: backends.length ? backends : [BENCH_DEFAULTS.backend as BenchBackend],
    workloads: chosen,
    steps,
    warmup,
    wasmMatMulGrad,
    wasmBatchMatMul,
    fused,
    pairs: vsTorch ? (pairs ?? BENCH_DEFAULTS.pairs) : null,
  };
}

async function registerBackend(name: BenchBackend): Promise<void> {
  if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  if (name === 'webgpu') await registerWebgpuBackend();
}

/**
 * A workload that fails (e.g. gpt-small's rm on wasm outgrows its 4 GB heap) gets a line with `error` instead of
 * figures, and the backend's later workloads are skipped: after such a failure its state cannot be trusted.
 * Other backends still run; the command then fails.
 */
export async function benchCommand(argv: string[], usage: (message: string) => Error): Promise<void> {
  const args = parseBenchArgs(argv, usage);
  if (args.pairs !== null) {
    // Before any lab step: a missing Python or reference is said at once, with how to make it.
    try {
      torchPython();
      torchReferenceScript();
    } catch (e) {
      if (e instanceof VsTorchError) throw usage(e.message);
      throw e;
    }
  }
  const failed: string[] = [];
  for (const name of args.backends) {
    await registerBackend(name);
    const backend = await selectBackend(name, true);
    let broken: string | null = null;
    for (const workload of args.workloads) {
      if (broken) {
        process.stdout.write(JSON.stringify({ workload, backend: backend.name, error: `skipped: ${broken} failed on this backend` }) + '\n');
        continue;
      }
      process.stderr.write(`bench ${workload} on ${backend.name}${backend.adapter ? ` (${backend.adapter})` : ''}: ` +
        `${args.warmup} warm-up, 1 counted, ${args.steps} timed steps` +
        (args.pairs !== null ? `, then again in each of ${args.pairs} pairs with torch_reference.py's ${args.steps}\n` : '\n'));
      try {
        const opts = { steps: args.steps, warmup: args.warmup, wasmMatMulGrad: args.wasmMatMulGrad, wasmBatchMatMul: args.wasmBatchMatMul, fused: args.fused };
        const result = args.pairs !== null
          ? await benchVsTorch(workload, { ...opts, pairs: args.pairs }, backend.adapter, (l) => process.stderr.write(`  ${l}\n`))
          : await benchWorkload(workload, opts, backend.adapter);
        process.stdout.write(JSON.stringify(result) + '\n');
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        process.stdout.write(JSON.stringify({ workload, backend: backend.name, error: message }) + '\n');
        process.stderr.write(`bench ${workload} on ${backend.name} failed: ${e instanceof Error ? (e.stack ?? message) : message}\n`);
        broken = workload;
        failed.push(`${workload} on ${backend.name}`);
      }
    }
  }
  if (failed.length) throw new Error(`bench: ${failed.join(', ')} failed (see the error lines)`);
}
