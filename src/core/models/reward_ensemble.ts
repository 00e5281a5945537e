// A reward-model ensemble (Christiano et al. 2017; Coste et al. 2023), one for every task whose reward model is a
// small network of its own (the landscape's points, the control task's segments): K members, each with its own
// weights, Adam and normalization, each fit by Bradley-Terry on its own Poisson(1) bootstrap of the comparisons; the
// policy sees a conservative combination of the members' normalized scores, and queries go to the pairs the members
// disagree on most. A single reward model is an ensemble of one, and then every step is exactly the plain model's.
//
// Checkpoints hold member k as the model `reward_model` (k = 0) or `reward_model_k`, its spec carrying its `norm`.
import { tf, type Tensor } from '../tf';
import { Rng } from '../rng';
import { disposeParams, gradsOf, makeParams, type Params, type Weights } from './params';
import { Adam, type AdamState } from '../optim';
import { bradleyTerryLoss, labelTerms } from '../algos/reward';
import { argmax, bootstrapWeight, conservativeScore, memberStats, pairDisagreement, type Conservative } from '../algos/ensemble';
import { mean, normalizeScores, type RewardNorm } from './reward_norm';
import type { Label } from '../feedback/labelers';
import type { MetricRow } from '../checkpoint/record';

/** The reward model's settings an ensemble reads (the experiment's `reward_model` block). */
export interface EnsembleConfig {
  ensemble: number;
  bootstrap: boolean;
  conservative: Conservative;
  conservative_lambda: number;
  lr: number;
  center_rewards_coefficient?: number;
}

/** Checkpoint names of the members: `reward_model`, then `reward_model_1`, … (one model: as before ensembles). */
export const memberName = (k: number) => (k === 0 ? 'reward_model' : `reward_model_${k}`);

/** One member: its weights, its Adam, its normalization. */
interface Member {
  params: Params;
  opt: Adam;
  norm: RewardNorm;
}

/**
 * `score(params, x)` is a member's raw score of a batch of inputs x (a tensor the task builds), shape [n]; `spec` is
 * what a checkpoint stores beside each member's weights (its architecture).
 */
export class RewardEnsemble {
  private readonly members: Member[];

  constructor(
    private readonly cfg: EnsembleConfig,
    /** The run's seed: it fixes each label's bootstrap weight per member. */
    private readonly seed: number,
    private readonly spec: Record<string, unknown>,
    private readonly score: (params: Params, x: Tensor) => Tensor,
    state: { weights: Record<string, Weights>; specs: Record<string, Record<string, unknown>>; optimizers?: Record<string, AdamState> },
  ) {
    this.members = Array.from({ length: cfg.ensemble }, (_, k) => {
      const name = memberName(k);
      const params = makeParams(state.weights[name]);
      const opt = new Adam(params, cfg.lr);
      if (state.optimizers) opt.load(state.optimizers[name]);
      return { params, opt, norm: (state.specs[name]?.norm as RewardNorm) ?? { mean: 0, std: 1 } };
    });
  }

  /** Fresh members' weights, each from its own seed drawn from `rng` in order. */
  static init(ensemble: number, init: (rng: Rng) => Weights, rng: Rng): Record<string, Weights> {
    const out: Record<string, Weights> = {};
    for (let k = 0; k < ensemble; k++) out[memberName(k)] = init(new Rng(rng.seed()));
    return out;
  }

  get size(): number {
    return this.members.length;
  }

  /** The first member's normalization (the single reward model's, when there is one). */
  get norm(): RewardNorm {
    return this.members[0].norm;
  }

  models(): Record<string, { params: Params; spec: Record<string, unknown> }> {
    return Object.fromEntries(this.members.map((m, k) => [memberName(k), { params: m.params, spec: { ...this.spec, norm: { ...m.norm } } }]));
  }

  optimizers(): Record<string, Adam> {
    return Object.fromEntries(this.members.map((m, k) => [memberName(k), m.opt]));
  }

  /**
   * One Bradley-Terry step of every member on inputs a and b of the labels' sides; a member of an ensemble weighs
   * each label by its bootstrap count. `pool` turns a member's scores of the inputs into one per label (control: the
   * sum over a segment's steps). Returns the members' mean loss (the caller disposes it).
   */
  step(a: Tensor, b: Tensor, labels: Label[], targets: Float32Array, pool: (r: Tensor) => Tensor = (r) => r): Tensor {
    const K = this.members.length;
    const bootstrap = K > 1 && this.cfg.bootstrap;
    return tf.tidy(() => {
      const y = tf.tensor1d(targets);
      const terms = labelTerms(labels, this.cfg.center_rewards_coefficient);
      const losses = this.members.map((m, k) => {
        const w = bootstrap ? tf.tensor1d(Float32Array.from(labels, (l) => bootstrapWeight(this.seed, k, l.id))) : undefined;
        const { value, grads } = gradsOf(m.params, () => bradleyTerryLoss(pool(this.score(m.params, a)), pool(this.score(m.params, b)), y, { ...terms, weights: w }));
        m.opt.step(grads);
        return value;
      });
      return K === 1 ? losses[0] : tf.mean(tf.stack(losses));
    });
  }

  /** Each member's raw scores of the inputs x (pooled as in `step`), read back at once: raw[k][i]. */
  async raw(x: () => Tensor, pool: (r: Tensor) => Tensor = (r) => r): Promise<Float32Array[]> {
    const t = tf.tidy(() => {
      const xs = x();
      return tf.stack(this.members.map((m) => pool(this.score(m.params, xs))));
    });
    const all = (await t.data()) as Float32Array;
    t.dispose();
    return this.split(all, all.length / this.members.length);
  }

  /** The members' scores of n samples packed one member after another ([K·n], as rawTensor reads back): raw[k]. */
  split(packed: Float32Array, n: number): Float32Array[] {
    return this.members.map((_, k) => packed.subarray(k * n, (k + 1) * n));
  }

  /** The members' raw scores as tensors [K, n] (for a caller that packs them into a readback of its own). */
  rawTensor(x: Tensor): Tensor {
    return tf.tidy(() => tf.stack(this.members.map((m) => this.score(m.params, x))));
  }

  /**
   * The reward the policy sees as a differentiable tensor of the inputs x, shape [n]: each member's score normalized
   * by its own mean and std, combined as `combined` does (the red-team attack ascends its gradient). For
   * mean − λ·std the std has a floor of 1e-6 inside the root, so its gradient stays finite where members agree.
   */
  combinedTensor(x: Tensor): Tensor {
    return tf.tidy(() => {
      const s = tf.stack(this.members.map((m) => tf.div(tf.sub(this.score(m.params, x), m.norm.mean), m.norm.std)));
      if (this.members.length === 1) return tf.reshape(s, [-1]);
      const { conservative, conservative_lambda } = this.cfg;
      if (conservative === 'worst') return tf.min(s, 0);
      const { mean: mu, variance } = tf.moments(s, 0);
      return conservative === 'mean' ? mu : tf.sub(mu, tf.mul(conservative_lambda, tf.sqrt(tf.add(variance, 1e-12))));
    });
  }

  /** Each member's scores normalized by its own mean and std. */
  normalized(raw: ArrayLike<number>[]): Float32Array[] {
    return raw.map((r, k) => {
      const { mean: m, std } = this.members[k].norm;
      return Float32Array.from(r, (x) => (x - m) / std);
    });
  }

  /** The reward the policy optimizes: the one model's normalized score, or the ensemble's conservative combination. */
  combined(normalized: Float32Array[]): Float32Array {
    return normalized.length === 1 ? normalized[0] : conservativeScore(normalized, this.cfg.conservative, this.cfg.conservative_lambda);
  }

  /** Scores of labels' sides as accuracy reads them: the raw model's, or for an ensemble the reward the policy sees. */
  judged(raw: Float32Array[]): Float32Array {
    return raw.length === 1 ? raw[0] : this.combined(this.normalized(raw));
  }

  /** Sets each member's normalization to mean 0, std 1 over its raw scores of policy samples. */
  setNorms(raw: ArrayLike<number>[]): void {
    this.members.forEach((m, k) => (m.norm = normalizeScores(raw[k])));
  }

  /** The candidate pair on which the members' win probabilities σ(r_k(a) − r_k(b)) spread most. */
  mostDisputed(rawA: Float32Array[], rawB: Float32Array[]): number {
    return argmax(pairDisagreement(rawA, rawB));
  }

  /** The members' spread on these (normalized) scores, as a metric (absent for a single model). */
  spread(normalized: Float32Array[]): MetricRow {
    return normalized.length === 1 ? {} : { 'rm/ensemble_std': mean(memberStats(normalized).std) };
  }

  /** The members' standard deviation per sample (the landscape's disagreement map). */
  std(normalized: Float32Array[]): Float32Array | undefined {
    return normalized.length > 1 ? memberStats(normalized).std : undefined;
  }

  dispose(): void {
    for (const m of this.members) {
      disposeParams(m.params);
      m.opt.dispose();
    }
  }
}
