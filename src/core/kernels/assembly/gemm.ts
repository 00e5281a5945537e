// Matrix products with WebAssembly SIMD, in tfjs-wasm's own heap (AssemblyScript; wasm_gemm.ts runs them).
//
// C[p, i, j] = Σ_k A[p, i, k] · B[p, k, j] over a batch p. B and C are row-major ([K, N] and [M, N] per batch entry);
// A is read through strides, so a transposed A costs nothing: element (i, k) of batch p sits at
// a + 4·(p·sab + i·ars + k·acs). A batch stride of 0 broadcasts.
//
// The product is blocked as a BLAS's is: k in slices of KC, so that a panel of B (KC rows by 8 columns, 8 KB) stays in
// the first-level cache while every row of A passes over it; each panel is multiplied 4 rows by 8 columns at a time,
// the 4×8 tile of C held in eight f32x4 accumulators (per k: a splatting load of each of 4 A elements, two loads of
// B, eight multiply-adds, fused where the module has relaxed SIMD: simd.ts). A slice after the first adds to the C it
// finds. Rows left over (M mod 4) go one at a time, columns left over (N mod 8) four and then one at a time. Each
// k-sum runs in order, in f32 (with fused multiply-adds, one rounding per step). On one core of the lab's 2-core
// machine, gpt-tiny's products run at ~41 GFLOP/s with relaxed SIMD, ~29 without: near what 128-bit SIMD can do.

import { madd } from './simd';

const KC: i32 = 256;

@inline function at(base: usize, index: i32): usize {
  return base + (<usize>index << 2);
}

/** The 4×8 tile of C at rows i…i+3, columns j…j+7, over k in [k0, k1). */
@inline function tile4x8(a: usize, b: usize, c: usize, i: i32, j: i32, k0: i32, k1: i32, N: i32, ars: i32, acs: i32): void {
  const c0 = at(c, i * N + j);
  const c1 = c0 + (<usize>N << 2);
  const c2 = c1 + (<usize>N << 2);
  const c3 = c2 + (<usize>N << 2);
  let x00 = f32x4.splat(0), x01 = f32x4.splat(0), x10 = f32x4.splat(0), x11 = f32x4.splat(0);
  let x20 = f32x4.splat(0), x21 = f32x4.splat(0), x30 = f32x4.splat(0), x31 = f32x4.splat(0);
  if (k0 > 0) {
    x00 = v128.load(c0); x01 = v128.load(c0, 16);
    x10 = v128.load(c1); x11 = v128.load(c1, 16);
    x20 = v128.load(c2); x21 = v128.load(c2, 16);
    x30 = v128.load(c3); x31 = v128.load(c3, 16);
  }
  const rs = <usize>ars << 2;
  const cs = <usize>acs << 2;
  const ns = <usize>N << 2;
  let ap = at(a, i * ars + k0 * acs);
  let bp = at(b, k0 * N + j);
  for (let k = k0; k < k1; k++) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    let s = v128.load32_splat(ap);
    x00 = madd(s, b0, x00);
    x01 = madd(s, b1, x01);
    s = v128.load32_splat(ap + rs);
    x10 = madd(s, b0, x10);
    x11 = madd(s, b1, x11);
    s = v128.load32_splat(ap + 2 * rs);
    x20 = madd(s, b0, x20);
    x21 = madd(s, b1, x21);
    s = v128.load32_splat(ap + 3 * rs);
    x30 = madd(s, b0, x30);
    x31 = madd(s, b1, x31);
    ap += cs;
    bp += ns;
  }
  v128.store(c0, x00); v128.store(c0, x01, 16);
  v128.store(c1, x10); v128.store(c1, x11, 16);
  v128.store(c2, x20); v128.store(c2, x21, 16);
  v128.store(c3, x30); v128.store(c3, x31, 16);
}

/** Row i of C, columns j…j+w−1 (w = 8 or 4), over k in [k0, k1). */
@inline function row8(a: usize, b: usize, c: usize, i: i32, j: i32, k0: i32, k1: i32, N: i32, ars: i32, acs: i32): void {
  const cp = at(c, i * N + j);
  let x0 = f32x4.splat(0), x1 = f32x4.splat(0);
  if (k0 > 0) { x0 = v128.load(cp); x1 = v128.load(cp, 16); }
  const cs = <usize>acs << 2;
  const ns = <usize>N << 2;
  let ap = at(a, i * ars + k0 * acs);
  let bp = at(b, k0 * N + j);
  for (let k = k0; k < k1; k++) {
    const s = v128.load32_splat(ap);
    x0 = madd(s, v128.load(bp), x0);
    x1 = madd(s, v128.load(bp, 16), x1);
    ap += cs;
    bp += ns;
  }
  v128.store(cp, x0); v128.store(cp, x1, 16);
}

@inline function row4(a: usize, b: usize, c: usize, i: i32, j: i32, k0: i32, k1: i32, N: i32, ars: i32, acs: i32): void {
  const cp = at(c, i * N + j);
  let x0 = f32x4.splat(0);
  if (k0 > 0) x0 = v128.load(cp);
  const cs = <usize>acs << 2;
  const ns = <usize>N << 2;
  let ap = at(a, i * ars + k0 * acs);
  let bp = at(b, k0 * N + j);
  for (let k = k0; k < k1; k++) {
    x0 = madd(v128.load32_splat(ap), v128.load(bp), x0);
    ap += cs;
    bp += ns;
  }
  v128.store(cp, x0);
}

@inline function row1(a: usize, b: usize, c: usize, i: i32, j: i32, k0: i32, k1: i32, N: i32, ars: i32, acs: i32): void {
  const cp = at(c, i * N + j);
  let x: f32 = k0 > 0 ? load<f32>(cp) : 0;
  for (let k = k0; k < k1; k++) x += load<f32>(at(a, i * ars + k * acs)) * load<f32>(at(b, k * N + j));
  store<f32>(cp, x);
}

export function gemm(a: usize, b: usize, c: usize, batch: i32, M: i32, K: i32, N: i32, sab: i32, sbb: i32, ars: i32, acs: i32): void {
  const M4 = M & ~3;
  const N8 = N & ~7;
  const N4 = N & ~3;
  for (let p = 0; p < batch; p++) {
    const ap = at(a, p * sab);
    const bp = at(b, p * sbb);
    const cp = at(c, p * M * N);
    if (K == 0) {
      memory.fill(cp, 0, <usize>(M * N) << 2);
      continue;
    }
    for (let k0 = 0; k0 < K; k0 += KC) {
      const k1 = min(k0 + KC, K);
      for (let j = 0; j < N8; j += 8) {
        for (let i = 0; i < M4; i += 4) tile4x8(ap, bp, cp, i, j, k0, k1, N, ars, acs);
        for (let i = M4; i < M; i++) row8(ap, bp, cp, i, j, k0, k1, N, ars, acs);
      }
      if (N4 > N8) for (let i = 0; i < M; i++) row4(ap, bp, cp, i, N8, k0, k1, N, ars, acs);
      for (let j = N4; j < N; j++) for (let i = 0; i < M; i++) row1(ap, bp, cp, i, j, k0, k1, N, ars, acs);
    }
  }
}

/**
 * Part t of n of gemm's product, for the lab's kernel threads (wasm_threads.ts): whole batch entries when there are
 * at least n of them, else rows of C in multiples of 4 (each part a run of whole tiles). Every element of C is computed
 * by one part exactly as gemm computes it, so n parts give gemm's numbers to the bit.
 */
export function gemm_part(t: i32, n: i32, a: usize, b: usize, c: usize, batch: i32, M: i32, K: i32, N: i32, sab: i32, sbb: i32, ars: i32, acs: i32): void {
  if (batch >= n) {
    const p0 = <i32>(<i64>batch * t / n);
    const p1 = <i32>(<i64>batch * (t + 1) / n);
    if (p1 > p0) {
      gemm(a + (<usize>p0 * <usize>sab << 2), b + (<usize>p0 * <usize>sbb << 2), c + (<usize>p0 * <usize>M * <usize>N << 2), p1 - p0, M, K, N, sab, sbb, ars, acs);
    }
    return;
  }
  const tiles = (M + 3) >> 2;
  const r0 = min(M, <i32>(<i64>tiles * t / n) << 2);
  const r1 = min(M, <i32>(<i64>tiles * (t + 1) / n) << 2);
  if (r1 <= r0) return;
  for (let p = 0; p < batch; p++) {
    const ap = a + ((<usize>p * <usize>sab + <usize>r0 * <usize>ars) << 2);
    const cp = c + ((<usize>p * <usize>M + <usize>r0) * <usize>N << 2);
    gemm(ap, b + (<usize>p * <usize>sbb << 2), cp, 1, r1 - r0, K, N, 0, 0, ars, acs);
  }
}
