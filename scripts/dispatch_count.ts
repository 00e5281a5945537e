// What a webgpu training step dispatches, program by program: the bench's lm, rm and dpo steps on a GPT with
// gpt-tiny's structure (L = 2 blocks, H = 2 heads) but a few units wide, so that it runs in seconds on a software
// adapter (SwiftShader, Dawn in Node). The count depends on the structure, not the sizes (the bench counts 82 / 83 /
// 99 on gpt-tiny itself; tfjs may pick another matMul program at other sizes). Not a test.
//   npx tsx scripts/dispatch_count.ts [lm,rm,dpo]
import { tf } from '../src/core/tf';
import { registerWebgpuBackend } from '../src/cli/webgpu_node';
import { countDispatches, installKernels } from '../src/core/kernels';
import { BENCH_MODELS, buildWorkload } from '../src/core/bench/workloads';

type Program = { shaderKey: string };
type Runner = (this: unknown, program: Program, ...rest: unknown[]) => unknown;

await registerWebgpuBackend();
await tf.setBackend('webgpu');
await tf.ready();
installKernels();
const models = { ...BENCH_MODELS, mini: { V: 16, T: 8, d: 16, L: 2, H: 2, B: 2, act: 'relu' as const, linear_bias: false, lr: 3e-4 } };
const step = async (w: { step(): Promise<tf.Tensor> }) => {
  const t = await w.step();
  await t.data();
  t.dispose();
};
for (const kind of (process.argv[2] ?? 'lm,rm,dpo').split(',')) {
  const w = buildWorkload(`mini:${kind}`, 0, models);
  await step(w); // programs compiled, moments laid out
  await step(w);
  const backend = tf.backend() as unknown as { runWebGPUProgram: Runner };
  const original = backend.runWebGPUProgram;
  const byProgram = new Map<string, number>();
  backend.runWebGPUProgram = function (program, ...rest) {
    const name = program.shaderKey.split('_').slice(0, 3).join('_');
    byProgram.set(name, (byProgram.get(name) ?? 0) + 1);
    return original.call(this, program, ...rest);
  };
  const counted = await countDispatches(() => step(w));
  backend.runWebGPUProgram = original;
  const programs = [...byProgram].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`);
  console.log(JSON.stringify({ workload: kind, dispatches: counted.dispatches, kernels: counted.kernels, programs }));
  w.dispose();
}
