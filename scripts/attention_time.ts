// Times causal attention's forward and forward+backward on wasm, fused (wasm_attention.ts) and on the plain tf ops,
// at a bench model's shape. Not a test: times depend on the machine.
//   npx tsx scripts/attention_time.ts [gpt-tiny]
import '@tensorflow/tfjs-backend-wasm';
import { tf, type Tensor } from '../src/core/tf';
import { installKernels, plain } from '../src/core/kernels';
import { wasmCausalAttention } from '../src/core/kernels/wasm_attention';
import { causalMask } from '../src/core/models/gpt';
import { BENCH_MODELS } from '../src/core/bench/workloads';

const model = process.argv[2] ?? 'gpt-tiny';
const { B, T: N, H, d } = BENCH_MODELS[model] as { B: number; T: number; H: number; d: number };
await tf.setBackend('wasm');
await tf.ready();
installKernels();
const s = { B, N, H, d };
const qkv = tf.randomNormal([B * N, 3 * d]);
const mask = causalMask(N);
const paths: Record<string, (x: Tensor) => Tensor> = {
  fused: (x) => wasmCausalAttention(x, s),
  plain: (x) => plain.causalAttention(x, mask, s),
};
const time = async (f: () => Tensor, reps = 5) => {
  for (let i = 0; i < 2; i++) f().dispose();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) {
    const t = f();
    await t.data();
    t.dispose();
  }
  return (performance.now() - t0) / reps;
};
for (const [name, attn] of Object.entries(paths)) {
  const fwd = await time(() => tf.tidy(() => attn(qkv)));
  const both = await time(() => tf.grad((x: Tensor) => tf.sum(attn(x)))(qkv));
  console.log(`${model} B=${B} N=${N} H=${H} d=${d} ${name}: forward ${fwd.toFixed(1)} ms, forward+backward ${both.toFixed(1)} ms`);
}
