// The MLP's activation on the webgpu backend: one dispatch forward, one backward.
//
// On tf ops ReLU is relu forward and step·dy backward (3 dispatches); GELU's tanh form (Hendrycks & Gimpel 2016, as
// GPT-2) is pow, mul, add, mul, tanh, add, mul, mul forward and about twice that backward. Here each is one
// elementwise WGSL program each way, through tf.customGrad. GELU: y = x/2·(1 + tanh u), u = √(2/π)(x + 0.044715x³),
// dy/dx = (1 + tanh u)/2 + x/2·(1 − tanh²u)·√(2/π)(1 + 3·0.044715x²).
import { tf, type Tensor } from '../tf';
import { runProgram } from './webgpu_program';

export type Activation = 'relu' | 'gelu';

// tanh of |u| ≥ 15 is ±1 in f32; the clamp keeps a tanh written with exponentials away from inf/inf.
const GELU_T = `
  let x = X[index];
  let t = tanh(clamp(0.7978845608028654 * (x + 0.044715 * x * x * x), -15.0, 15.0));`;

const FORWARD: Record<Activation, string> = {
  relu: 'result[index] = max(X[index], 0.0);',
  gelu: `${GELU_T}
    result[index] = (x * 0.5) * (t + 1.0);`,
};

const BACKWARD: Record<Activation, string> = {
  relu: 'result[index] = select(0.0, Dy[index], X[index] > 0.0);',
  gelu: `${GELU_T}
    let du = 0.7978845608028654 * (1.0 + 3.0 * 0.044715 * x * x);
    result[index] = Dy[index] * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du);`,
};

/** act(x), elementwise, fused on webgpu (float32). */
export function fusedActivation(act: Activation, x: Tensor): Tensor {
  const f = tf.customGrad((xx, save) => {
    (save as (ts: Tensor[]) => void)([xx as Tensor]);
    const spec = { outputShape: x.shape, threads: x.size };
    return {
      value: runProgram({ ...spec, key: `act_${act}`, inputs: ['X'], body: FORWARD[act] }, [xx as Tensor]),
      gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) =>
        runProgram({ ...spec, key: `act_${act}_grad`, inputs: ['X', 'Dy'], body: BACKWARD[act] }, [saved[0], dy as Tensor]),
    };
  });
  return f(x) as Tensor;
}
