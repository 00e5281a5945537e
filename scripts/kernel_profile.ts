// Where a wasm training step's time goes: one bench workload's step under tf.profile, its kernels' times summed by
// kernel and by kernel and input shapes, then the step's unprofiled time. Not a test: times depend on the machine.
//   npx tsx scripts/kernel_profile.ts [gpt-tiny:lm]
import { tf } from '../src/core/tf';
import '@tensorflow/tfjs-backend-wasm';
import { installKernels } from '../src/core/kernels';
import { buildWorkload } from '../src/core/bench/workloads';
const name = process.argv[2] ?? 'gpt-tiny:lm';
await tf.setBackend('wasm'); await tf.ready();
installKernels();
const w = buildWorkload(name);
for (let i = 0; i < 3; i++) { const t = await w.step(); await t.data(); t.dispose(); }
const agg = new Map<string, { n: number; ms: number }>();
let total = 0;
const t0 = performance.now();
const prof = await tf.profile(async () => { const t = await w.step(); await t.data(); t.dispose(); });
const wall = performance.now() - t0;
for (const k of prof.kernels) {
  const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
  const key = k.name + ' ' + JSON.stringify(k.inputShapes).slice(0, 60);
  const a = agg.get(key) ?? { n: 0, ms: 0 }; a.n++; a.ms += ms; agg.set(key, a); total += ms;
}
const byName = new Map<string, { n: number; ms: number }>();
for (const k of prof.kernels) { const a = byName.get(k.name) ?? { n: 0, ms: 0 }; a.n++; a.ms += (k.kernelTimeMs as number) || 0; byName.set(k.name, a); }
console.log(`wall ${wall.toFixed(0)} ms (profiled), kernels ${prof.kernels.length}, kernel ms ${total.toFixed(0)}`);
for (const [k, v] of [...byName].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25)) console.log(v.ms.toFixed(1).padStart(8), String(v.n).padStart(4), k);
console.log('--- by shape');
for (const [k, v] of [...agg].sort((a, b) => b[1].ms - a[1].ms).slice(0, 30)) console.log(v.ms.toFixed(1).padStart(8), String(v.n).padStart(4), k);
const t1 = performance.now(); for (let i = 0; i < 5; i++) { const t = await w.step(); await t.data(); t.dispose(); } console.log('unprofiled ms/step', ((performance.now() - t1) / 5).toFixed(0));
