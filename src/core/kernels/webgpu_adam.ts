// Adam's update on the webgpu backend: about one dispatch per parameter tensor instead of ~13.
//
// Written on tf ops (optim.ts), one Adam step is mul, mul, add, square, mul, mul, add, div, div, sqrt, add, mul, sub
// per tensor, each its own dispatch: on gpt-tiny, 21 tensors and 231 of a step's 583 dispatches. Here the updates
// are elementwise WGSL programs (webgpu_program.ts), with β, 1 − β, the bias corrections and lr as uniforms (no
// scalar tensors to upload). A tfjs program has exactly one output, and the model's variables are separate buffers
// that a flat buffer cannot alias, so θ takes one dispatch per tensor; the moments, which Adam owns, live in one
// flat buffer updated in one dispatch (fusedAdamFlat). fusedAdamUpdate, three dispatches per tensor (m, v, θ), serves
// a step with a gradient missing. The arithmetic is optim.ts's, in the same order and with the same f32 constants
// (1 − 0.999 taken in f32 would be off by 1.3e-5 relative), so the paths agree to the bit on SwiftShader
// (tests/webgpu/adam_fused.test.ts).
import { tf, type Tensor, type Variable } from '../tf';
import { runProgram } from './webgpu_program';

// The three updates as WGSL expressions of the old moment (or the new m and v) and the gradient; optim.ts's order.
const newM = (m: string, g: string) => `${m} * uniforms.beta1 + ${g} * uniforms.rest1`;
const newV = (v: string, g: string) => `${v} * uniforms.beta2 + (${g} * ${g}) * uniforms.rest2`;
const newTheta = (m: string, v: string) =>
  `P[index] - ((${m} / uniforms.c1) / (sqrt(${v} / uniforms.c2) + uniforms.eps)) * uniforms.lr`;

function uniformsOf(h: AdamHyper): Record<string, number> {
  return { beta1: h.beta1, rest1: 1 - h.beta1, beta2: h.beta2, rest2: 1 - h.beta2, c1: h.c1, c2: h.c2, eps: h.eps, lr: h.lr };
}

export interface AdamHyper {
  beta1: number;
  beta2: number;
  eps: number;
  lr: number;
  /** Bias corrections 1 − β1^t and 1 − β2^t. */
  c1: number;
  c2: number;
}

/**
 * One Adam step of parameter `p` with gradient `g` and moments `m`, `v` (all float32, one shape), on the webgpu
 * backend: three dispatches, each writing a fresh buffer that the variable then takes over (assign), so no buffer
 * that another tensor shares is ever written in place. Leaves no tensor behind.
 */
export function fusedAdamUpdate(p: Variable, g: Tensor, m: Variable, v: Variable, h: AdamHyper): void {
  const elementwise = (key: string, inputs: string[], expr: string) => ({
    key,
    inputs,
    outputShape: p.shape,
    threads: p.size,
    uniforms: uniformsOf(h),
    body: `result[index] = ${expr};`,
  });
  const m1 = runProgram(elementwise('adam_m', ['M', 'G'], newM('M[index]', 'G[index]')), [m, g]);
  const v1 = runProgram(elementwise('adam_v', ['V', 'G'], newV('V[index]', 'G[index]')), [v, g]);
  const p1 = runProgram(elementwise('adam_p', ['P', 'M', 'V'], newTheta('M[index]', 'V[index]')), [p, m1, v1]);
  m.assign(m1);
  v.assign(v1);
  p.assign(p1);
  tf.dispose([m1, v1, p1]); // the variables hold their own reference
}

/**
 * One Adam step of every parameter at once, with both moments in one flat buffer `mv` = [m of each parameter in
 * order, then v of each] (offsets: where each parameter's part of m starts): the gradients concatenated (one
 * dispatch, or a few past the backend's 7 inputs per program), the new m and v in one dispatch, then one per
 * parameter for θ. On gpt-tiny: 26 dispatches where the per-tensor update takes 63.
 */
export function fusedAdamFlat(ps: Variable[], gs: Tensor[], mv: Variable, offsets: number[], h: AdamHyper): void {
  const half = mv.size / 2;
  const g = tf.tidy(() => tf.concat(gs.map((x) => tf.reshape(x, [-1]))));
  // m ← β1·m + (1 − β1)·g in the first half, v ← β2·v + (1 − β2)·g² in the second.
  const mv1 = runProgram(
    {
      key: 'adam_mv',
      inputs: ['MV', 'G'],
      outputShape: [2 * half],
      threads: 2 * half,
      ints: { half },
      uniforms: uniformsOf(h),
      body: `
        if (index < uniforms.half) {
          result[index] = ${newM('MV[index]', 'G[index]')};
        } else {
          let gi = G[index - uniforms.half];
          result[index] = ${newV('MV[index]', 'gi')};
        }`,
    },
    [mv, g],
  );
  g.dispose();
  ps.forEach((p, i) => {
    // θ ← θ − lr·(m / c1) / (√(v / c2) + eps), reading this parameter's part of the new m and v
    const p1 = runProgram(
      {
        key: 'adam_p_flat',
        inputs: ['P', 'MV'],
        outputShape: p.shape,
        threads: p.size,
        ints: { offset: offsets[i], half },
        uniforms: uniformsOf(h),
        body: `
          let j = uniforms.offset + index;
          result[index] = ${newTheta('MV[j]', 'MV[uniforms.half + j]')};`,
      },
      [p, mv1],
    );
    p.assign(p1);
    p1.dispose();
  });
  mv.assign(mv1);
  mv1.dispose();
}
