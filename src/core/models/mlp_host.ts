// The MLP of mlp.ts evaluated in plain TypeScript (no tfjs), from weights read back once: the control task steps its
// environments one action at a time, where a round trip to the backend per step would cost more than the math, and
// the Reward Report scores the landscape reward model without a backend.
import type { Weights } from './params';

/** The layout an MLP's weights follow (mlp.ts: w0, b0, …, one layer per hidden width plus the output layer). */
export interface MlpShape {
  hidden: number[];
  activation: 'relu' | 'tanh';
  input_scale: number;
}

/** The network's outputs for one input. */
export function mlpHost(spec: MlpShape, weights: Weights, x: ArrayLike<number>): Float64Array {
  const layers = spec.hidden.length + 1;
  let h = Float64Array.from(x, (v) => v / spec.input_scale);
  for (let l = 0; l < layers; l++) {
    const w = weights[`w${l}`];
    const b = weights[`b${l}`].data;
    const [nIn, nOut] = w.shape;
    const out = new Float64Array(nOut);
    for (let j = 0; j < nOut; j++) {
      let s = b[j];
      for (let i = 0; i < nIn; i++) s += h[i] * w.data[i * nOut + j];
      out[j] = l < layers - 1 ? (spec.activation === 'relu' ? Math.max(0, s) : Math.tanh(s)) : s;
    }
    h = out;
  }
  return h;
}
