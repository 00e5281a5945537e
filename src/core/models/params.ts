// Models are plain named tf.Variables: easy to save, restore, copy and hand to an optimizer.
import { tf, type Tensor, type Variable } from '../tf';

export type Params = Record<string, Variable>;
/** Weights as stored in a checkpoint: plain arrays, cloneable into IndexedDB and writable as JSON. */
export type Weights = Record<string, { shape: number[]; data: Float32Array }>;

export function makeParams(init: Record<string, { shape: number[]; data: Float32Array }>, trainable = true): Params {
  const params: Params = {};
  for (const [name, w] of Object.entries(init)) {
    const initial = tf.tensor(w.data, w.shape, 'float32');
    params[name] = tf.variable(initial, trainable);
    initial.dispose(); // the variable holds its own copy
  }
  return params;
}

export async function readWeights(params: Params): Promise<Weights> {
  const out: Weights = {};
  for (const [name, p] of Object.entries(params)) {
    out[name] = { shape: p.shape.slice(), data: (await p.data()) as Float32Array };
  }
  return out;
}

export function disposeParams(params: Params): void {
  for (const p of Object.values(params)) p.dispose();
}

export function countParams(params: Params): number {
  return Object.values(params).reduce((n, p) => n + p.size, 0);
}

/**
 * value = f() and its gradients with respect to params, keyed by the params' own names.
 * The caller disposes both (the optimizer step does not).
 */
export function gradsOf(params: Params, f: () => Tensor): { value: Tensor; grads: Record<string, Tensor> } {
  const names = new Map(Object.entries(params).map(([k, p]) => [p.name, k]));
  const { value, grads } = tf.variableGrads(f as () => import('@tensorflow/tfjs').Scalar, Object.values(params));
  const out: Record<string, Tensor> = {};
  for (const [tfName, g] of Object.entries(grads)) out[names.get(tfName) ?? tfName] = g;
  return { value, grads: out };
}

/** Copies `from`'s values into the variables of `to` that share its names (a rollback to reference weights). */
export function restoreParams(to: Params, from: Params): void {
  for (const [name, v] of Object.entries(from)) {
    const target = to[name];
    if (!target) continue;
    if (target.size !== v.size) throw new Error(`cannot restore "${name}": shapes ${target.shape} and ${v.shape} differ`);
    target.assign(v);
  }
}

/**
 * One Adam step on the loss `f` builds; the scalar statistics it names survive the step, stacked into one tensor so
 * that an iteration's statistics are read back once, at its end (readStacked).
 */
export function stepKeeping(params: Params, opt: { step(grads: Record<string, Tensor>): void }, f: () => { loss: Tensor; stats: Tensor[] }): Tensor {
  return tf.tidy(() => {
    let kept: Tensor[] = [];
    const { value, grads } = gradsOf(params, () => {
      const { loss, stats } = f();
      kept = stats.map((t) => tf.keep(tf.clone(t)));
      return loss;
    });
    opt.step(grads);
    value.dispose();
    const out = tf.stack(kept);
    tf.dispose(kept);
    return out;
  });
}

/**
 * One Adam step on the loss `f` builds; the loss and the tensors `f` names to read (any shapes) survive the step,
 * flattened into one tensor [1 + Σ sizes], loss first, so that an offline step is read back once.
 */
export function stepReading(params: Params, opt: { step(grads: Record<string, Tensor>): void }, f: () => { loss: Tensor; read: Tensor[] }): Tensor {
  return tf.tidy(() => {
    let kept: Tensor[] = [];
    const { value, grads } = gradsOf(params, () => {
      const { loss, read } = f();
      kept = read.map((t) => tf.keep(tf.reshape(t, [-1])));
      return loss;
    });
    opt.step(grads);
    const out = tf.concat([tf.reshape(value, [1]), ...kept]);
    tf.dispose(kept);
    return out;
  });
}

/** Reads stacked statistics back in one go and disposes them. */
export async function readStacked(stats: Tensor[]): Promise<Float32Array> {
  const all = tf.stack(stats);
  const out = (await all.data()) as Float32Array;
  tf.dispose([all, ...stats]);
  return out;
}
