// The landscape policy π(x): a mixture of K diagonal Gaussians over the plane.
// Parameters: mixture logits [K], means [K, 2], log standard deviations [K, 2].
import { tf, type Tensor } from '../tf';
import type { Rng } from '../rng';
import type { Params, Weights } from './params';

const LOG_2PI = Math.log(2 * Math.PI);
/** Bounds on log σ: keep the policy from collapsing to a point or spreading over everything. */
export const LOG_STD_MIN = Math.log(0.02);
export const LOG_STD_MAX = Math.log(4);

export interface MixtureSpec {
  components: number;
  init_mean: [number, number];
  init_std: number;
}

export function initMixture(spec: MixtureSpec, rng: Rng): Weights {
  const k = spec.components;
  const means = new Float32Array(k * 2);
  // Components start a little apart (a tenth of a σ) so they can take different ways.
  for (let i = 0; i < k; i++) {
    means[2 * i] = spec.init_mean[0] + (k > 1 ? 0.1 * spec.init_std * rng.normal() : 0);
    means[2 * i + 1] = spec.init_mean[1] + (k > 1 ? 0.1 * spec.init_std * rng.normal() : 0);
  }
  return {
    logits: { shape: [k], data: new Float32Array(k) },
    means: { shape: [k, 2], data: means },
    log_std: { shape: [k, 2], data: new Float32Array(k * 2).fill(Math.log(spec.init_std)) },
  };
}

/** log π(x) for points x [n, 2]: shape [n]. */
export function mixtureLogProb(params: Params, x: Tensor): Tensor {
  return tf.tidy(() => {
    const logStd = tf.clipByValue(params.log_std, LOG_STD_MIN, LOG_STD_MAX); // [K, 2]
    const z = tf.div(tf.sub(tf.expandDims(x, 1), params.means), tf.exp(logStd)); // [n, K, 2]
    const perDim = tf.sub(tf.mul(tf.square(z), -0.5), tf.add(logStd, 0.5 * LOG_2PI)); // [n, K, 2]
    // log softmax written out: tf.logSoftmax leaks a tensor on the wasm backend (tfjs 4.22).
    const logMix = tf.sub(params.logits, tf.logSumExp(params.logits)); // [K]
    return tf.logSumExp(tf.add(tf.sum(perDim, 2), logMix), 1); // [n]
  });
}

/** Draws n points with the run's generator: [x0, y0, x1, y1, ...]. Reads the parameters once. */
export async function sampleMixture(params: Params, n: number, rng: Rng): Promise<Float32Array> {
  const [logits, means, logStd] = await Promise.all([
    params.logits.data(),
    params.means.data(),
    params.log_std.data(),
  ]);
  const k = logits.length;
  const maxLogit = Math.max(...logits);
  const w = Array.from(logits, (l) => Math.exp(l - maxLogit));
  const total = w.reduce((a, b) => a + b, 0);
  const clip = (s: number) => Math.exp(Math.min(LOG_STD_MAX, Math.max(LOG_STD_MIN, s)));
  const out = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    let u = rng.uniform() * total;
    let c = 0;
    while (c < k - 1 && u >= w[c]) u -= w[c++];
    out[2 * i] = means[2 * c] + clip(logStd[2 * c]) * rng.normal();
    out[2 * i + 1] = means[2 * c + 1] + clip(logStd[2 * c + 1]) * rng.normal();
  }
  return out;
}
