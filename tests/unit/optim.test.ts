// Adam against hand-computed updates, and a state() → load() round trip that continues exactly.
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, type Tensor } from '../../src/core/tf';
import { Adam } from '../../src/core/optim';
import { disposeParams, makeParams, type Params } from '../../src/core/models/params';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const vec = (xs: number[]) => ({ shape: [xs.length], data: new Float32Array(xs) });

/** Reference Adam in float64 (Kingma & Ba 2015, Algorithm 1). */
function adamReference(p0: number[], grads: number[][], lr: number, b1 = 0.9, b2 = 0.999, eps = 1e-8): number[] {
  const p = [...p0];
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  grads.forEach((g, k) => {
    const t = k + 1;
    for (let i = 0; i < p.length; i++) {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      const mh = m[i] / (1 - b1 ** t);
      const vh = v[i] / (1 - b2 ** t);
      p[i] -= (lr * mh) / (Math.sqrt(vh) + eps);
    }
  });
  return p;
}

async function values(params: Params, name: string): Promise<number[]> {
  return Array.from(await params[name].data());
}

function stepWith(opt: Adam, grads: Record<string, number[]>): void {
  const g: Record<string, Tensor> = {};
  for (const [k, xs] of Object.entries(grads)) g[k] = tf.tensor1d(xs);
  opt.step(g);
  tf.dispose(Object.values(g));
}

describe('Adam', () => {
  it('takes the hand-computed first and second steps', async () => {
    // p = [1, −2], lr = 0.1.
    // Step 1, g = [0.5, −1]: m̂ = g, v̂ = g² → update = g/|g| = [1, −1] (eps 1e-8 is negligible) → p = [0.9, −1.9].
    // Step 2, g = [0.5, 2]:
    //   m = 0.9·[0.05, −0.1] + 0.1·[0.5, 2] = [0.095, 0.11];  m̂ = m/0.19 = [0.5, 0.5789474]
    //   v = 0.999·[0.00025, 0.001] + 0.001·[0.25, 4] = [0.00049975, 0.004999];  v̂ = v/0.001999 = [0.25, 2.5007504]
    //   update = m̂/√v̂ = [1, 0.5789474/1.5813761] = [1, 0.3661014] → p = [0.8, −1.9366101]
    const params = makeParams({ p: vec([1, -2]) });
    const opt = new Adam(params, 0.1);
    stepWith(opt, { p: [0.5, -1] });
    const after1 = await values(params, 'p');
    expect(after1[0]).toBeCloseTo(0.9, 6);
    expect(after1[1]).toBeCloseTo(-1.9, 6);
    stepWith(opt, { p: [0.5, 2] });
    const after2 = await values(params, 'p');
    expect(after2[0]).toBeCloseTo(0.8, 6);
    expect(after2[1]).toBeCloseTo(-1.9366101, 6);
    expect(opt.t).toBe(2);
    opt.dispose();
    disposeParams(params);
  });

  it('matches a float64 reference over many steps with custom betas', async () => {
    const p0 = [0.3, -0.7, 1.5];
    const grads = Array.from({ length: 12 }, (_, k) => [Math.sin(k), 0.1 * k - 0.5, Math.cos(3 * k) * 2]);
    const params = makeParams({ w: vec(p0) });
    const opt = new Adam(params, 0.01, { beta1: 0.8, beta2: 0.99, eps: 1e-6 });
    for (const g of grads) stepWith(opt, { w: g });
    const ref = adamReference(p0, grads, 0.01, 0.8, 0.99, 1e-6);
    const got = await values(params, 'w');
    for (let i = 0; i < 3; i++) expect(got[i]).toBeCloseTo(ref[i], 5);
    opt.dispose();
    disposeParams(params);
  });

  it('updates only the named parameters it is given gradients for, and leaks no tensors', async () => {
    const params = makeParams({ a: vec([1, 1]), b: vec([2, 2]) });
    const opt = new Adam(params, 0.1);
    const before = tf.memory().numTensors;
    stepWith(opt, { a: [1, -1], nope: [1, 1] });
    expect(tf.memory().numTensors).toBe(before);
    expect(await values(params, 'b')).toEqual([2, 2]);
    const a = await values(params, 'a');
    expect(a[0]).toBeCloseTo(0.9, 6);
    expect(a[1]).toBeCloseTo(1.1, 6);
    opt.dispose();
    disposeParams(params);
  });

  it('state() → load() continues exactly where it left off', async () => {
    const gs = [
      [0.2, -0.4],
      [1.0, 0.3],
      [-0.6, 0.9],
      [0.05, -2],
      [0.7, 0.7],
    ];
    // An uninterrupted run of five steps.
    const pa = makeParams({ p: vec([0.5, -0.5]) });
    const a = new Adam(pa, 0.05);
    for (const g of gs) stepWith(a, { p: g });

    // Three steps, save weights and optimizer state, restore both into fresh objects, two more steps.
    const pb = makeParams({ p: vec([0.5, -0.5]) });
    const b = new Adam(pb, 0.05);
    for (const g of gs.slice(0, 3)) stepWith(b, { p: g });
    const state = structuredClone(await b.state()); // as a checkpoint store would copy it
    expect(state.t).toBe(3);
    const saved = await values(pb, 'p');
    b.dispose();
    disposeParams(pb);

    const pc = makeParams({ p: vec(saved) });
    const c = new Adam(pc, 0.05);
    c.load(state);
    for (const g of gs.slice(3)) stepWith(c, { p: g });

    expect(await values(pc, 'p')).toEqual(await values(pa, 'p')); // bit for bit: same float32 ops in the same order
    const [sa, sc] = [await a.state(), await c.state()];
    expect(sc.t).toBe(5);
    expect(Array.from(sc.m.p.data)).toEqual(Array.from(sa.m.p.data));
    expect(Array.from(sc.v.p.data)).toEqual(Array.from(sa.v.p.data));
    for (const o of [a, c]) o.dispose();
    for (const p of [pa, pc]) disposeParams(p);
  });

  it('refuses state that does not fit, naming the tensor', () => {
    const params = makeParams({ p: vec([0, 0]) });
    const opt = new Adam(params, 0.1);
    expect(() => opt.load({ t: 1, m: { p: vec([0, 0, 0]) }, v: { p: vec([0, 0]) } })).toThrow(/"m" for "p"/);
    expect(() => opt.load({ t: 1, m: { p: vec([0, 0]) }, v: {} })).toThrow(/"v" for "p"/);
    opt.dispose();
    disposeParams(params);
  });
});

// tf.variable(x) keeps x's data but not x itself: a fresh tensor passed in must be disposed by the caller, or it
// stays counted (and allocated) after the variable is disposed.
describe('tensor lifetimes', () => {
  it('makeParams → disposeParams leaves no tensors behind', () => {
    const before = tf.memory().numTensors;
    const params = makeParams({ a: vec([1, 2]), b: vec([3]) });
    disposeParams(params);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('new Adam → dispose leaves no tensors behind', () => {
    const params = makeParams({ a: vec([1, 2]), b: vec([3]) });
    const before = tf.memory().numTensors;
    const opt = new Adam(params, 0.1);
    opt.dispose();
    expect(tf.memory().numTensors).toBe(before);
    disposeParams(params);
  });
});
