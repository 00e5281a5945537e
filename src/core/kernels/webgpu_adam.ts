// Adam's update on the webgpu backend in three dispatches per parameter tensor instead of ~13.
//
// Written on tf ops (optim.ts), one Adam step is mul, mul, add, square, mul, mul, add, div, div, sqrt, add, mul, sub
// per tensor, each its own dispatch: on gpt-tiny, 21 tensors and 231 of a step's 583 dispatches. Here each of the
// new m, the new v and the new θ is one elementwise WGSL program (webgpu_program.ts), with β, 1 − β, the bias
// corrections and lr as uniforms (no scalar tensors to upload). A tfjs program has exactly one output, hence three:
// writing m, v and θ from one dispatch would need a flat buffer that the model's variables cannot be views into.
// The arithmetic is optim.ts's, in the same order and with the same f32 constants (1 − 0.999 taken in f32 would be
// off by 1.3e-5 relative), so the two paths agree to the bit on SwiftShader (tests/webgpu/adam_fused.test.ts).
import { tf, type Tensor, type Variable } from '../tf';
import { runProgram } from './webgpu_program';

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
  const elementwise = (key: string, inputs: string[], uniforms: Record<string, number>, expr: string) => ({
    key,
    inputs,
    outputShape: p.shape,
    threads: p.size,
    uniforms,
    body: `result[index] = ${expr};`,
  });
  // m ← β1·m + (1 − β1)·g
  const m1 = runProgram(
    elementwise('adam_m', ['M', 'G'], { beta: h.beta1, rest: 1 - h.beta1 }, 'M[index] * uniforms.beta + G[index] * uniforms.rest'),
    [m, g],
  );
  // v ← β2·v + (1 − β2)·g²
  const v1 = runProgram(
    elementwise('adam_v', ['V', 'G'], { beta: h.beta2, rest: 1 - h.beta2 }, 'V[index] * uniforms.beta + (G[index] * G[index]) * uniforms.rest'),
    [v, g],
  );
  // θ ← θ − lr·(m / c1) / (√(v / c2) + eps), with the new m and v
  const p1 = runProgram(
    elementwise(
      'adam_p',
      ['P', 'M', 'V'],
      { c1: h.c1, c2: h.c2, eps: h.eps, lr: h.lr },
      'P[index] - ((M[index] / uniforms.c1) / (sqrt(V[index] / uniforms.c2) + uniforms.eps)) * uniforms.lr',
    ),
    [p, m1, v1],
  );
  m.assign(m1);
  v.assign(v1);
  p.assign(p1);
  tf.dispose([m1, v1, p1]); // the variables hold their own reference
}
