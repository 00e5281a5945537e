// Layer norm (Ba et al. 2016) over the last axis on the webgpu backend: one dispatch forward, four backward.
//
// gpt.ts writes it as mean, sub, square, mean, add, rsqrt, mul, mul, add; with the gradient tape's backward of
// each, one layer norm was tens of dispatches per step and a GPT has 2L + 1 of them. Here the forward is one WGSL
// program (a thread per row: mean, variance, then the row), and tf.customGrad gives it a backward of four: the
// rows' mean and 1/σ, then dx (a thread per row), dγ and dβ (a thread per column, summing over rows).
// y = γ·x̂ + β with x̂ = (x − μ)/√(σ² + 1e-5); with u = γ·dy, dx = (u − mean(u) − x̂·mean(u·x̂)) / √(σ² + 1e-5);
// dγ = Σ_rows dy·x̂, dβ = Σ_rows dy.
import { tf, type Tensor } from '../tf';
import { runProgram } from './webgpu_program';

const EPS = '1e-5';

/** Per row of X [R, d] (one thread): `mean` and `rstd` = 1/√(var + eps), as gpt.ts's layerNorm computes them. */
const ROW_STATS = `
  let d = uniforms.xShape.y;
  let base = index * d;
  var s = 0.0;
  for (var j = 0; j < d; j++) { s += X[base + j]; }
  let mean = s / f32(d);
  var q = 0.0;
  for (var j = 0; j < d; j++) { let c = X[base + j] - mean; q += c * c; }
  let rstd = 1.0 / sqrt(q / f32(d) + ${EPS});`;

function forward(x: Tensor, g: Tensor, b: Tensor): Tensor {
  const [R, d] = x.shape;
  return runProgram(
    {
      key: 'ln_fwd',
      inputs: ['X', 'Gamma', 'Beta'],
      outputShape: [R, d],
      threads: R,
      body: `${ROW_STATS}
        for (var j = 0; j < d; j++) { result[base + j] = ((X[base + j] - mean) * rstd) * Gamma[j] + Beta[j]; }`,
    },
    [x, g, b],
  );
}

function backward(dy: Tensor, x: Tensor, g: Tensor): Tensor[] {
  const [R, d] = x.shape;
  // [R, 2]: each row's mean and 1/σ, read by the column sums below instead of recomputing a row per element.
  const stats = runProgram(
    {
      key: 'ln_stats',
      inputs: ['X'],
      outputShape: [R, 2],
      threads: R,
      body: `${ROW_STATS}
        result[2 * index] = mean;
        result[2 * index + 1] = rstd;`,
    },
    [x],
  );
  const dx = runProgram(
    {
      key: 'ln_dx',
      inputs: ['X', 'Gamma', 'Dy', 'Stats'],
      outputShape: [R, d],
      threads: R,
      body: `
        let d = uniforms.xShape.y;
        let base = index * d;
        let mean = Stats[2 * index];
        let rstd = Stats[2 * index + 1];
        var su = 0.0;
        var sux = 0.0;
        for (var j = 0; j < d; j++) {
          let u = Gamma[j] * Dy[base + j];
          su += u;
          sux += u * ((X[base + j] - mean) * rstd);
        }
        let mu = su / f32(d);
        let mux = sux / f32(d);
        for (var j = 0; j < d; j++) {
          let xhat = (X[base + j] - mean) * rstd;
          result[base + j] = (Gamma[j] * Dy[base + j] - mu - xhat * mux) * rstd;
        }`,
    },
    [x, g, dy, stats],
  );
  // A thread per column; a program must read every input it binds (the pipeline's layout drops unused ones).
  const columnSum = (key: string, inputs: Tensor[], names: string[], term: string) =>
    runProgram(
      {
        key,
        inputs: names,
        outputShape: [d],
        threads: d,
        body: `
          let rows = uniforms.dyShape.x;
          let d = uniforms.dyShape.y;
          var s = 0.0;
          for (var r = 0; r < rows; r++) {
            let i = r * d + index;
            s += ${term};
          }
          result[index] = s;`,
      },
      inputs,
    );
  const dg = columnSum('ln_dgamma', [dy, x, stats], ['Dy', 'X', 'Stats'], 'Dy[i] * ((X[i] - Stats[2 * r]) * Stats[2 * r + 1])');
  const db = columnSum('ln_dbeta', [dy], ['Dy'], 'Dy[i]');
  stats.dispose();
  return [dx, dg, db];
}

const fusedLayerNorm2d = tf.customGrad((x, g, b, save) => {
  const [x2, g1, b1] = [x, g, b] as Tensor[];
  (save as (ts: Tensor[]) => void)([x2, g1]);
  return {
    value: forward(x2, g1, b1),
    gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => backward(dy as Tensor, saved[0], saved[1]),
  };
});

/** Layer norm of x [..., d] with gain g [d] and bias b [d], fused on webgpu; float32 in, float32 out. */
export function fusedLayerNorm(x: Tensor, g: Tensor, b: Tensor): Tensor {
  return tf.tidy(() => {
    const d = x.shape[x.rank - 1];
    return tf.reshape(fusedLayerNorm2d(tf.reshape(x, [-1, d]), g, b) as Tensor, x.shape);
  });
}
