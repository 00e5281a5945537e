// The wasm heap one training step of a bench workload needs, fused kernels on and off, at smaller batches B (the
// peak grows linearly in B: extrapolate to the bench's own, which may not fit in tfjs-wasm's 4 GB heap). Not a test.
//   npx tsx scripts/wasm_peak.ts [gpt-small:rm] [8 16 ...]
import '@tensorflow/tfjs-backend-wasm';
import { tf } from '../src/core/tf';
import { installKernels, useKernels } from '../src/core/kernels';
import { buildWorkload, BENCH_MODELS, parseWorkload } from '../src/core/bench/workloads';

const name = process.argv[2] ?? 'gpt-small:rm';
const batches = process.argv.slice(3).map(Number);
const { model } = parseWorkload(name);
await tf.setBackend('wasm');
await tf.ready();
installKernels();
const MiB = 2 ** 20;
for (const B of batches.length ? batches : [8, 16]) {
  const models = { ...BENCH_MODELS, [model]: { ...BENCH_MODELS[model], B } };
  for (const fused of [true, false]) {
    useKernels({ fused });
    const w = buildWorkload(name, 0, models);
    const profile = await tf.profile(async () => {
      const loss = await w.step();
      await loss.data();
      loss.dispose();
    });
    const per = profile.peakBytes / B;
    console.log(`${name} B=${B} fused ${fused ? 'on' : 'off'}: peak ${(profile.peakBytes / MiB).toFixed(0)} MiB, ${(per / MiB).toFixed(1)} MiB per row of B → ${((per * BENCH_MODELS[model].B) / MiB).toFixed(0)} MiB at the bench's B=${BENCH_MODELS[model].B}`);
    w.dispose();
  }
}
