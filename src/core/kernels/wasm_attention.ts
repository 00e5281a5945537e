// Causal multi-head self-attention (Vaswani et al. 2017) on the wasm backend: one call into the lab's SIMD kernels
// forward (assembly/attention.ts, attention_forward), one backward.
//
// On tf ops (plain.ts) it is split, three head transposes, QKᵀ, scale, mask, softmax, AV and a merging transpose,
// each with its backward: ~40 tfjs kernels per block, and the tape keeps the scores, the softmax and three transposed
// heads. Here it runs from the fused projection qkv [B·N, 3d] straight to the merged heads y [B·N, d], and the tape
// keeps qkv and the attention weights P [B, H, N, N]; the backward reads them and writes dqkv in the layout qkv has.
// Heads whose width d/H is not a multiple of 4 run the plain ops (index.ts decides).
//
// It is a kernel of its own (LabCausalAttention, registered for wasm, with its gradient), not a tf.customGrad: on wasm
// a tensor the tape saves is a copy (tfjs-wasm's Identity copies), and customGrad's copies count as a leak to the
// engine's check (IS_TEST, which the lab sets); a kernel's outputs are saved after that check. Its outputs are y and P,
// P saved and handed back to the caller only to be disposed; the tape's copy lives until its backward has run.
import { tf, type Tensor } from '../tf';
import { activeKernelThreads, activeWasm, addressOf, kernelThreadsOf, runWasm, type TensorInfo, type WasmBackend } from './wasm_program';
import type { AttentionShape } from './plain';

const KERNEL = 'LabCausalAttention';

/** Whether the wasm kernel takes heads of this shape: their width dh = d/H a whole multiple of 4 (its SIMD step). */
export function wasmAttentionFits({ d, H }: AttentionShape): boolean {
  return Number.isInteger(d / H) && (d / H) % 4 === 0;
}

function checkShape(qkv: Tensor, { B, N, H, d }: AttentionShape): void {
  const want = [B * N, 3 * d];
  if (qkv.dtype !== 'float32' || qkv.rank !== 2 || qkv.shape[0] !== want[0] || qkv.shape[1] !== want[1]) {
    throw new Error(
      `causal attention: qkv is ${qkv.dtype} [${qkv.shape.join(', ')}], but B=${B}, N=${N}, d=${d} needs float32 ` +
        `[${want.join(', ')}] (B·N rows of q, k and v side by side); pass the shape the projection was made for`,
    );
  }
  if (!wasmAttentionFits({ B, N, H, d })) throw new Error(`causal attention: the wasm kernel needs d/H a multiple of 4, got d=${d}, H=${H}`);
}

/** Forward: y [B·N, d] and P [B, H, N, N] (zeros above the diagonal). */
function forward(args: { inputs: { qkv: TensorInfo }; backend: unknown; attrs: AttentionShape }): TensorInfo[] {
  const { B, N, H, d } = args.attrs;
  const backend = args.backend as WasmBackend;
  const [y, probs] = [backend.makeOutput([B * N, d], 'float32'), backend.makeOutput([B, H, N, N], 'float32')];
  const at = (t: TensorInfo) => addressOf(backend, t);
  const threads = B > 1 ? kernelThreadsOf(backend) : null; // by rows of the batch, where kernel threads run
  if (threads) threads.run('attention_forward_part', [at(args.inputs.qkv), at(y), at(probs), B, N, H, d]);
  else activeWasm()!.kernels.attention_forward(at(args.inputs.qkv), at(y), at(probs), B, N, H, d);
  return [y, probs];
}

/** Backward: dqkv [B·N, 3d] of dy, from the saved qkv and P (P's own dy is zeros: it is no output of the op's). */
function backward(dys: Tensor[], [qkv, probs]: Tensor[], { B, N, H, d }: AttentionShape): { qkv: () => Tensor } {
  return {
    qkv: () => {
      // ds: the kernel's scratch for one head's dS [N, N], one per kernel thread where they run
      const threads = B > 1 ? activeKernelThreads() : null;
      const parts = threads?.size ?? 1;
      const [dqkv, ds] = runWasm([dys[0], qkv, probs], [{ shape: [B * N, 3 * d] }, { shape: [parts, N, N] }], (k, [g, q, p], [dq, s]) => {
        if (threads) threads.run('attention_backward_part', [g, q, p, dq, s, B, N, H, d]);
        else k.attention_backward(g, q, p, dq, s, B, N, H, d);
      });
      ds.dispose();
      return dqkv;
    },
  };
}

/** Registers the kernel and its gradient once (idempotent). */
function register(): void {
  if (tf.getKernel(KERNEL, 'wasm')) return;
  tf.registerKernel({ kernelName: KERNEL, backendName: 'wasm', kernelFunc: forward } as unknown as Parameters<typeof tf.registerKernel>[0]);
  tf.registerGradient({
    kernelName: KERNEL,
    inputsToSave: ['qkv'],
    outputsToSave: [false, true],
    gradFunc: backward,
  } as unknown as Parameters<typeof tf.registerGradient>[0]);
}

/** Causal self-attention of qkv [B·N, 3d] (H heads of width d/H, a multiple of 4) to the merged heads [B·N, d], on wasm. */
export function wasmCausalAttention(qkv: Tensor, shape: AttentionShape): Tensor {
  if (!activeWasm()) throw new Error(`causal attention: the wasm kernel runs only on the wasm backend with WebAssembly SIMD (the backend is ${tf.getBackend()}); use ops.causalAttention, which picks`);
  checkShape(qkv, shape);
  register();
  const { B, N, H, d } = shape;
  const [y, probs] = tf.engine().runKernel(KERNEL, { qkv }, { B, N, H, d } as never) as unknown as Tensor[];
  probs.dispose(); // the tape keeps its own
  return y;
}
