// Layer norm (Ba et al. 2016) over rows of d, in tfjs-wasm's heap, four columns at a time (a scalar tail where d is
// not a multiple of 4).
//
// Forward, per row: μ = mean(x), 1/σ = 1/√(mean((x − μ)²) + 1e-5), x̂ = (x − μ)/σ, y = γ·x̂ + β.
// Backward, per row (μ and 1/σ recomputed): u = γ·dy, dx = (u − mean(u) − x̂·mean(u·x̂))/σ; and over all rows
// dγ = Σ dy·x̂, dβ = Σ dy (zeroed first, then added to row by row).
import { at, hsum } from './vecmath';

const EPS: f32 = 1e-5;

@inline function rowMean(x: usize, d: i32): f32 {
  const d4 = d & ~3;
  let acc = f32x4.splat(0);
  for (let j = 0; j < d4; j += 4) acc = f32x4.add(acc, v128.load(at(x, j)));
  let s = hsum(acc);
  for (let j = d4; j < d; j++) s += load<f32>(at(x, j));
  return s / <f32>d;
}

/** 1/√(var + eps) of the row, its mean given. */
@inline function rowRstd(x: usize, d: i32, mean: f32): f32 {
  const d4 = d & ~3;
  const mv = f32x4.splat(mean);
  let acc = f32x4.splat(0);
  for (let j = 0; j < d4; j += 4) {
    const c = f32x4.sub(v128.load(at(x, j)), mv);
    acc = f32x4.add(acc, f32x4.mul(c, c));
  }
  let q = hsum(acc);
  for (let j = d4; j < d; j++) {
    const c = load<f32>(at(x, j)) - mean;
    q += c * c;
  }
  return <f32>1 / Mathf.sqrt(q / <f32>d + EPS);
}

/** y [R, d] = γ·x̂ + β of x [R, d], γ and β [d]. */
export function layer_norm_forward(x: usize, g: usize, b: usize, y: usize, R: i32, d: i32): void {
  const d4 = d & ~3;
  for (let r = 0; r < R; r++) {
    const xr = at(x, r * d);
    const yr = at(y, r * d);
    const mean = rowMean(xr, d);
    const rstd = rowRstd(xr, d, mean);
    const mv = f32x4.splat(mean);
    const sv = f32x4.splat(rstd);
    for (let j = 0; j < d4; j += 4) {
      const xhat = f32x4.mul(f32x4.sub(v128.load(at(xr, j)), mv), sv);
      v128.store(at(yr, j), f32x4.add(f32x4.mul(xhat, v128.load(at(g, j))), v128.load(at(b, j))));
    }
    for (let j = d4; j < d; j++) {
      store<f32>(at(yr, j), (load<f32>(at(xr, j)) - mean) * rstd * load<f32>(at(g, j)) + load<f32>(at(b, j)));
    }
  }
}

/** dx [R, d], dγ and dβ [d] of dy [R, d], given x [R, d] and γ [d]. */
export function layer_norm_backward(dy: usize, x: usize, g: usize, dx: usize, dg: usize, db: usize, R: i32, d: i32): void {
  const d4 = d & ~3;
  memory.fill(dg, 0, <usize>d << 2);
  memory.fill(db, 0, <usize>d << 2);
  for (let r = 0; r < R; r++) {
    const xr = at(x, r * d);
    const dyr = at(dy, r * d);
    const dxr = at(dx, r * d);
    const mean = rowMean(xr, d);
    const rstd = rowRstd(xr, d, mean);
    const mv = f32x4.splat(mean);
    const sv = f32x4.splat(rstd);
    // Σ u and Σ u·x̂ over the row; dγ and dβ take the row's dy·x̂ and dy
    let su4 = f32x4.splat(0);
    let sux4 = f32x4.splat(0);
    for (let j = 0; j < d4; j += 4) {
      const dyv = v128.load(at(dyr, j));
      const xhat = f32x4.mul(f32x4.sub(v128.load(at(xr, j)), mv), sv);
      const u = f32x4.mul(v128.load(at(g, j)), dyv);
      su4 = f32x4.add(su4, u);
      sux4 = f32x4.add(sux4, f32x4.mul(u, xhat));
      v128.store(at(dg, j), f32x4.add(v128.load(at(dg, j)), f32x4.mul(dyv, xhat)));
      v128.store(at(db, j), f32x4.add(v128.load(at(db, j)), dyv));
    }
    let su = hsum(su4);
    let sux = hsum(sux4);
    for (let j = d4; j < d; j++) {
      const dyj = load<f32>(at(dyr, j));
      const xhat = (load<f32>(at(xr, j)) - mean) * rstd;
      const u = load<f32>(at(g, j)) * dyj;
      su += u;
      sux += u * xhat;
      store<f32>(at(dg, j), load<f32>(at(dg, j)) + dyj * xhat);
      store<f32>(at(db, j), load<f32>(at(db, j)) + dyj);
    }
    const mu = su / <f32>d;
    const mux = sux / <f32>d;
    const muv = f32x4.splat(mu);
    const muxv = f32x4.splat(mux);
    for (let j = 0; j < d4; j += 4) {
      const xhat = f32x4.mul(f32x4.sub(v128.load(at(xr, j)), mv), sv);
      const u = f32x4.mul(v128.load(at(g, j)), v128.load(at(dyr, j)));
      v128.store(at(dxr, j), f32x4.mul(f32x4.sub(f32x4.sub(u, muv), f32x4.mul(xhat, muxv)), sv));
    }
    for (let j = d4; j < d; j++) {
      const xhat = (load<f32>(at(xr, j)) - mean) * rstd;
      const u = load<f32>(at(g, j)) * load<f32>(at(dyr, j));
      store<f32>(at(dxr, j), (u - mu - xhat * mux) * rstd);
    }
  }
}
