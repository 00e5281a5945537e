// Token plus position embeddings in tfjs-wasm's heap: row r = b·N + n of the output is wte[ids[r]] + wpe[offset + n],
// four columns at a time. Backward, the gradients scatter back: dwte[v] = Σ of dy's rows whose token is v, and
// dwpe[offset + n] = Σ_b dy[b·N + n] (the other rows of dwpe zero). An id outside [0, V) adds no token row and
// takes no gradient, as the one-hot it replaces does.
import { at } from './vecmath';

/** dst[0 … d) = a[0 … d) + b[0 … d) (b may be 0: dst = a). */
@inline function addRow(dst: usize, a: usize, b: usize, d: i32): void {
  const d4 = d & ~3;
  for (let j = 0; j < d4; j += 4) v128.store(at(dst, j), f32x4.add(v128.load(at(a, j)), v128.load(at(b, j))));
  for (let j = d4; j < d; j++) store<f32>(at(dst, j), load<f32>(at(a, j)) + load<f32>(at(b, j)));
}

/** out [B·N, d] of ids int32 [B, N], wte [V, d], wpe [T, d]. */
export function embedding_forward(ids: usize, wte: usize, wpe: usize, out: usize, B: i32, N: i32, V: i32, d: i32, offset: i32): void {
  for (let r = 0; r < B * N; r++) {
    const id = load<i32>(at(ids, r));
    const pos = at(wpe, (offset + r % N) * d);
    const o = at(out, r * d);
    if (<u32>id < <u32>V) addRow(o, at(wte, id * d), pos, d);
    else memory.copy(o, pos, <usize>d << 2);
  }
}

/** dwte [V, d] and dwpe [T, d] of dy [B·N, d]. */
export function embedding_backward(dy: usize, ids: usize, dwte: usize, dwpe: usize, B: i32, N: i32, V: i32, T: i32, d: i32, offset: i32): void {
  memory.fill(dwte, 0, <usize>(V * d) << 2);
  memory.fill(dwpe, 0, <usize>(T * d) << 2);
  for (let r = 0; r < B * N; r++) {
    const id = load<i32>(at(ids, r));
    const g = at(dy, r * d);
    if (<u32>id < <u32>V) addRow(at(dwte, id * d), at(dwte, id * d), g, d);
    const pe = at(dwpe, (offset + r % N) * d);
    addRow(pe, pe, g, d);
  }
}
