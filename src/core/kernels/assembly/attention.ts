// Causal multi-head self-attention (Vaswani et al. 2017) with WebAssembly SIMD, in tfjs-wasm's own heap
// (AssemblyScript; wasm_attention.ts runs it).
//
// From the fused projection qkv [B·N, 3d] (row b·N + i; q, k, v side by side, head h in columns h·dh … (h+1)·dh − 1 of
// each, dh = d/H, a multiple of 4) straight to the merged heads out [B·N, d], with no split, transpose or mask.
// For each row b and head h:
//   forward:  s_ij = scale·q_i·k_j (j ≤ i), P_i = softmax(s_i) (max subtracted), out_i = Σ_j P_ij v_j;
//             P is written to probs [B, H, N, N] (zeros above the diagonal) for the backward.
//   backward: dP_ij = dout_i·v_j, D_i = Σ_j P_ij dP_ij, dS_ij = P_ij (dP_ij − D_i) (into the scratch ds [N, N]), then
//             dq_i = scale Σ_j dS_ij k_j, dk_j = scale Σ_i dS_ij q_i, dv_j = Σ_i P_ij dout_i, into dqkv [B·N, 3d].
// Two shapes of loop do all of it: dots (a query against 4 keys at a time, f32x4 over dh) and weighted sums of rows
// (16 columns at a time in four f32x4 registers). Sums in f32. exp is our own (vecmath.ts's expf): the standard library's
// reads a table, which would give the module a data section.

import { madd } from './simd';
import { at, expf, expf4 } from './vecmath';

/** The sum of each of 4 vectors' lanes: [Σa, Σb, Σc, Σd]. */
@inline function hsum4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = f32x4.add(v128.shuffle<f32>(a, b, 0, 4, 1, 5), v128.shuffle<f32>(a, b, 2, 6, 3, 7)); // a0+a2 b0+b2 a1+a3 b1+b3
  const cd = f32x4.add(v128.shuffle<f32>(c, d, 0, 4, 1, 5), v128.shuffle<f32>(c, d, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(ab, cd, 0, 1, 4, 5), v128.shuffle<f32>(ab, cd, 2, 3, 6, 7));
}

/** out[j] = scale·x·y_j for j < count, y_j at y + j·ys floats; x and each y_j dh floats (a multiple of 4). */
function dots(out: usize, x: usize, y: usize, ys: i32, count: i32, dh: i32, scale: f32): void {
  const step = <usize>ys << 2;
  const count4 = count & ~3;
  let yj = y;
  for (let j = 0; j < count4; j += 4) {
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    for (let c = 0; c < dh; c += 4) {
      const xc = v128.load(at(x, c));
      const yc = at(yj, c);
      a0 = madd(xc, v128.load(yc), a0);
      a1 = madd(xc, v128.load(yc + step), a1);
      a2 = madd(xc, v128.load(yc + 2 * step), a2);
      a3 = madd(xc, v128.load(yc + 3 * step), a3);
    }
    v128.store(at(out, j), f32x4.mul(hsum4(a0, a1, a2, a3), f32x4.splat(scale)));
    yj += 4 * step;
  }
  for (let j = count4; j < count; j++) {
    let a = f32x4.splat(0);
    for (let c = 0; c < dh; c += 4) a = madd(v128.load(at(x, c)), v128.load(at(yj, c)), a);
    store<f32>(at(out, j), scale * (f32x4.extract_lane(a, 0) + f32x4.extract_lane(a, 1) + f32x4.extract_lane(a, 2) + f32x4.extract_lane(a, 3)));
    yj += step;
  }
}

/** out[c] = scale·Σ_t w[t·ws]·x_t[c] for t < count, c < dh, x_t at x + t·xs floats: 16 columns at a time in registers. */
function weighted(out: usize, w: usize, ws: i32, x: usize, xs: i32, count: i32, dh: i32, scale: f32): void {
  const wstep = <usize>ws << 2;
  const xstep = <usize>xs << 2;
  let c = 0;
  for (; c + 16 <= dh; c += 16) {
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    let wt = w;
    let xt = at(x, c);
    for (let t = 0; t < count; t++) {
      const s = f32x4.splat(load<f32>(wt));
      a0 = madd(s, v128.load(xt), a0);
      a1 = madd(s, v128.load(xt, 16), a1);
      a2 = madd(s, v128.load(xt, 32), a2);
      a3 = madd(s, v128.load(xt, 48), a3);
      wt += wstep;
      xt += xstep;
    }
    const sc = f32x4.splat(scale);
    const o = at(out, c);
    v128.store(o, f32x4.mul(a0, sc));
    v128.store(o, f32x4.mul(a1, sc), 16);
    v128.store(o, f32x4.mul(a2, sc), 32);
    v128.store(o, f32x4.mul(a3, sc), 48);
  }
  for (; c < dh; c += 4) {
    let a = f32x4.splat(0);
    let wt = w;
    let xt = at(x, c);
    for (let t = 0; t < count; t++) {
      a = madd(v128.load32_splat(wt), v128.load(xt), a);
      wt += wstep;
      xt += xstep;
    }
    v128.store(at(out, c), f32x4.mul(a, f32x4.splat(scale)));
  }
}

/** P_i = softmax of the scores s_0 … s_n−1 in row (n = i + 1), in place; zeros from n to N. */
function softmaxRow(row: usize, n: i32, N: i32): void {
  const n4 = n & ~3;
  let mx4 = f32x4.splat(-Infinity);
  for (let j = 0; j < n4; j += 4) mx4 = f32x4.max(mx4, v128.load(at(row, j)));
  let mx = max(max(f32x4.extract_lane(mx4, 0), f32x4.extract_lane(mx4, 1)), max(f32x4.extract_lane(mx4, 2), f32x4.extract_lane(mx4, 3)));
  for (let j = n4; j < n; j++) mx = max(mx, load<f32>(at(row, j)));
  let sum4 = f32x4.splat(0);
  for (let j = 0; j < n4; j += 4) {
    const e = expf4(f32x4.sub(v128.load(at(row, j)), f32x4.splat(mx)));
    v128.store(at(row, j), e);
    sum4 = f32x4.add(sum4, e);
  }
  let sum = f32x4.extract_lane(sum4, 0) + f32x4.extract_lane(sum4, 1) + f32x4.extract_lane(sum4, 2) + f32x4.extract_lane(sum4, 3);
  for (let j = n4; j < n; j++) {
    const e = expf(load<f32>(at(row, j)) - mx);
    store<f32>(at(row, j), e);
    sum += e;
  }
  const inv = f32x4.splat(sum);
  for (let j = 0; j < n4; j += 4) v128.store(at(row, j), f32x4.div(v128.load(at(row, j)), inv));
  for (let j = n4; j < n; j++) store<f32>(at(row, j), load<f32>(at(row, j)) / sum);
  memory.fill(at(row, n), 0, <usize>(N - n) << 2);
}

export function attention_forward(qkv: usize, out: usize, probs: usize, B: i32, N: i32, H: i32, d: i32): void {
  const dh = d / H;
  const stride = 3 * d;
  const scale: f32 = 1 / Mathf.sqrt(<f32>dh);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const q = at(qkv, b * N * stride + h * dh); // q_0 of this row and head; k_0 at + d, v_0 at + 2d
      for (let i = 0; i < N; i++) {
        const row = at(probs, ((b * H + h) * N + i) * N);
        dots(row, at(q, i * stride), at(q, d), stride, i + 1, dh, scale); // s_ij
        softmaxRow(row, i + 1, N); // P_ij
        weighted(at(out, (b * N + i) * d + h * dh), row, 1, at(q, 2 * d), stride, i + 1, dh, 1); // out_i = Σ_j P_ij v_j
      }
    }
  }
}

export function attention_backward(dout: usize, qkv: usize, probs: usize, dqkv: usize, ds: usize, B: i32, N: i32, H: i32, d: i32): void {
  const dh = d / H;
  const stride = 3 * d;
  const scale: f32 = 1 / Mathf.sqrt(<f32>dh);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const q = at(qkv, b * N * stride + h * dh); // q_0; k_0 at + d, v_0 at + 2d
      const dq = at(dqkv, b * N * stride + h * dh); // dq_0; dk_0 at + d, dv_0 at + 2d
      const dy = at(dout, b * N * d + h * dh); // dout_0
      const P = at(probs, (b * H + h) * N * N);
      // dS_ij = P_ij (dP_ij − D_i), dP_ij = dout_i·v_j, D_i = Σ_j P_ij dP_ij
      for (let i = 0; i < N; i++) {
        const dsi = at(ds, i * N);
        const pi = at(P, i * N);
        dots(dsi, at(dy, i * d), at(q, 2 * d), stride, i + 1, dh, 1);
        let D: f32 = 0;
        for (let j = 0; j <= i; j++) D += load<f32>(at(pi, j)) * load<f32>(at(dsi, j));
        for (let j = 0; j <= i; j++) store<f32>(at(dsi, j), load<f32>(at(pi, j)) * (load<f32>(at(dsi, j)) - D));
      }
      for (let i = 0; i < N; i++) {
        // dq_i = scale Σ_{j≤i} dS_ij k_j (row i of dS)
        weighted(at(dq, i * stride), at(ds, i * N), 1, at(q, d), stride, i + 1, dh, scale);
        // dk_i = scale Σ_{t≥i} dS_ti q_t, dv_i = Σ_{t≥i} P_ti dout_t (column i of dS and of P, from its diagonal)
        weighted(at(dq, i * stride + d), at(ds, i * N + i), N, at(q, i * stride), stride, N - i, dh, scale);
        weighted(at(dq, i * stride + 2 * d), at(P, i * N + i), N, at(dy, i * d), d, N - i, dh, 1);
      }
    }
  }
}

/**
 * Parts t of n of attention_forward and attention_backward, for the lab's kernel threads (wasm_threads.ts): whole
 * rows b of the batch each, so that every element is computed as one thread computes it. The backward's scratch `ds`
 * holds n of dS [N, N], one per part.
 */
export function attention_forward_part(t: i32, n: i32, qkv: usize, out: usize, probs: usize, B: i32, N: i32, H: i32, d: i32): void {
  const b0 = B * t / n;
  const b1 = B * (t + 1) / n;
  if (b1 <= b0) return;
  const rows = <usize>b0 * <usize>N;
  attention_forward(qkv + (rows * <usize>(3 * d) << 2), out + (rows * <usize>d << 2), probs + (<usize>b0 * <usize>H * <usize>N * <usize>N << 2), b1 - b0, N, H, d);
}

export function attention_backward_part(t: i32, n: i32, dout: usize, qkv: usize, probs: usize, dqkv: usize, ds: usize, B: i32, N: i32, H: i32, d: i32): void {
  const b0 = B * t / n;
  const b1 = B * (t + 1) / n;
  if (b1 <= b0) return;
  const rows = <usize>b0 * <usize>N;
  const wide = rows * <usize>(3 * d) << 2;
  attention_backward(dout + (rows * <usize>d << 2), qkv + wide, probs + (<usize>b0 * <usize>H * <usize>N * <usize>N << 2), dqkv + wide, ds + (<usize>t * <usize>N * <usize>N << 2), b1 - b0, N, H, d);
}
