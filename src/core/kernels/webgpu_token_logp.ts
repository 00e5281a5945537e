// log softmax(logits)[target] per position (the causal-LM cross-entropy's terms) on the webgpu backend: one dispatch
// forward, one backward.
//
// Written on tf ops it is max, sub, exp, sum, log, sub (gpt.ts's logSoftmax), then oneHot, cast, mul and sum to pick
// the target, and the tape's backward of each. Here one WGSL program takes a row of logits (a thread per row): its
// max m, s = Σ exp(x − m), and (x[t] − m) − log s; tf.customGrad's backward is another, dx_j = dy·(1[j = t] − e^(x_j−m)/s).
// The targets come in through the closure, not as an input: they are integers and have no gradient.
import { tf, type Tensor } from '../tf';
import { runProgram } from './webgpu_program';

/** For row `row` of Logits [R, V]: V, the row's offset `base`, its max `mx` and `s` = Σ exp(x − mx). */
const rowSoftmax = (row: string) => `
  let V = uniforms.logitsShape.y;
  let base = ${row} * V;
  var mx = Logits[base];
  for (var j = 1; j < V; j++) { mx = max(mx, Logits[base + j]); }
  var s = 0.0;
  for (var j = 0; j < V; j++) { s += exp(Logits[base + j] - mx); }`;
/** The row's target token `t`. */
const target = (row: string) => `
  let t = Targets[${row}];`;
/** Both, for the thread's own row (a thread per row). */
const ROW_SOFTMAX = rowSoftmax('index');
const TARGET = target('index');

/** logits [R, V] float32, targets [R] int32 → log softmax(logits)[r, targets[r]]: [R]. */
function pickedLogSoftmax2d(logits: Tensor, targets: Tensor): Tensor {
  const [R, V] = logits.shape;
  const f = tf.customGrad((x, save) => {
    // targets too: the caller may have made them inside the differentiated function (webgpu_embedding.ts's note)
    (save as (ts: Tensor[]) => void)([x as Tensor, targets]);
    return {
      value: runProgram(
        {
          key: 'token_logp',
          inputs: ['Logits', 'Targets'],
          outputShape: [R],
          threads: R,
          body: `${ROW_SOFTMAX}${TARGET}
            result[index] = (Logits[base + t] - mx) - log(s);`,
        },
        [x as Tensor, targets],
      ),
      gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) =>
        runProgram(
          {
            key: 'token_logp_grad',
            inputs: ['Logits', 'Targets', 'Dy'],
            outputShape: [R, V],
            threads: R,
            body: `${ROW_SOFTMAX}${TARGET}
              for (var j = 0; j < V; j++) {
                result[base + j] = Dy[index] * (select(0.0, 1.0, j == t) - exp(Logits[base + j] - mx) / s);
              }`,
          },
          [saved[0], saved[1], dy as Tensor],
        ),
    };
  });
  return f(logits) as Tensor;
}

/** log π(targets | ·) from logits [..., V] and int32 targets [...]: [...]; fused on webgpu. */
export function fusedTokenLogp(logits: Tensor, targets: Tensor): Tensor {
  return tf.tidy(() => {
    const V = logits.shape[logits.rank - 1];
    const flat = pickedLogSoftmax2d(tf.reshape(logits, [-1, V]), tf.reshape(targets, [-1]));
    return tf.reshape(flat, targets.shape);
  });
}

/**
 * Entropy −Σ_j p_j log p_j of softmax(logits) per row of logits [..., V]: [...]; fused on webgpu, one dispatch each
 * way. With lp_j = log p_j: dH/dx_k = −p_k (lp_k + H).
 */
export function fusedEntropy(logits: Tensor): Tensor {
  return tf.tidy(() => {
    const V = logits.shape[logits.rank - 1] as number;
    const x2 = tf.reshape(logits, [-1, V]);
    const R = x2.shape[0] as number;
    const f = tf.customGrad((x, save) => {
      (save as (ts: Tensor[]) => void)([x as Tensor]);
      // H of the row, as gpt.ts's tokenStats sums it: −Σ exp(lp)·lp.
      const ENTROPY = `${ROW_SOFTMAX}
        let lse = log(s);
        var H = 0.0;
        for (var j = 0; j < V; j++) { let lp = (Logits[base + j] - mx) - lse; H -= exp(lp) * lp; }`;
      return {
        value: runProgram({ key: 'entropy', inputs: ['Logits'], outputShape: [R], threads: R, body: `${ENTROPY}
          result[index] = H;` }, [x as Tensor]),
        gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) =>
          runProgram(
            {
              key: 'entropy_grad',
              inputs: ['Logits', 'Dy'],
              outputShape: [R, V],
              threads: R,
              body: `${ENTROPY}
                for (var j = 0; j < V; j++) {
                  let lp = (Logits[base + j] - mx) - lse;
                  result[base + j] = Dy[index] * (-exp(lp) * (lp + H));
                }`,
            },
            [saved[0], dy as Tensor],
          ),
      };
    });
    return tf.reshape(f(x2) as Tensor, logits.shape.slice(0, -1));
  });
}

/**
 * Σ_t mask[r, t]·log softmax(logits[r, t])[targets[r, t]] per sequence r: a sequence's log-probability (DPO's, summed
 * over its completion's tokens), [R], from logits [R, N, V], int32 targets [R, N] and an optional float mask [R, N];
 * fused on webgpu. One dispatch forward (a thread per sequence, walking its positions), one backward (a thread per
 * position: dx_j = dy_r·mask·(1[j = t] − p_j)), where token log-probabilities and a masked sum take four and more.
 * The targets and mask are saved for the backward (webgpu_embedding.ts's note).
 */
export function fusedSequenceLogp(logits: Tensor, targets: Tensor, mask?: Tensor): Tensor {
  return tf.tidy(() => {
    const [R, N, V] = logits.shape as [number, number, number];
    const x2 = tf.reshape(logits, [R * N, V]);
    const t1 = tf.reshape(targets, [R * N]);
    const extra = mask ? [t1, tf.reshape(mask, [R * N])] : [t1];
    const names = mask ? ['Logits', 'Targets', 'Mask'] : ['Logits', 'Targets'];
    const weight = (row: string) => (mask ? `Mask[${row}]` : '1.0');
    const ints = { n: N };
    const f = tf.customGrad((x, save) => {
      (save as (ts: Tensor[]) => void)([x as Tensor, ...extra]);
      return {
        value: runProgram(
          {
            key: `seq_logp${mask ? '_masked' : ''}`,
            inputs: names,
            outputShape: [R],
            threads: R,
            ints,
            body: `
              var total = 0.0;
              for (var k = 0; k < uniforms.n; k++) {
                let row = index * uniforms.n + k;
                ${rowSoftmax('row')}${target('row')}
                total += ${weight('row')} * ((Logits[base + t] - mx) - log(s));
              }
              result[index] = total;`,
          },
          [x as Tensor, ...extra],
        ),
        gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) =>
          runProgram(
            {
              key: `seq_logp_grad${mask ? '_masked' : ''}`,
              inputs: [...names, 'Dy'],
              outputShape: [R * N, V],
              threads: R * N,
              ints,
              body: `${ROW_SOFTMAX}${TARGET}
                let g = Dy[index / uniforms.n] * ${weight('index')};
                for (var j = 0; j < V; j++) {
                  result[base + j] = g * (select(0.0, 1.0, j == t) - exp(Logits[base + j] - mx) / s);
                }`,
            },
            [...saved, dy as Tensor],
          ),
      };
    });
    return f(x2) as Tensor;
  });
}
