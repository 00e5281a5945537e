// Adam's update of one parameter in place (Kingma & Ba 2015), as optim.ts and plain.ts's adamUpdate compute it, in
// the same order and in f32, so the numbers are the same to the bit:
//   m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;  θ ← θ − lr·(m/c1)/(√(v/c2) + eps)
// with c1 = 1 − β1^t and c2 = 1 − β2^t. θ, m and v are rewritten where they lie; g is read. Four lanes at a time.

export function adam_update(p: usize, g: usize, m: usize, v: usize, n: i32,
  lr: f32, beta1: f32, beta2: f32, omb1: f32, omb2: f32, c1: f32, c2: f32, eps: f32): void {
  const vb1 = f32x4.splat(beta1), vb2 = f32x4.splat(beta2), vo1 = f32x4.splat(omb1), vo2 = f32x4.splat(omb2);
  const vc1 = f32x4.splat(c1), vc2 = f32x4.splat(c2), veps = f32x4.splat(eps), vlr = f32x4.splat(lr);
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    const gi = v128.load(g + o);
    const mi = f32x4.add(f32x4.mul(v128.load(m + o), vb1), f32x4.mul(gi, vo1));
    const vi = f32x4.add(f32x4.mul(v128.load(v + o), vb2), f32x4.mul(f32x4.mul(gi, gi), vo2));
    v128.store(m + o, mi);
    v128.store(v + o, vi);
    const update = f32x4.div(f32x4.div(mi, vc1), f32x4.add(f32x4.sqrt(f32x4.div(vi, vc2)), veps));
    v128.store(p + o, f32x4.sub(v128.load(p + o), f32x4.mul(update, vlr)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const gi = load<f32>(g + o);
    const mi = load<f32>(m + o) * beta1 + gi * omb1;
    const vi = load<f32>(v + o) * beta2 + gi * gi * omb2;
    store<f32>(m + o, mi);
    store<f32>(v + o, vi);
    const update = mi / c1 / (Mathf.sqrt(vi / c2) + eps);
    store<f32>(p + o, load<f32>(p + o) - update * lr);
  }
}
