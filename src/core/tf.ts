// The one place the core gets TensorFlow.js from, so every host (worker, CLI, tests) shares one engine.
import * as tf from '@tensorflow/tfjs';

// The cpu backend greets Node users with a long banner on first use; the lab reports its backend itself.
tf.env().set('IS_TEST', true);

export { tf };
export type Tensor = import('@tensorflow/tfjs').Tensor;
export type Variable = import('@tensorflow/tfjs').Variable;
