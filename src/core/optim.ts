// Adam (Kingma & Ba 2015) over named variables, with state that a checkpoint can store and restore.
// Written here rather than taken from tf.train so that its moments are plain named tensors we own.
import { tf, type Tensor, type Variable } from './tf';
import type { Params, Weights } from './models/params';
import { ops, type AdamMoments } from './kernels';

export interface AdamConfig {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
}

export interface AdamState {
  t: number;
  m: Weights;
  v: Weights;
}

export class Adam {
  t = 0;
  private readonly m: Record<string, Variable> = {};
  private readonly v: Record<string, Variable> = {};
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /**
   * On webgpu, while every step has a gradient for every parameter: both moments in one flat buffer, [m of each
   * parameter in `names` order, then v of each], and `m`, `v` above empty (kernels/webgpu_adam.ts's fusedAdamFlat).
   * A step on another backend or with a gradient missing, and load, unpack them first.
   */
  private packed: { mv: Variable; names: string[]; offsets: number[] } | null = null;
  /** The moments as kernels' Adam asks for them: packed, or named (unpacked). */
  private readonly moments: AdamMoments = {
    flat: () => this.pack(),
    named: (names) => {
      this.unpack();
      return { m: names.map((k) => this.m[k]), v: names.map((k) => this.v[k]) };
    },
  };

  constructor(
    private readonly params: Params,
    public lr: number,
    cfg: Omit<AdamConfig, 'lr'> = {},
  ) {
    this.beta1 = cfg.beta1 ?? 0.9;
    this.beta2 = cfg.beta2 ?? 0.999;
    this.eps = cfg.eps ?? 1e-8;
    for (const [name, p] of Object.entries(params)) {
      // A buffer each (a variable made from a tensor shares its buffer): a step may then write them in place
      for (const vars of [this.m, this.v]) {
        const zeros = tf.zerosLike(p);
        vars[name] = tf.variable(zeros, false);
        zeros.dispose(); // the variable holds its own reference
      }
    }
    // The layout its steps use from the start (packed on webgpu): a step then adds no tensor.
    ops.adamStart(params, this.moments);
  }

  /**
   * θ ← θ − lr·m̂/(√v̂ + eps) with bias-corrected moments; disposes nothing the caller owns. On webgpu the update is
   * fused (kernels/webgpu_adam.ts): with every gradient present, θ and the moments written in place, several
   * parameters a dispatch (or, where another tensor shares a parameter's buffer, one dispatch per parameter plus the
   * gradients' concatenation and the moments' update); else three per parameter; ~13 tf ops per parameter before.
   * Same state, same numbers.
   */
  step(grads: Record<string, Tensor>): void {
    this.t += 1;
    const c1 = 1 - this.beta1 ** this.t;
    const c2 = 1 - this.beta2 ** this.t;
    ops.adamStep(this.params, grads, this.moments, { beta1: this.beta1, beta2: this.beta2, eps: this.eps, lr: this.lr, c1, c2 });
  }

  /** The moments as one flat buffer (concatenated from the named ones the first time). */
  private pack(): { mv: Variable; names: string[]; offsets: number[] } {
    if (this.packed) return this.packed;
    const names = Object.keys(this.params);
    const offsets: number[] = [];
    let size = 0;
    for (const k of names) {
      offsets.push(size);
      size += this.params[k].size;
    }
    const flat = (vars: Record<string, Variable>) => names.map((k) => tf.reshape(vars[k], [-1]));
    const mv = tf.tidy(() => tf.concat([...flat(this.m), ...flat(this.v)]));
    this.packed = { mv: tf.variable(mv, false), names, offsets };
    mv.dispose(); // the variable holds its own reference
    for (const k of names) {
      this.m[k].dispose();
      this.v[k].dispose();
      delete this.m[k];
      delete this.v[k];
    }
    return this.packed;
  }

  /** The moments as named variables again (from the flat buffer, if packed). */
  private unpack(): void {
    if (!this.packed) return;
    const { mv, names, offsets } = this.packed;
    const half = mv.size / 2;
    names.forEach((k, i) => {
      const p = this.params[k];
      for (const [vars, start] of [[this.m, offsets[i]], [this.v, half + offsets[i]]] as const) {
        const part = tf.tidy(() => tf.reshape(tf.slice(mv, [start], [p.size]), p.shape));
        vars[k] = tf.variable(part, false);
        part.dispose();
      }
    });
    mv.dispose();
    this.packed = null;
  }

  /** Forgets the moments and the step count: a fresh start for the same variables. */
  reset(): void {
    this.t = 0;
    if (this.packed) {
      const { mv } = this.packed;
      tf.tidy(() => mv.assign(tf.zerosLike(mv)));
      return;
    }
    tf.tidy(() => {
      for (const x of [...Object.values(this.m), ...Object.values(this.v)]) x.assign(tf.zerosLike(x));
    });
  }

  async state(): Promise<AdamState> {
    if (this.packed) {
      const { mv, names, offsets } = this.packed;
      const data = (await mv.data()) as Float32Array;
      const half = mv.size / 2;
      const m: Weights = {};
      const v: Weights = {};
      names.forEach((k, i) => {
        const { shape, size } = this.params[k];
        m[k] = { shape: shape.slice(), data: data.slice(offsets[i], offsets[i] + size) };
        v[k] = { shape: shape.slice(), data: data.slice(half + offsets[i], half + offsets[i] + size) };
      });
      return { t: this.t, m, v };
    }
    const read = async (vars: Record<string, Variable>) => {
      const w: Weights = {};
      for (const [k, x] of Object.entries(vars)) w[k] = { shape: x.shape.slice(), data: (await x.data()) as Float32Array };
      return w;
    };
    return { t: this.t, m: await read(this.m), v: await read(this.v) };
  }

  load(state: AdamState): void {
    this.unpack();
    this.t = state.t;
    for (const [which, vars] of [['m', this.m], ['v', this.v]] as const) {
      for (const [k, x] of Object.entries(vars)) {
        const w = state[which][k];
        if (!w || w.data.length !== x.size) throw new Error(`optimizer state has no matching "${which}" for "${k}"`);
        tf.tidy(() => x.assign(tf.tensor(w.data, x.shape, 'float32')));
      }
    }
  }

  dispose(): void {
    this.unpack();
    for (const x of [...Object.values(this.m), ...Object.values(this.v)]) x.dispose();
  }
}
