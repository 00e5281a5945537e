// Per row of logits (a position's scores over V tokens), in tfjs-wasm's heap, four tokens at a time: the
// log-probability of the row's target token, log softmax(x)[t] = (x_t − m) − log Σ_j e^(x_j − m) with m the row's
// max, and the entropy H = −Σ_j p_j log p_j of softmax(x); and their gradients,
// d log p_t / dx_j = 1[j = t] − p_j and dH/dx_j = −p_j (log p_j + H), each times the row's dy.
// A target outside [0, V) picks nothing (log-probability 0, gradient 0), as the one-hot it replaces does.
import { at, expf, expf4, hmax, hsum, logf } from './vecmath';

@inline function rowMax(x: usize, V: i32): f32 {
  const V4 = V & ~3;
  let m: f32 = load<f32>(x);
  if (V4 > 0) {
    let acc = v128.load(x);
    for (let j = 4; j < V4; j += 4) acc = f32x4.max(acc, v128.load(at(x, j)));
    m = hmax(acc);
  }
  for (let j = V4; j < V; j++) m = max(m, load<f32>(at(x, j)));
  return m;
}

/** Σ_j e^(x_j − m) of the row; with `keep`, each e^(x_j − m) written to e's row too. */
@inline function rowSumExp(x: usize, V: i32, m: f32, e: usize, keep: bool): f32 {
  const V4 = V & ~3;
  const mv = f32x4.splat(m);
  let acc = f32x4.splat(0);
  for (let j = 0; j < V4; j += 4) {
    const ej = expf4(f32x4.sub(v128.load(at(x, j)), mv));
    if (keep) v128.store(at(e, j), ej);
    acc = f32x4.add(acc, ej);
  }
  let s = hsum(acc);
  for (let j = V4; j < V; j++) {
    const ej = expf(load<f32>(at(x, j)) - m);
    if (keep) store<f32>(at(e, j), ej);
    s += ej;
  }
  return s;
}

/** The row's target, or −1 where it is outside [0, V). */
@inline function targetOf(targets: usize, r: i32, V: i32): i32 {
  const t = load<i32>(at(targets, r));
  return <u32>t < <u32>V ? t : -1;
}

/** out [rows] = log softmax(logits [rows, V])[r, targets[r]], targets int32 [rows]. */
export function token_logp_forward(logits: usize, targets: usize, out: usize, rows: i32, V: i32): void {
  for (let r = 0; r < rows; r++) {
    const x = at(logits, r * V);
    const t = targetOf(targets, r, V);
    if (t < 0) {
      store<f32>(at(out, r), 0);
      continue;
    }
    const m = rowMax(x, V);
    const s = rowSumExp(x, V, m, 0, false);
    store<f32>(at(out, r), (load<f32>(at(x, t)) - m) - logf(s));
  }
}

/** dlogits [rows, V] = dy[r]·(1[j = t] − p_j) of dy [rows]. */
export function token_logp_backward(dy: usize, logits: usize, targets: usize, dlogits: usize, rows: i32, V: i32): void {
  const V4 = V & ~3;
  for (let r = 0; r < rows; r++) {
    const x = at(logits, r * V);
    const dx = at(dlogits, r * V);
    const t = targetOf(targets, r, V);
    if (t < 0) {
      memory.fill(dx, 0, <usize>V << 2);
      continue;
    }
    const g = load<f32>(at(dy, r));
    const m = rowMax(x, V);
    const s = rowSumExp(x, V, m, dx, true); // dx holds e^(x − m) for now
    const k = -g / s;
    const kv = f32x4.splat(k);
    for (let j = 0; j < V4; j += 4) v128.store(at(dx, j), f32x4.mul(v128.load(at(dx, j)), kv));
    for (let j = V4; j < V; j++) store<f32>(at(dx, j), load<f32>(at(dx, j)) * k);
    store<f32>(at(dx, t), load<f32>(at(dx, t)) + g);
  }
}

/** H = −Σ_j p_j log p_j of the row, log p_j = x_j − m − lse; with `keep`, p_j written to e's row. */
@inline function rowEntropy(x: usize, V: i32, m: f32, lse: f32, e: usize, keep: bool): f32 {
  const V4 = V & ~3;
  const shift = f32x4.splat(m + lse);
  let acc = f32x4.splat(0);
  for (let j = 0; j < V4; j += 4) {
    const lp = f32x4.sub(v128.load(at(x, j)), shift);
    const p = expf4(lp);
    if (keep) v128.store(at(e, j), p);
    acc = f32x4.sub(acc, f32x4.mul(p, lp));
  }
  let H = hsum(acc);
  for (let j = V4; j < V; j++) {
    const lp = load<f32>(at(x, j)) - (m + lse);
    const p = expf(lp);
    if (keep) store<f32>(at(e, j), p);
    H -= p * lp;
  }
  return H;
}

/** out [rows] = the entropy of softmax(logits [rows, V]) per row. */
export function entropy_forward(logits: usize, out: usize, rows: i32, V: i32): void {
  for (let r = 0; r < rows; r++) {
    const x = at(logits, r * V);
    const m = rowMax(x, V);
    const lse = logf(rowSumExp(x, V, m, 0, false));
    store<f32>(at(out, r), rowEntropy(x, V, m, lse, 0, false));
  }
}

/** dlogits [rows, V] = −dy[r]·p_j (log p_j + H) of dy [rows]. */
export function entropy_backward(dy: usize, logits: usize, dlogits: usize, rows: i32, V: i32): void {
  const V4 = V & ~3;
  for (let r = 0; r < rows; r++) {
    const x = at(logits, r * V);
    const dx = at(dlogits, r * V);
    const g = load<f32>(at(dy, r));
    const m = rowMax(x, V);
    const lse = logf(rowSumExp(x, V, m, 0, false));
    const H = rowEntropy(x, V, m, lse, dx, true); // dx holds p for now
    const shift = f32x4.splat(m + lse - H); // log p_j + H = x_j − (m + lse − H)
    const gv = f32x4.splat(-g);
    for (let j = 0; j < V4; j += 4) {
      const lpH = f32x4.sub(v128.load(at(x, j)), shift);
      v128.store(at(dx, j), f32x4.mul(f32x4.mul(gv, v128.load(at(dx, j))), lpH));
    }
    for (let j = V4; j < V; j++) {
      store<f32>(at(dx, j), -g * load<f32>(at(dx, j)) * (load<f32>(at(x, j)) - (m + lse - H)));
    }
  }
}
