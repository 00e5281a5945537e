// The logistic preference loss over pairs on the webgpu backend: one dispatch forward, one backward.
//
// Bradley-Terry's reward-model loss, DPO's and cDPO's are one function of a margin per pair (RLHF.md):
//   loss = mean_i −[t_i·log σ(β·z_i) + (1 − t_i)·log σ(−β·z_i)],  z_i = (s_i − o_i) − (s_{n+i} − o_{n+i}),
// with the scores s stacked [chosen or A of each pair, then rejected or B] as the lab scores a batch, optional
// offsets o (DPO's reference log-probabilities; none for Bradley-Terry), targets t (the labels, or 1 − ε for cDPO,
// 1 for DPO). On tf ops that is two slices, the margin, two softplus chains, the mix and the mean, and a backward of
// each (~40 dispatches); here one thread sums the n pairs (n is a batch of pairs: tens) and the backward is a thread
// per score: ds_i = ±dy·β·(σ(β·z_i) − t_i)/n, + for the first half. The backward reads saved copies of the scores,
// offsets and targets (offsets and targets come in without a gradient): the lab makes them all inside the function
// it differentiates, and tf.grads disposes those when the forward pass ends (webgpu_embedding.ts's note).
import { tf, type Tensor } from '../tf';
import { runProgram } from './webgpu_program';

export interface PairLossInputs {
  /** [2n]: the first n are the pairs' chosen (A) scores, the last n their rejected (B) scores. */
  scores: Tensor;
  /** [2n], subtracted from the scores without a gradient (DPO's reference log-probabilities). */
  offsets?: Tensor;
  /** [n] targets in [0, 1], or one number for every pair. */
  targets: Tensor | number;
  beta: number;
}

// log σ(x) = min(x, 0) − log(1 + e^−|x|), without overflow; σ likewise from e^−|x|.
const HELPERS = `
  fn pair_log_sigmoid(x : f32) -> f32 { return min(x, 0.0) - log(1.0 + exp(-abs(x))); }
  fn pair_sigmoid(x : f32) -> f32 { let e = exp(-abs(x)); return select(e / (1.0 + e), 1.0 / (1.0 + e), x >= 0.0); }`;

/** Mean logistic pair loss of `x` (a scalar), fused on webgpu. */
export function fusedPairLoss(x: PairLossInputs): Tensor {
  const n = x.scores.size / 2;
  const { offsets } = x;
  const targets = typeof x.targets === 'number' ? null : x.targets;
  const uniform = typeof x.targets === 'number' ? x.targets : 0;
  // The inputs each variant reads, and the WGSL of pair i's margin and target.
  const names = ['S', ...(offsets ? ['O'] : []), ...(targets ? ['T'] : [])];
  const variant = `${offsets ? 'o' : ''}${targets ? 't' : ''}`;
  const margin = (i: string) =>
    offsets ? `(S[${i}] - O[${i}]) - (S[${i} + uniforms.n] - O[${i} + uniforms.n])` : `S[${i}] - S[${i} + uniforms.n]`;
  const target = (i: string) => (targets ? `T[${i}]` : 'uniforms.t');
  const common = { ints: { n }, uniforms: { beta: x.beta, t: uniform }, helpers: HELPERS };
  const extra = [...(offsets ? [offsets] : []), ...(targets ? [targets] : [])];
  const f = tf.customGrad((s, save) => {
    (save as (ts: Tensor[]) => void)([s as Tensor, ...extra]);
    const value = runProgram(
      {
        ...common,
        key: `pair_loss_${variant}`,
        inputs: names,
        outputShape: [1],
        threads: 1,
        body: `
          var total = 0.0;
          for (var i = 0; i < uniforms.n; i++) {
            let h = uniforms.beta * (${margin('i')});
            let t = ${target('i')};
            total -= t * pair_log_sigmoid(h) + (1.0 - t) * pair_log_sigmoid(-h);
          }
          result[0] = total / f32(uniforms.n);`,
      },
      [s as Tensor, ...extra],
    );
    return {
      value: tf.reshape(value, []),
      gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) =>
        runProgram(
          {
            ...common,
            key: `pair_loss_grad_${variant}`,
            inputs: [...names, 'Dy'],
            outputShape: [2 * n],
            threads: 2 * n,
            body: `
              let i = index % uniforms.n;
              let h = uniforms.beta * (${margin('i')});
              let g = Dy[0] * uniforms.beta * (pair_sigmoid(h) - ${target('i')}) / f32(uniforms.n);
              result[index] = select(-g, g, index < uniforms.n);`,
          },
          [...saved, dy as Tensor],
        ),
    };
  });
  return f(x.scores) as Tensor;
}
