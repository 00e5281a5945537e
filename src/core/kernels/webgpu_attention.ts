// Causal multi-head self-attention (Vaswani et al. 2017) on the webgpu backend: one dispatch forward, two backward.
//
// gpt.ts writes it as split, three head transposes, QKᵀ, scale, mask, softmax, AV and a merging transpose; with the
// tape's backward, about 25 dispatches per block. Here it runs from the fused projection qkv [B·N, 3d] (row b·N + i;
// q, k, v side by side, head h in columns h·dh … (h+1)·dh of each) straight to the merged heads y [B·N, d]:
// forward, a thread per (b, h, i) takes its row of scores s_ij = q_i·k_j/√dh for j ≤ i, their softmax P and
// y_i = Σ_j P_ij v_j. Backward (tf.customGrad), with D_i = dy_i·y_i (= Σ_j P_ij dP_ij, dP_ij = dy_i·v_j):
// first each row's max, Σ exp and D_i, then a thread per (b, h, row, q|k|v) for
// dq_i = Σ_j P_ij (dP_ij − D_i) k_j/√dh, dk_j = Σ_i P_ij (dP_ij − D_i) q_i/√dh, dv_j = Σ_i P_ij dy_i.
import { tf, type Tensor } from '../tf';
import { runProgram } from './webgpu_program';

/** WGSL: row number `r` → (b, h, i), and where q_i of head h starts in QKV [B·N, 3d] (k and v: + d, + 2d). */
const rowOf = (r: string) => `
  let N = uniforms.n;
  let H = uniforms.heads;
  let d = uniforms.d;
  let i = ${r} % N;
  let h = (${r} / N) % H;
  let b = ${r} / (N * H);
  let stride = 3 * d;
  let qi = (b * N + i) * stride + h * DH;`;
const ROW = rowOf('index');

/** WGSL: s = q_row·k_j/√dh, for a query starting at `q` and key row j (of the same b and h). */
const SCORE = `
  fn score(q : i32, k : i32) -> f32 {
    var s = 0.0;
    for (var c = 0; c < DH; c++) { s += QKV[q + c] * QKV[k + c]; }
    return s * uniforms.scale;
  }`;

function header(dh: number): string {
  return `const DH = ${dh};`;
}

export interface Shape {
  B: number;
  N: number;
  H: number;
  d: number;
}

function forward(qkv: Tensor, s: Shape): Tensor {
  const dh = s.d / s.H;
  return runProgram(
    {
      key: `attn_fwd_${dh}`,
      inputs: ['QKV'],
      outputShape: [s.B * s.N, s.d],
      threads: s.B * s.H * s.N,
      ints: { n: s.N, heads: s.H, d: s.d },
      uniforms: { scale: 1 / Math.sqrt(dh) },
      helpers: `${header(dh)}${SCORE}`,
      body: `${ROW}
        var mx = -3.4e38;
        for (var j = 0; j <= i; j++) { mx = max(mx, score(qi, (b * N + j) * stride + d + h * DH)); }
        var sum = 0.0;
        var acc : array<f32, DH>;
        for (var c = 0; c < DH; c++) { acc[c] = 0.0; }
        for (var j = 0; j <= i; j++) {
          let row = (b * N + j) * stride + h * DH;
          let e = exp(score(qi, row + d) - mx);
          sum += e;
          for (var c = 0; c < DH; c++) { acc[c] += e * QKV[row + 2 * d + c]; }
        }
        let out = (b * N + i) * d + h * DH;
        for (var c = 0; c < DH; c++) { result[out + c] = acc[c] / sum; }`,
    },
    [qkv],
  );
}

function backward(dy: Tensor, qkv: Tensor, y: Tensor, s: Shape): Tensor {
  const dh = s.d / s.H;
  const common = {
    ints: { n: s.N, heads: s.H, d: s.d, rows: s.B * s.H * s.N },
    uniforms: { scale: 1 / Math.sqrt(dh) },
    helpers: `${header(dh)}${SCORE}`,
  };
  // [B·H·N, 3]: each query row's max score, Σ exp(score − max) and D_i = dy_i·y_i.
  const stats = runProgram(
    {
      key: `attn_stats_${dh}`,
      inputs: ['QKV', 'Dy', 'Y'],
      outputShape: [s.B * s.H * s.N, 3],
      threads: s.B * s.H * s.N,
      ...common,
      body: `${ROW}
        var mx = -3.4e38;
        for (var j = 0; j <= i; j++) { mx = max(mx, score(qi, (b * N + j) * stride + d + h * DH)); }
        var sum = 0.0;
        for (var j = 0; j <= i; j++) { sum += exp(score(qi, (b * N + j) * stride + d + h * DH) - mx); }
        let o = (b * N + i) * d + h * DH;
        var D = 0.0;
        for (var c = 0; c < DH; c++) { D += Dy[o + c] * Y[o + c]; }
        result[3 * index] = mx;
        result[3 * index + 1] = sum;
        result[3 * index + 2] = D;`,
    },
    [qkv, dy, y],
  );
  // A thread per (part, b, h, row): part 0 writes dq of query row i, 1 dk and 2 dv of key row i.
  const dqkv = runProgram(
    {
      key: `attn_bwd_${dh}`,
      inputs: ['QKV', 'Dy', 'Stats'],
      outputShape: [s.B * s.N, 3 * s.d],
      threads: 3 * s.B * s.H * s.N,
      ...common,
      body: `
        let part = index / uniforms.rows;
        let r = index % uniforms.rows;${rowOf('r')}
        var acc : array<f32, DH>;
        for (var c = 0; c < DH; c++) { acc[c] = 0.0; }
        // P_qk and dS = P (dP − D) for query row q, key row k (q ≥ k) of this b and h.
        if (part == 0) {
          let st = (b * H + h) * N + i;
          for (var j = 0; j <= i; j++) {
            let kr = (b * N + j) * stride + h * DH;
            let p = exp(score(qi, kr + d) - Stats[3 * st]) / Stats[3 * st + 1];
            var dp = 0.0;
            for (var c = 0; c < DH; c++) { dp += Dy[(b * N + i) * d + h * DH + c] * QKV[kr + 2 * d + c]; }
            let ds = p * (dp - Stats[3 * st + 2]) * uniforms.scale;
            for (var c = 0; c < DH; c++) { acc[c] += ds * QKV[kr + d + c]; }
          }
        } else {
          let kr = (b * N + i) * stride + h * DH;
          for (var q = i; q < N; q++) {
            let st = (b * H + h) * N + q;
            let qr = (b * N + q) * stride + h * DH;
            let p = exp(score(qr, kr + d) - Stats[3 * st]) / Stats[3 * st + 1];
            let dyq = (b * N + q) * d + h * DH;
            if (part == 1) {
              var dp = 0.0;
              for (var c = 0; c < DH; c++) { dp += Dy[dyq + c] * QKV[kr + 2 * d + c]; }
              let ds = p * (dp - Stats[3 * st + 2]) * uniforms.scale;
              for (var c = 0; c < DH; c++) { acc[c] += ds * QKV[qr + c]; }
            } else {
              for (var c = 0; c < DH; c++) { acc[c] += p * Dy[dyq + c]; }
            }
          }
        }
        let out = (b * N + i) * stride + part * d + h * DH;
        for (var c = 0; c < DH; c++) { result[out + c] = acc[c]; }`,
    },
    [qkv, dy, stats],
  );
  stats.dispose();
  return dqkv;
}

/** Causal self-attention of qkv [B·N, 3d] (H heads) to the merged heads [B·N, d], fused on webgpu. */
export function fusedCausalAttention(qkv: Tensor, shape: Shape): Tensor {
  const f = tf.customGrad((x, save) => {
    const y = forward(x as Tensor, shape);
    (save as (ts: Tensor[]) => void)([x as Tensor, y]);
    return { value: y, gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => backward(dy as Tensor, saved[0], saved[1], shape) };
  });
  return f(qkv) as Tensor;
}
