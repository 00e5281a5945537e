// Times a workload's step the way torch_reference.py does (warm-up, then the median of per-step times, each
// synchronized: here by reading the step's loss with data()), counts what one step dispatches, and checks that
// the measured steps leave no tensor behind.
import { tf } from '../tf';
import { buildWorkload, type BenchModel, type Workload } from './workloads';
import type { PpoBenchSettings } from './ppo_iteration';
import { countDispatches, fusedKernels, kernelsInUse, useKernels, wasmFusedKernels, wasmRelaxedSimd } from '../kernels';
import { median, timePairs, type PairSummary, type PairTimes } from './pairs';

export { countDispatches };

export interface BenchOptions {
  /** Measured steps (the median is reported). */
  steps: number;
  /** Unmeasured steps first: shader compilation, XNNPACK packing, allocator growth. */
  warmup: number;
  /** Seed of the weights and the batch. */
  seed?: number;
  /** Where the workload's model comes from (tests pass smaller ones). */
  models?: Record<string, BenchModel>;
  /**
   * On wasm, take matMul's gradient through XNNPACK's plain product (kernels/wasm_matmul_grad.ts; default true, as
   * the lab trains); false measures tfjs-core's gradient.
   */
  wasmMatMulGrad?: boolean;
  /**
   * On wasm, run batched and transposed products through the lab's SIMD kernel (kernels/wasm_batch_matmul.ts;
   * default true, as the lab trains); false measures tfjs-wasm's own.
   */
  wasmBatchMatMul?: boolean;
  /**
   * On webgpu, run Adam and layer norm as fused WGSL kernels (kernels/webgpu_*.ts), on wasm layer norm, token
   * log-probabilities and embeddings as the lab's SIMD kernels (kernels/wasm_*.ts); default true, as the lab trains;
   * false measures the tf-op versions.
   */
  fused?: boolean;
  /** The PPO iteration's settings (default PPO_BENCH: 64 completions × 32 tokens, 4 epochs × 4 minibatches). */
  ppo?: PpoBenchSettings;
}

/** One line of `rlhf-lab bench`. */
export interface BenchResult {
  workload: string;
  config: Record<string, unknown>;
  backend: string;
  adapter: string | null;
  /** Median wall time of one step, loss read back (ms). */
  ms_per_step: number;
  /** tokens per step / ms_per_step. */
  tokens_per_s: number;
  /** GPU compute dispatches of one step on webgpu; tfjs kernels run on cpu and wasm (see countDispatches). */
  dispatches_per_step: number;
  /** tfjs kernels one step runs (tf.profile), on every backend. */
  kernels_per_step: number;
  /** tf.memory().numTensors before and after the measured steps: equal when a step leaks nothing. */
  tensors_before: number;
  tensors_after: number;
  steps: number;
  warmup: number;
  /** Whether the wasm matMul gradient of kernels/wasm_matmul_grad.ts was on (false on other backends). */
  wasm_matmul_grad: boolean;
  /** Whether the wasm batched matMul of kernels/wasm_batch_matmul.ts was on (false on other backends). */
  wasm_batch_matmul: boolean;
  /** Whether the fused kernels (kernels/index.ts: webgpu's WGSL, wasm's SIMD module) ran (false on cpu). */
  fused: boolean;
  /** On wasm, whether the lab's module runs with relaxed SIMD (fused multiply-adds; kernels/wasm_program.ts); else false. */
  wasm_relaxed_simd: boolean;
  params: number;
  /** The last measured step's loss. */
  loss: number;
}

/** Runs a built workload: warm-up, one counted step, then the measured steps. */
export async function measure(w: Workload, opts: BenchOptions, adapter: string | null = null): Promise<BenchResult> {
  const run = async () => {
    const loss = await w.step();
    const value = (await loss.data())[0];
    loss.dispose();
    return value;
  };
  for (let i = 0; i < opts.warmup; i++) await run();
  const counted = await countDispatches(async () => void (await run()));
  const tensorsBefore = tf.memory().numTensors;
  const times: number[] = [];
  let loss = Number.NaN;
  for (let i = 0; i < opts.steps; i++) {
    const t0 = performance.now();
    loss = await run();
    times.push(performance.now() - t0);
  }
  const tensorsAfter = tf.memory().numTensors;
  const ms = median(times);
  const used = kernelsInUse(); // as chosen, or off where the running tfjs is not the kernels' (kernels/index.ts)
  return {
    workload: w.name,
    config: w.config,
    backend: tf.getBackend(),
    adapter,
    ms_per_step: Number(ms.toFixed(3)),
    tokens_per_s: Math.round((w.tokens / ms) * 1000),
    dispatches_per_step: counted.dispatches ?? counted.kernels,
    kernels_per_step: counted.kernels,
    tensors_before: tensorsBefore,
    tensors_after: tensorsAfter,
    steps: opts.steps,
    warmup: opts.warmup,
    wasm_matmul_grad: tf.getBackend() === 'wasm' && used.wasmMatMulGrad,
    wasm_batch_matmul: tf.getBackend() === 'wasm' && used.wasmBatchMatMul,
    fused: fusedKernels() || wasmFusedKernels(),
    wasm_relaxed_simd: wasmRelaxedSimd(),
    params: w.params,
    loss: Number(loss.toFixed(6)),
  };
}

/** Builds, measures and disposes one workload on the current backend. */
export async function benchWorkload(name: string, opts: BenchOptions, adapter: string | null = null): Promise<BenchResult> {
  return withWorkload(name, opts, (w) => measure(w, opts, adapter));
}

/**
 * `--vs-torch`: the workload built once, then `pairs` alternating pairs of the lab's measured steps (measure(): the
 * warm-up before the first pair only) and `reference()`, which times the same step elsewhere and returns its median
 * ms per step (pairs.ts). `lab` is the last pair's full line (tensor counts from that pair's steps).
 */
export async function benchPaired(
  name: string,
  opts: BenchOptions & { pairs: number },
  reference: () => Promise<number>,
  adapter: string | null = null,
  progress?: (i: number, p: PairTimes) => void,
): Promise<{ lab: BenchResult; summary: PairSummary }> {
  return withWorkload(name, opts, async (w) => {
    let lab: BenchResult | null = null;
    const labSide = async () => {
      lab = await measure(w, { ...opts, warmup: lab ? 0 : opts.warmup }, adapter);
      return lab.ms_per_step;
    };
    const summary = await timePairs(opts.pairs, labSide, reference, progress);
    return { lab: lab!, summary };
  });
}

async function withWorkload<R>(name: string, opts: BenchOptions, body: (w: Workload) => Promise<R>): Promise<R> {
  const before = kernelsInUse();
  // The wasm paths change only wasm's kernels, the fused ones run on webgpu and wasm
  useKernels({ wasmMatMulGrad: opts.wasmMatMulGrad ?? true, wasmBatchMatMul: opts.wasmBatchMatMul ?? true, fused: opts.fused ?? true });
  const w = buildWorkload(name, opts.seed ?? 0, opts.models, opts.ppo);
  try {
    return await body(w);
  } finally {
    w.dispose();
    useKernels(before); // as the host had them (the CLI: tfjs's own on wasm, as its pretrain has them)
  }
}
