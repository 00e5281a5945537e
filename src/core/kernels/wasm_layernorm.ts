// Layer norm (Ba et al. 2016) over the last axis on the wasm backend: one call into the lab's kernels forward
// (assembly/layernorm.ts, SIMD over d), one backward, where tf ops take mean, sub, square, mean, add, rsqrt, mul,
// mul, add and the tape's backward of each (tens of kernels a layer norm, 2L + 1 of them a GPT).
// y = γ·x̂ + β with x̂ = (x − μ)/√(σ² + 1e-5); with u = γ·dy, dx = (u − mean(u) − x̂·mean(u·x̂)) / √(σ² + 1e-5);
// dγ = Σ_rows dy·x̂, dβ = Σ_rows dy (webgpu_layernorm.ts is the same on webgpu).
import { type Tensor } from '../tf';
import { runWasm } from './wasm_program';
import { wasmOp } from './wasm_op';

/** Rows and width of x [..., d]. */
const rowsOf = (x: Tensor): [number, number] => {
  const d = x.shape[x.rank - 1];
  return [d ? x.size / d : 0, d];
};

const layerNorm = wasmOp({
  name: 'LabLayerNorm',
  forward: ({ x, g, b }) => {
    const [R, d] = rowsOf(x);
    return { reads: [x, g, b], shape: x.shape, call: (k, [xa, ga, ba], ya) => k.layer_norm_forward(xa, ga, ba, ya, R, d) };
  },
  save: ['x', 'g'],
  gradient: (dy, [x, g]) => {
    const [R, d] = rowsOf(x);
    const [dx, dg, db] = runWasm([dy, x, g], [{ shape: x.shape }, { shape: [d] }, { shape: [d] }], (k, [dya, xa, ga], [dxa, dga, dba]) =>
      k.layer_norm_backward(dya, xa, ga, dxa, dga, dba, R, d),
    );
    return { x: () => dx, g: () => dg, b: () => db };
  },
});

/** Layer norm of float32 x [..., d] with gain g [d] and bias b [d] on wasm (wasmFusedKernels() true). */
export function wasmLayerNorm(x: Tensor, g: Tensor, b: Tensor): Tensor {
  return layerNorm({ x, g, b });
}
