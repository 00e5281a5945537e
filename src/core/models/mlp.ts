// A multilayer perceptron: the reward model r_θ(x) of the landscape task (a scalar output), and the control task's
// reward model over (observation, action), policy and value function.
import { tf, type Tensor } from '../tf';
import type { Rng } from '../rng';
import type { Weights, Params } from './params';

export interface MlpSpec {
  inputs: number;
  hidden: number[];
  activation: 'relu' | 'tanh';
  /** Inputs are divided by this before the first layer (the landscape's extent), so weights stay O(1). */
  input_scale: number;
  /** Width of the output layer (1 when absent: a scalar). */
  outputs?: number;
}

/** Glorot-uniform weights and zero biases, drawn from the run's generator so a seed fixes them. */
export function initMlp(spec: MlpSpec, rng: Rng): Weights {
  const sizes = [spec.inputs, ...spec.hidden, spec.outputs ?? 1];
  const w: Weights = {};
  for (let l = 0; l < sizes.length - 1; l++) {
    const [fanIn, fanOut] = [sizes[l], sizes[l + 1]];
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    const data = new Float32Array(fanIn * fanOut);
    for (let i = 0; i < data.length; i++) data[i] = (2 * rng.uniform() - 1) * limit;
    w[`w${l}`] = { shape: [fanIn, fanOut], data };
    w[`b${l}`] = { shape: [fanOut], data: new Float32Array(fanOut) };
  }
  return w;
}

/** The outputs for a batch x of shape [n, inputs]: shape [n, outputs]. */
export function mlpForward(spec: MlpSpec, params: Params, x: Tensor): Tensor {
  return tf.tidy(() => {
    const layers = spec.hidden.length + 1;
    let h = tf.div(x, spec.input_scale);
    for (let l = 0; l < layers; l++) {
      h = tf.add(tf.matMul(h, params[`w${l}`]), params[`b${l}`]);
      if (l < layers - 1) h = spec.activation === 'relu' ? tf.relu(h) : tf.tanh(h);
    }
    return h;
  });
}

/** r(x) for a batch x of shape [n, inputs]: shape [n] (the first output). */
export function mlpApply(spec: MlpSpec, params: Params, x: Tensor): Tensor {
  return tf.tidy(() => tf.reshape(mlpForward(spec, params, x), [-1]));
}
