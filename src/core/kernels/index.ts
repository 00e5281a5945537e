// The fence around tfjs internals: the one module of kernels/ that the rest of the lab imports.
//
// The lab's fast paths reach into tfjs-core 4.22 and its wasm and webgpu backends (registries, gradient configs,
// backend fields, WGSL programs run through the backend's own methods): wasm_matmul_grad.ts and wasm_batch_matmul.ts
// replace a gradient and a kernel on wasm, wasm_layernorm.ts, wasm_token_logp.ts and wasm_embedding.ts (on wasm_op.ts)
// are fused kernels on wasm, webgpu_*.ts on webgpu. Each is the same numbers up to float
// rounding. Hosts call installKernels() once a backend is chosen (the runner does, for each run); it checks that the
// running tfjs is the one the kernels were written for and otherwise leaves tfjs's own kernels everywhere, with a
// notice for the user. Model code calls `ops`, which picks the fused or the plain op (plain.ts: tf ops only) per call;
// the bench turns the fast paths on and off through useKernels() and counts dispatches through countDispatches().
// (`rlhf-lab pretrain` calls none of this: it keeps tfjs's own kernels, so the shipped base model rebuilds byte for
// byte.)
import { tf, type Tensor, type Variable } from '../tf';
import * as plain from './plain';
import { useWasmMatMulGradient, wasmMatMulGradientOn } from './wasm_matmul_grad';
import { useWasmBatchMatMul, wasmBatchMatMulOn } from './wasm_batch_matmul';
import { activeWasm, wasmCalls, wasmKernelsRelaxed } from './wasm_program';
import { wasmAdamInPlace } from './wasm_adam';
import { useWasmAliasIdentity } from './wasm_identity';
import { wasmAttentionFits, wasmCausalAttention } from './wasm_attention';
import { wasmLayerNorm } from './wasm_layernorm';
import { wasmEntropy, wasmTokenLogp } from './wasm_token_logp';
import { wasmEmbedding } from './wasm_embedding';
import { fusedLayerNorm } from './webgpu_layernorm';
import { fusedCausalAttention } from './webgpu_attention';
import { fusedEmbedding } from './webgpu_embedding';
import { fusedActivation } from './webgpu_activation';
import { fusedEntropy, fusedSequenceLogp, fusedTokenLogp } from './webgpu_token_logp';
import { fusedAdamFlat, fusedAdamInPlace, fusedAdamUpdate, ownsBuffers, type AdamHyper } from './webgpu_adam';
import { fusedPairLoss, type PairLossInputs } from './webgpu_pair_loss';

export { plain };
export { useLabWebgpuDevice } from './webgpu_device';
export { startWasmKernelThreads } from './wasm_program';
export type { Activation, AttentionShape } from './plain';
export type { AdamHyper } from './webgpu_adam';
export type { PairLossInputs } from './webgpu_pair_loss';
// For algos/reward.ts and algos/dpo.ts, which keep their tf-op losses next to the fused branch.
export { fusedPairLoss };

// ---- the version fence --------------------------------------------------------------------------------------------

/** The tfjs the kernels were written for (major.minor; any patch release of it). */
export const KERNELS_TFJS = '4.22';

/** The running tfjs-core's version. */
export function runningTfjsVersion(): string {
  return tf.version_core;
}

/** Whether `version` is a release of KERNELS_TFJS (4.22.x). */
export function kernelsSupport(version: string): boolean {
  return version.startsWith(`${KERNELS_TFJS}.`);
}

/** Whether the fast paths may run: set by installKernels, at first from the running version. */
let compatible = kernelsSupport(runningTfjsVersion());
/** The fused webgpu kernels' switch (they run when it is on and the backend is webgpu). On by default, as the lab trains. */
let fused = compatible;
/**
 * The same switch for the wasm fused kernels, which are off until a host sets it (installKernels, the bench's
 * useKernels): as the wasm products, they change tfjs's numbers by float rounding, and `rlhf-lab pretrain` keeps
 * tfjs's own so that the shipped base models rebuild byte for byte.
 */
let wasmFused = false;

export interface KernelsInstalled {
  /** Whether the fast paths are on (false: tfjs's own kernels everywhere). */
  fast: boolean;
  /** The tfjs version checked. */
  tfjs: string;
  /** For the user, when the fast paths are off: which tfjs runs, which the kernels were written for, and what that means. */
  notice?: string;
}

/**
 * The fast paths for every backend: on wasm, matMul's gradient through XNNPACK's plain product, batched products
 * through the lab's SIMD kernel and the row-wise ops (layer norm, token log-probabilities, embeddings) through its
 * own kernels; on webgpu, the fused kernels; the cpu backend unchanged. Call it once a backend is
 * registered (the wasm kernel is replaced only where the wasm backend is). Idempotent: calling it again changes
 * nothing and returns the same answer. On a tfjs other than 4.22.x, every fast path is turned off (tfjs's own kernels
 * and the plain ops: slower, the same results) and `notice` says so. `tfjsVersion` stands in for the running version
 * (tests).
 */
export function installKernels(opts: { tfjsVersion?: string } = {}): KernelsInstalled {
  const version = opts.tfjsVersion ?? runningTfjsVersion();
  compatible = kernelsSupport(version);
  useKernels({ fused: true, wasmMatMulGrad: true, wasmBatchMatMul: true }); // all off where not compatible
  if (compatible) return { fast: true, tfjs: version };
  return {
    fast: false,
    tfjs: version,
    notice:
      `TensorFlow.js ${version} is running, but the lab's fast kernels were written for TensorFlow.js ${KERNELS_TFJS}.x, ` +
      `so they are off and training uses TensorFlow.js's own kernels: the same results, slower. ` +
      `Install @tensorflow/tfjs ${KERNELS_TFJS} (npm install @tensorflow/tfjs@~${KERNELS_TFJS}.0) to have them back.`,
  };
}

/** Which fast paths are switched on. */
export interface KernelChoice {
  /** The fused kernels: webgpu's, and wasm's row-wise ops (each runs only on its backend). */
  fused: boolean;
  /** The wasm matMul gradient (wasm_matmul_grad.ts; it changes only wasm's products). */
  wasmMatMulGrad: boolean;
  /** The wasm batched matMul kernel (wasm_batch_matmul.ts; registered only where the wasm backend is). */
  wasmBatchMatMul: boolean;
}

/**
 * Switches the named fast paths on or off (the bench's A/B; tests); a path is on only where installKernels found the
 * tfjs they were written for. Returns the switches as they are now. Off, wasm's are tfjs's own kernel and gradient.
 */
export function useKernels(choice: Partial<KernelChoice>): KernelChoice {
  if (choice.fused !== undefined) {
    wasmFused = fused = choice.fused && compatible;
    useWasmAliasIdentity(fused); // on wasm, the fused path's Identity shares buffers (wasm_identity.ts)
  }
  if (choice.wasmMatMulGrad !== undefined) useWasmMatMulGradient(choice.wasmMatMulGrad && compatible);
  if (choice.wasmBatchMatMul !== undefined) useWasmBatchMatMul(choice.wasmBatchMatMul && compatible);
  return kernelsInUse();
}

/** The switches as they are now. */
export function kernelsInUse(): KernelChoice {
  return { fused, wasmMatMulGrad: wasmMatMulGradientOn(), wasmBatchMatMul: wasmBatchMatMulOn() };
}

/** useKernels({ fused: on }): the fused kernels on or off; off, webgpu and wasm run the plain ops. */
export function useFusedKernels(on: boolean): void {
  useKernels({ fused: on });
}

/** Whether the fused kernels run now: they are on and the active backend is webgpu. */
export function fusedKernels(): boolean {
  return fused && tf.getBackend() === 'webgpu';
}

/**
 * Whether the wasm fused kernels run now (wasm_*.ts on assembly/*.ts: the same switch as webgpu's, once a host has
 * set it): they are on, the active backend is wasm and the page has WebAssembly SIMD.
 */
export function wasmFusedKernels(): boolean {
  return wasmFused && activeWasm() !== null;
}

/** Whether the active backend is wasm and the lab's module there runs with relaxed SIMD (fused multiply-adds). */
export function wasmRelaxedSimd(): boolean {
  const wasm = activeWasm();
  return wasm !== null && wasmKernelsRelaxed(wasm.backend);
}

// ---- the bench's dispatch counter ---------------------------------------------------------------------------------

interface WebgpuLike {
  recordAndSubmit?: (...args: unknown[]) => unknown;
}

/**
 * Counts one step's work two ways. Kernels: every kernel the tfjs engine runs (forward, the gradient tape's
 * backward, Adam), as tf.profile lists them, and on wasm each call into the lab's kernels made outside one (runWasm,
 * an update in place); this is the "806 kernels per step" of bench/README.md. Dispatches: on webgpu, the compute
 * passes the backend really records (its recordAndSubmit, wrapped for this step: one call per
 * dispatchWorkgroups), which leaves out kernels that only reshape or alias a buffer or run on the host; elsewhere
 * null (nothing is dispatched to a device: each kernel is one call into the backend).
 */
export async function countDispatches(step: () => Promise<void>): Promise<{ kernels: number; dispatches: number | null }> {
  const backend = tf.backend() as unknown as WebgpuLike;
  const original = tf.getBackend() === 'webgpu' ? backend.recordAndSubmit : undefined;
  let dispatches = 0;
  if (original) {
    backend.recordAndSubmit = function (this: unknown, ...args: unknown[]) {
      dispatches += 1;
      return original.apply(this, args);
    };
  }
  try {
    const calls = wasmCalls();
    const profile = await tf.profile(step);
    // plus the calls into the lab's wasm module made outside a tfjs kernel (a fused op's backward: runWasm; Adam)
    return { kernels: profile.kernels.length + wasmCalls() - calls, dispatches: original ? dispatches : null };
  } finally {
    if (original) delete backend.recordAndSubmit; // the prototype's method again
  }
}

// ---- the ops ------------------------------------------------------------------------------------------------------

/** Adam's moments as an optimizer holds them, handed over in the layout the chosen update needs. */
export interface AdamMoments {
  /** Both moments in one flat buffer, [m of each parameter, then v of each] in the parameters' order, and each one's offset. */
  flat(): { mv: Variable; offsets: number[] };
  /** The m and v variables of the named parameters. */
  named(names: string[]): { m: Variable[]; v: Variable[] };
}

/**
 * The lab's ops, each fused on webgpu when the fused kernels run (one dispatch or a few in place of tens; the same
 * function) and else plain.ts's tf ops. Callers do not branch: they call these.
 */
export const ops = {
  /** LayerNorm over the last axis (eps 1e-5): 1 dispatch forward, 4 backward when fused; on wasm, 1 kernel each way. */
  layerNorm(x: Tensor, g: Tensor, b: Tensor): Tensor {
    if (fusedKernels()) return fusedLayerNorm(x, g, b);
    if (wasmFusedKernels() && x.dtype === 'float32') return wasmLayerNorm(x, g, b);
    return plain.layerNorm(x, g, b);
  },

  /** ReLU or GELU (tanh form), elementwise: one dispatch each way when fused. */
  activation(act: plain.Activation, x: Tensor): Tensor {
    return fusedKernels() ? fusedActivation(act, x) : plain.activation(act, x);
  },

  /**
   * Token plus position embeddings of ids [B, N] from `offset`: [B·N, d]. Fused for int32 ids: 1 dispatch forward, 2
   * backward; on wasm, 1 kernel each way.
   */
  embedding(ids: Tensor, wte: Tensor, wpe: Tensor, offset = 0): Tensor {
    if (ids.dtype !== 'int32') return plain.embedding(ids, wte, wpe, offset);
    if (fusedKernels()) return fusedEmbedding(ids, wte, wpe, offset);
    if (wasmFusedKernels()) return wasmEmbedding(ids, wte, wpe, offset);
    return plain.embedding(ids, wte, wpe, offset);
  },

  /**
   * x + y·W. Fused, the add is the matmul's epilogue (tf.fused.matMul with x as a full-shape bias, given as [1, ·, ·]
   * so that its gradient is a reshape of dy, not a sum): one dispatch fewer, the same numbers (x + p and p + x are the
   * same float).
   */
  residual(x: Tensor, y: Tensor, w: Tensor): Tensor {
    if (!fusedKernels()) return plain.residual(x, y, w);
    return tf.reshape(tf.fused.matMul({ a: y, b: w, bias: tf.reshape(x, [1, ...x.shape]) }), x.shape);
  },

  /**
   * Causal self-attention of qkv [B·N, 3d]: the merged heads [B·N, d]. `mask` is the plain path's additive [N, N] mask.
   * One dispatch forward, two backward on webgpu; one SIMD call each way on wasm (heads of width d/H a multiple of 4).
   */
  causalAttention(qkv: Tensor, mask: Tensor, shape: plain.AttentionShape): Tensor {
    if (fusedKernels()) return fusedCausalAttention(qkv, shape);
    if (wasmFusedKernels() && wasmAttentionFits(shape)) return wasmCausalAttention(qkv, shape);
    return plain.causalAttention(qkv, mask, shape);
  },

  /** Log-probability of each next token and each position's entropy, of logits [B, M, V] and tokens [B, M]. Fused for int32 tokens. */
  tokenStats(logits: Tensor, next: Tensor): { logp: Tensor; entropy: Tensor } {
    // One dispatch each way for each, in place of log softmax, pick and sum.
    if (fusedKernels() && next.dtype === 'int32') return { logp: fusedTokenLogp(logits, next), entropy: fusedEntropy(logits) };
    if (wasmFusedKernels() && next.dtype === 'int32') return { logp: wasmTokenLogp(logits, next), entropy: wasmEntropy(logits) };
    return plain.tokenStats(logits, next);
  },

  /** Σ_t mask·log π(next) of logits [B, M, V], tokens and mask [B, M]: [B]. Fused for int32 tokens (no entropy computed). */
  maskedSequenceLogp(logits: Tensor, next: Tensor, mask: Tensor): Tensor {
    if (fusedKernels() && next.dtype === 'int32') return fusedSequenceLogp(logits, next, mask);
    if (wasmFusedKernels() && next.dtype === 'int32') return tf.tidy(() => tf.sum(tf.mul(wasmTokenLogp(logits, next), mask), -1));
    return plain.maskedSequenceLogp(logits, next, mask);
  },

  /**
   * log softmax(logits)[targets] of logits [B, N, V] and int32 targets [B, N]: [B, N]. One dispatch each way when
   * fused; on wasm, one kernel each way.
   */
  tokenLogp(logits: Tensor, targets: Tensor): Tensor {
    if (targets.dtype !== 'int32') return plain.tokenLogp(logits, targets);
    if (fusedKernels()) return fusedTokenLogp(logits, targets);
    if (wasmFusedKernels()) return wasmTokenLogp(logits, targets);
    return plain.tokenLogp(logits, targets);
  },

  /** tokenLogp summed over each row: [B]. One dispatch each way when fused; on wasm, tokenLogp's kernel and a sum. */
  sequenceLogp(logits: Tensor, targets: Tensor): Tensor {
    if (targets.dtype !== 'int32') return plain.sequenceLogp(logits, targets);
    if (fusedKernels()) return fusedSequenceLogp(logits, targets);
    if (wasmFusedKernels()) return tf.tidy(() => tf.sum(wasmTokenLogp(logits, targets), -1));
    return plain.sequenceLogp(logits, targets);
  },

  /**
   * A pair loss (Bradley-Terry of a stacked batch, DPO or cDPO of its margins) as one dispatch each way when fused;
   * else `plain`, the algorithm's own tf ops (algos/reward.ts, algos/dpo.ts): the same function.
   */
  pairLoss(inputs: PairLossInputs, plain: () => Tensor): Tensor {
    return fusedKernels() ? fusedPairLoss(inputs) : plain();
  },

  /** Puts a new optimizer's moments in the layout its steps will use, so that a step adds no tensor. */
  adamStart(params: Record<string, Variable>, moments: AdamMoments): void {
    if (fusedKernels() && Object.keys(params).length) moments.flat();
  },

  /**
   * One Adam step: θ ← θ − lr·m̂/(√v̂ + eps) for each parameter that has a gradient. Fused, with every gradient present,
   * θ and the moments written in place, several parameters a dispatch (or, where another tensor shares a parameter's
   * buffer, one dispatch per parameter plus the gradients' concatenation and the moments' update); else three
   * dispatches per parameter; plain, ~13 tf ops per parameter. Same state, same numbers.
   */
  adamStep(params: Record<string, Variable>, grads: Record<string, Tensor>, moments: AdamMoments, h: AdamHyper): void {
    const updated = Object.keys(grads).filter((k) => params[k]);
    if (fusedKernels()) {
      const names = Object.keys(params);
      if (names.length && names.every((k) => grads[k]) && Object.keys(grads).every((k) => params[k])) {
        const { mv, offsets } = moments.flat();
        const ps = names.map((k) => params[k]);
        const gs = names.map((k) => grads[k]);
        // In place when nothing else holds these buffers (a clone of a parameter, say a reference model, would)
        if (ownsBuffers([mv, ...ps])) fusedAdamInPlace(ps, gs, mv, offsets, h);
        else fusedAdamFlat(ps, gs, mv, offsets, h);
        return;
      }
      const { m, v } = moments.named(updated);
      updated.forEach((k, i) => fusedAdamUpdate(params[k], grads[k], m[i], v[i], h));
      return;
    }
    const { m, v } = moments.named(updated);
    // On wasm, in place where the buffers are the optimizer's alone (wasm_adam.ts)
    const wasm = wasmFusedKernels();
    tf.tidy(() =>
      updated.forEach((k, i) => {
        if (!(wasm && wasmAdamInPlace(params[k], grads[k], m[i], v[i], h))) plain.adamUpdate(params[k], grads[k], m[i], v[i], h);
      }),
    );
  },
};
