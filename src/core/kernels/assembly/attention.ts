// Causal multi-head self-attention (Vaswani et al. 2017) with WebAssembly SIMD, in tfjs-wasm's own heap
// (AssemblyScript; wasm_attention.ts runs it).
//
// From the fused projection qkv [B·N, 3d] (row b·N + i; q, k, v side by side, head h in columns h·dh … (h+1)·dh − 1 of
// each, dh = d/H, a multiple of 4) straight to the merged heads out [B·N, d], with no split, transpose or mask:
//   forward, for each (b, h, i): s_j = scale·q_i·k_j for j ≤ i, P_i = softmax(s) (max subtracted), out_i = Σ_j P_ij v_j;
//   P is written to probs [B, H, N, N] (zeros above the diagonal) for the backward.
//   backward, from probs: dP_ij = dout_i·v_j (a row at a time, in the scratch dp [N]), D_i = Σ_j P_ij dP_ij,
//   dS_ij = P_ij (dP_ij − D_i), dq_i = scale Σ_j dS_ij k_j, dk_j = scale Σ_i dS_ij q_i, dv_j = Σ_i P_ij dout_i,
//   into dqkv [B·N, 3d] (zeroed first).
// Each dot product and row update runs 4 columns at a time (f32x4); sums in f32. exp is our own (expf below): the
// standard library's reads a table, which would give the module a data section.

@inline function at(base: usize, index: i32): usize {
  return base + (<usize>index << 2);
}

/**
 * e^x in f32 for the softmax's x = s − max ≤ 0, within 2 ulp: x = k·ln 2 + r (ln 2 in two parts, so r is exact to
 * f32), |r| ≤ ln 2 / 2, e^r by its Taylor series to r⁷ (the next term is < 5e-9 of it), times 2^k built in the exponent
 * bits. Below −87.3 (e^x under the smallest normal float, nothing beside a row's largest term, 1) it is 0; NaN stays NaN.
 */
@inline function expf(x: f32): f32 {
  if (!(x >= -87.3)) return x != x ? x : 0;
  if (x > 88.7) return Infinity;
  const k = nearest<f32>(x * 1.4426950408889634);
  const r = x - k * 0.693145751953125 - k * 1.4286068202862268e-6;
  const p: f32 = 1 + r * (1 + r * (0.5 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120 + r * (1.0 / 720 + r * (1.0 / 5040)))))));
  return p * reinterpret<f32>((<i32>k + 127) << 23);
}

/** x·y over dh floats (dh a multiple of 4). */
@inline function dot(x: usize, y: usize, dh: i32): f32 {
  let acc = f32x4.splat(0);
  for (let c = 0; c < dh; c += 4) acc = f32x4.add(acc, f32x4.mul(v128.load(at(x, c)), v128.load(at(y, c))));
  return f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
}

/** y += a·x over dh floats. */
@inline function axpy(y: usize, a: f32, x: usize, dh: i32): void {
  const s = f32x4.splat(a);
  for (let c = 0; c < dh; c += 4) v128.store(at(y, c), f32x4.add(v128.load(at(y, c)), f32x4.mul(s, v128.load(at(x, c)))));
}

export function attention_forward(qkv: usize, out: usize, probs: usize, B: i32, N: i32, H: i32, d: i32): void {
  const dh = d / H;
  const stride = 3 * d;
  const scale: f32 = 1 / Mathf.sqrt(<f32>dh);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < N; i++) {
        const q = at(qkv, (b * N + i) * stride + h * dh);
        const row = at(probs, ((b * H + h) * N + i) * N);
        // the scores of keys j ≤ i, and their max
        let mx: f32 = -Infinity;
        for (let j = 0; j <= i; j++) {
          const s = scale * dot(q, at(qkv, (b * N + j) * stride + d + h * dh), dh);
          store<f32>(at(row, j), s);
          mx = max(mx, s);
        }
        // softmax: exp(s − max) / Σ
        let sum: f32 = 0;
        for (let j = 0; j <= i; j++) {
          const e = expf(load<f32>(at(row, j)) - mx);
          store<f32>(at(row, j), e);
          sum += e;
        }
        for (let j = 0; j <= i; j++) store<f32>(at(row, j), load<f32>(at(row, j)) / sum);
        for (let j = i + 1; j < N; j++) store<f32>(at(row, j), 0);
        // out_i = Σ_j P_ij v_j, four columns at a time in a register
        const o = at(out, (b * N + i) * d + h * dh);
        for (let c = 0; c < dh; c += 4) {
          let acc = f32x4.splat(0);
          let v = at(qkv, 2 * d + h * dh + c + b * N * stride);
          for (let j = 0; j <= i; j++) {
            acc = f32x4.add(acc, f32x4.mul(f32x4.splat(load<f32>(at(row, j))), v128.load(v)));
            v += <usize>stride << 2;
          }
          v128.store(at(o, c), acc);
        }
      }
    }
  }
}

export function attention_backward(dout: usize, qkv: usize, probs: usize, dqkv: usize, dp: usize, B: i32, N: i32, H: i32, d: i32): void {
  const dh = d / H;
  const stride = 3 * d;
  const scale: f32 = 1 / Mathf.sqrt(<f32>dh);
  memory.fill(dqkv, 0, <usize>(B * N * stride) << 2);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < N; i++) {
        const dyi = at(dout, (b * N + i) * d + h * dh);
        const qi = at(qkv, (b * N + i) * stride + h * dh);
        const dqi = at(dqkv, (b * N + i) * stride + h * dh);
        const row = at(probs, ((b * H + h) * N + i) * N);
        // dP_ij = dout_i·v_j (into the scratch row dp) and D_i = Σ_j P_ij dP_ij
        let D: f32 = 0;
        for (let j = 0; j <= i; j++) {
          const x = dot(dyi, at(qkv, (b * N + j) * stride + 2 * d + h * dh), dh);
          store<f32>(at(dp, j), x);
          D += load<f32>(at(row, j)) * x;
        }
        // dS_ij = P_ij (dP_ij − D_i); dq_i += scale·dS_ij k_j, dk_j += scale·dS_ij q_i, dv_j += P_ij dout_i
        for (let j = 0; j <= i; j++) {
          const kj = (b * N + j) * stride + d + h * dh; // k_j's index; v_j's at + d
          const p = load<f32>(at(row, j));
          const ds = scale * p * (load<f32>(at(dp, j)) - D);
          axpy(dqi, ds, at(qkv, kj), dh);
          axpy(at(dqkv, kj), ds, qi, dh);
          axpy(at(dqkv, kj + d), p, dyi, dh);
        }
      }
    }
  }
}
