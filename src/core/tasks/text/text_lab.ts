// The text task's models and math: the base character GPT as policy (with a value head), as frozen reference
// π_ref, and as the reward model's backbone (with a scalar head on the last token); PPO with a per-token KL
// penalty toward π_ref (RLHF.md). One readback of the rollout's numbers and one of the update's statistics per
// iteration, besides the per-token draws of sampling.
import { tf, type Tensor } from '../../tf';
import { Rng } from '../../rng';
import { klCoef, optimizerAs, optimizerLr, type Experiment, type TextExperiment } from '../../experiment/spec';
import {
  backboneOf,
  gptHidden,
  gptReward,
  gptScalarHead,
  initHead,
  sampleGpt,
  tokenStats,
  type GptConfig,
  type Samples,
} from '../../models/gpt';
import { disposeParams, gradsOf, makeParams, type Params } from '../../models/params';
import { Adam } from '../../optim';
import { bradleyTerryLoss } from '../../algos/reward';
import { explainedVariance, gae, KlController, perTokenKl, ppoPolicyLoss, ppoValueLoss, whiten } from '../../algos/ppo';
import type { Label } from '../../feedback/labelers';
import type { MetricRow } from '../../checkpoint/record';
import type { Assets, Proposal, TaskLab, TaskState, TextSampleRow, TextVisuals } from '../task_lab';
import { mean, normalizeScores, type RewardNorm } from '../reward_norm';
import { BASE_BIN, BASE_JSON, LEXICON, decodeBaseModel, type BaseModel } from './base_model';
import { goldReward, labelerBias, type Lexicon } from './gold';
import { BOS, EOS, decode, encode } from './vocab';



/** Completions on which the reward model's score is normalized to mean 0, std 1. */
const NORM_SAMPLES = 64;
/** Rows of the live sample table. */
const SHOWN_SAMPLES = 8;

export interface TextAssets {
  base: BaseModel;
  lexicon: Lexicon;
}

const loaded = new WeakMap<Assets, Promise<TextAssets>>();

/** The base model and lexicon, read once per host. */
export function loadTextAssets(assets: Assets): Promise<TextAssets> {
  let p = loaded.get(assets);
  if (!p) {
    p = (async () => {
      const [json, bin, lex] = await Promise.all([assets(BASE_JSON), assets(BASE_BIN), assets(LEXICON)]);
      const base = await decodeBaseModel(new TextDecoder().decode(json), bin);
      return { base, lexicon: JSON.parse(new TextDecoder().decode(lex)) as Lexicon };
    })();
    p.catch(() => loaded.delete(assets));
    loaded.set(assets, p);
  }
  return p;
}

/** BOS + prompt + completion as token ids. */
function sequence(prompt: string, completion: string): number[] {
  return [BOS, ...encode(prompt), ...encode(completion)];
}

/** Rows padded with EOS to one length, and the index of each row's last token. */
function padded(rows: number[][]): { ids: Int32Array; N: number; last: Int32Array } {
  const N = Math.max(...rows.map((r) => r.length));
  const ids = new Int32Array(rows.length * N).fill(EOS);
  rows.forEach((r, b) => ids.set(r, b * N));
  return { ids, N, last: Int32Array.from(rows, (r) => r.length - 1) };
}

/** The completion of row b of a sample batch, as text (a final line break kept: it says the completion ended). */
function completionOf(s: Samples, b: number): string {
  return decode(s.ids.subarray(b * s.N + s.start[b] + 1, b * s.N + s.start[b] + 1 + s.length[b]));
}

export class TextLab implements TaskLab {
  private readonly experiment: TextExperiment;
  private readonly cfg: GptConfig;
  private readonly lexicon: Lexicon;
  private readonly prefixes: number[][];
  private readonly policy: Params;
  private readonly reference: Params;
  private readonly rm: Params;
  private readonly policyOpt: Adam;
  private readonly rmOpt: Adam;
  private readonly kl: KlController;
  rmNorm: RewardNorm;
  private shown: TextSampleRow[] = [];
  /** The samples of the last normalization: at the start of a run they are also the base policy's evaluation. */
  private normBatch: { prompts: string[]; completions: string[]; raw: Float32Array } | null = null;

  private constructor(experiment: Experiment, cfg: GptConfig, lexicon: Lexicon, state: TaskState) {
    this.experiment = experiment as TextExperiment;
    this.cfg = cfg;
    this.lexicon = lexicon;
    this.prefixes = this.experiment.task.prompts.map((p) => [BOS, ...encode(p)]);
    this.policy = makeParams(state.weights.policy);
    this.reference = makeParams(state.weights.reference, false);
    this.rm = makeParams(state.weights.reward_model);
    this.policyOpt = new Adam(this.policy, optimizerLr(this.experiment));
    this.rmOpt = new Adam(this.rm, this.experiment.reward_model.lr);
    if (state.optimizers) {
      this.policyOpt.load(state.optimizers.policy);
      this.rmOpt.load(state.optimizers.reward_model);
    }
    const o = this.experiment.optimizer;
    const saved = state.specs.policy?.kl_coef;
    const adaptive = o.algo === 'ppo' ? { target: o.kl_target, horizon: o.kl_horizon } : { target: null, horizon: 1 };
    this.kl = new KlController(typeof saved === 'number' ? saved : (klCoef(this.experiment) ?? 0), adaptive.target, adaptive.horizon);
    this.rmNorm = (state.specs.reward_model?.norm as RewardNorm) ?? { mean: 0, std: 1 };
    this.shown = (state.specs.policy?.shown as TextSampleRow[] | undefined) ?? [];
  }

  /** A new run: policy and reward model start from the base model, with fresh heads from the run's generator. */
  static async create(experiment: Experiment, rng: Rng, assets: Assets): Promise<TextLab> {
    const { base, lexicon } = await loadTextAssets(assets);
    const backbone = backboneOf(base.weights);
    const rmHead = initHead(base.config, 'reward', new Rng(rng.seed()));
    const valueHead = initHead(base.config, 'value', new Rng(rng.seed()));
    return new TextLab(experiment, base.config, lexicon, {
      weights: { policy: { ...backbone, ...valueHead }, reference: backbone, reward_model: { ...backbone, ...rmHead } },
      specs: {},
    });
  }

  static async restore(experiment: Experiment, state: TaskState, assets: Assets): Promise<TextLab> {
    const { lexicon } = await loadTextAssets(assets);
    const cfg = state.specs.policy?.gpt as GptConfig;
    return new TextLab(experiment, cfg, lexicon, state);
  }

  models() {
    const gpt = { ...this.cfg };
    return {
      policy: { params: this.policy, spec: { gpt, kl_coef: this.kl.beta, shown: this.shown } },
      reference: { params: this.reference, spec: { gpt } },
      reward_model: { params: this.rm, spec: { gpt, head: 'reward (last token)', norm: { ...this.rmNorm } } },
    };
  }

  optimizers() {
    return { policy: this.policyOpt, reward_model: this.rmOpt };
  }

  private sample(promptIdx: number[], rng: Rng): Promise<Samples> {
    const { max_new_tokens, temperature, top_k } = this.experiment.task;
    return sampleGpt(
      this.cfg,
      this.policy,
      { prefixes: promptIdx.map((i) => this.prefixes[i]), maxNew: max_new_tokens, temperature, topK: top_k, eos: EOS },
      rng,
    );
  }

  async propose(rng: Rng): Promise<Proposal> {
    const i = rng.int(this.prefixes.length);
    const s = await this.sample([i, i], rng);
    return { prompt: this.experiment.task.prompts[i], a: completionOf(s, 0), b: completionOf(s, 1) };
  }

  gold(prompt: string, completion: string): number {
    return goldReward(this.experiment.task.gold, prompt, completion, this.lexicon);
  }

  labelerReward(labeler: { length_bias: number }, p: Proposal, side: 'a' | 'b'): number {
    const completion = p[side] as string;
    return this.gold(p.prompt ?? '', completion) + labelerBias(labeler.length_bias, completion);
  }

  /** Raw reward-model scores of (prompt, completion) pairs. */
  private rawRewardTensor(pairs: [string, string][]): Tensor {
    const rows = pairs.map(([p, c]) => sequence(p, c));
    const { ids, N, last } = padded(rows);
    // Mean pooling reads the completion's tokens (from the last prompt token on).
    const first = Int32Array.from(pairs, ([p]) => p.length);
    return tf.tidy(() =>
      gptReward(this.cfg, this.rm, tf.tensor2d(ids, [pairs.length, N], 'int32'), last, this.experiment.reward_model.pool, first),
    );
  }

  rewardStep(batch: Label[], targets: Float32Array): Tensor {
    const n = batch.length;
    const pairs: [string, string][] = [
      ...batch.map((l) => [l.prompt ?? '', l.a as string] as [string, string]),
      ...batch.map((l) => [l.prompt ?? '', l.b as string] as [string, string]),
    ];
    return tf.tidy(() => {
      const y = tf.tensor1d(targets);
      const { value, grads } = gradsOf(this.rm, () => {
        const r = this.rawRewardTensor(pairs);
        return bradleyTerryLoss(tf.slice(r, 0, n), tf.slice(r, n, n), y);
      });
      this.rmOpt.step(grads);
      return value;
    });
  }

  async rewardScores(labels: Label[]) {
    const n = labels.length;
    const all = await this.scorePairs([
      ...labels.map((l) => [l.prompt ?? '', l.a as string] as [string, string]),
      ...labels.map((l) => [l.prompt ?? '', l.b as string] as [string, string]),
    ]);
    return { a: all.slice(0, n), b: all.slice(n) };
  }

  /** Raw reward-model scores of (prompt, completion) pairs, read back. */
  private async scorePairs(pairs: [string, string][]): Promise<Float32Array> {
    if (pairs.length === 0) return new Float32Array(0);
    const r = this.rawRewardTensor(pairs);
    const out = (await r.data()) as Float32Array;
    r.dispose();
    return out;
  }

  async normalizeReward(): Promise<void> {
    const rng = new Rng(this.experiment.seed ^ 0x5eed);
    const idx = Array.from({ length: NORM_SAMPLES }, (_, i) => i % this.prefixes.length);
    const s = await this.sample(idx, rng);
    const prompts = idx.map((i) => this.experiment.task.prompts[i]);
    const completions = idx.map((_, b) => completionOf(s, b));
    const raw = await this.scorePairs(prompts.map((p, b) => [p, completions[b]]));
    this.rmNorm = normalizeScores(raw);
    this.normBatch = { prompts, completions, raw };
  }

  private normalized(raw: number): number {
    return (raw - this.rmNorm.mean) / this.rmNorm.std;
  }

  /** One PPO iteration: sample a batch, score it, GAE on the KL-penalized per-token rewards, clipped updates. */
  async policyIteration(rng: Rng): Promise<MetricRow> {
    const o = optimizerAs(this.experiment, 'ppo');
    const { temperature } = this.experiment.task;
    const B = o.batch_size;
    const promptIdx = Array.from({ length: B }, () => rng.int(this.prefixes.length));
    const s = await this.sample(promptIdx, rng);
    const { N } = s;
    const M = N - 1;
    const mask = new Float32Array(B * M);
    const last = new Int32Array(B);
    for (let b = 0; b < B; b++) {
      for (let t = s.start[b]; t < s.start[b] + s.length[b]; t++) mask[b * M + t] = 1;
      last[b] = s.start[b] + s.length[b];
    }

    // The rollout's numbers, one readback: log π, entropy, V, log π_ref per position, and the reward model's score.
    const packed = tf.tidy(() => {
      const ids = tf.tensor2d(s.ids, [B, N], 'int32');
      const h = gptHidden(this.cfg, this.policy, ids);
      const { logp, entropy } = tokenStats(this.cfg, h, this.policy, ids, temperature);
      const values = tf.slice(gptScalarHead(this.cfg, this.policy, 'value', h), [0, 0], [B, M]);
      const ref = tokenStats(this.cfg, gptHidden(this.cfg, this.reference, ids), this.reference, ids, temperature).logp;
      const score = gptReward(this.cfg, this.rm, ids, last, this.experiment.reward_model.pool, s.start);
      return tf.concat([tf.reshape(logp, [-1]), tf.reshape(entropy, [-1]), tf.reshape(values, [-1]), tf.reshape(ref, [-1]), score]);
    });
    const all = (await packed.data()) as Float32Array;
    packed.dispose();
    const oldLogp = all.slice(0, B * M);
    const entropy = all.subarray(B * M, 2 * B * M);
    const oldValues = all.slice(2 * B * M, 3 * B * M);
    const refLogp = all.subarray(3 * B * M, 4 * B * M);
    const rawScore = all.subarray(4 * B * M);

    // Per-token rewards r_t = −β·KL_t, the normalized score added on the last token; GAE per completion.
    const beta = this.kl.beta;
    const advantages = new Float32Array(B * M);
    const returns = new Float32Array(B * M);
    const klSeq = new Float32Array(B);
    const klK1 = new Float32Array(B);
    const klK3 = new Float32Array(B);
    const score = Float32Array.from(rawScore, (r) => this.normalized(r));
    for (let b = 0; b < B; b++) {
      const from = b * M + s.start[b];
      const to = from + s.length[b];
      const lp = oldLogp.subarray(from, to);
      const lr = refLogp.subarray(from, to);
      const kl = perTokenKl(lp, lr, o.kl_estimator);
      const rewards = Float32Array.from(kl, (k) => -beta * k);
      rewards[rewards.length - 1] += score[b];
      const g = gae(rewards, oldValues.subarray(from, to), o.gamma, o.lam);
      advantages.set(g.advantages, from);
      returns.set(g.returns, from);
      klSeq[b] = kl.reduce((x, y) => x + y, 0);
      klK1[b] = perTokenKl(lp, lr, 'k1').reduce((x, y) => x + y, 0);
      klK3[b] = perTokenKl(lp, lr, 'k3').reduce((x, y) => x + y, 0);
    }
    const whitened = whiten(advantages, mask);
    const explained = explainedVariance(returns, oldValues, mask);

    // PPO epochs over shuffled minibatches of whole completions.
    const rows = Array.from({ length: B }, (_, i) => i);
    const mb = B / o.minibatches;
    const stats: Tensor[] = [];
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      for (let i = rows.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [rows[i], rows[j]] = [rows[j], rows[i]];
      }
      for (let k = 0; k < o.minibatches; k++) {
        const pick = rows.slice(k * mb, (k + 1) * mb);
        const gather = <T extends Float32Array | Int32Array>(src: T, width: number, make: (n: number) => T): T => {
          const out = make(pick.length * width);
          pick.forEach((r, i) => out.set(src.subarray(r * width, (r + 1) * width), i * width));
          return out;
        };
        const f32 = (n: number) => new Float32Array(n);
        const idsMb = gather(s.ids, N, (n) => new Int32Array(n));
        const [lpMb, advMb, retMb, vMb, maskMb] = [oldLogp, whitened, returns, oldValues, mask].map((a) => gather(a, M, f32));
        stats.push(
          tf.tidy(() => {
            const shape: [number, number] = [pick.length, M];
            const ids = tf.tensor2d(idsMb, [pick.length, N], 'int32');
            const [lpT, advT, retT, vT, maskT] = [lpMb, advMb, retMb, vMb, maskMb].map((a) => tf.tensor2d(a, shape));
            let kept: Tensor[] = [];
            const { value, grads } = gradsOf(this.policy, () => {
              const h = gptHidden(this.cfg, this.policy, ids);
              const { logp } = tokenStats(this.cfg, h, this.policy, ids, temperature);
              const v = tf.slice(gptScalarHead(this.cfg, this.policy, 'value', h), [0, 0], shape);
              const pl = ppoPolicyLoss(logp, lpT, advT, maskT, o.clip);
              const vl = ppoValueLoss(v, vT, retT, maskT, o.value_clip);
              kept = [pl.policy, vl, pl.clipfrac, pl.approxkl].map((t) => tf.keep(t));
              return tf.add(pl.policy, tf.mul(vl, o.vf_coef));
            });
            this.policyOpt.step(grads);
            value.dispose();
            const out = tf.stack(kept);
            tf.dispose(kept);
            return out;
          }),
        );
      }
    }
    const statsT = tf.stack(stats);
    const st = (await statsT.data()) as Float32Array;
    tf.dispose([statsT, ...stats]);
    const avg = (j: number) => mean(Array.from({ length: stats.length }, (_, i) => st[i * 4 + j]));

    const klMean = mean(klSeq);
    this.kl.update(klMean, B);
    const prompts = this.experiment.task.prompts;
    const completions = Array.from({ length: B }, (_, b) => completionOf(s, b));
    const gold = completions.map((c, b) => this.gold(prompts[promptIdx[b]], c));
    this.shown = completions.slice(0, SHOWN_SAMPLES).map((c, b) => ({
      prompt: prompts[promptIdx[b]],
      completion: c,
      proxy: score[b],
      gold: gold[b],
    }));
    let entropySum = 0;
    let tokens = 0;
    for (let i = 0; i < mask.length; i++) if (mask[i]) (entropySum += entropy[i]), tokens++;
    return {
      'gold/mean': mean(gold),
      'proxy/mean': mean(score),
      'objective/kl': mean(klK1),
      'objective/kl_k3': mean(klK3),
      'objective/kl_coef': beta,
      'objective/entropy': entropySum / Math.max(tokens, 1),
      'objective/rlhf_reward': mean(Float32Array.from(score, (sc, b) => sc - beta * klSeq[b])),
      'policy/approxkl': avg(3),
      'policy/clipfrac': avg(2),
      'loss/policy': avg(0),
      'loss/value': avg(1),
      'value/explained_variance': explained,
      'text/length': mean(completions.map((c) => c.replace(/\n$/, '').length)),
    };
  }

  /** The base policy's row: gold and proxy of the normalization batch (drawn with a generator of its own). */
  async evaluate(): Promise<MetricRow> {
    if (!this.normBatch) await this.normalizeReward();
    const { prompts, completions, raw } = this.normBatch!;
    const gold = completions.map((c, b) => this.gold(prompts[b], c));
    this.shown = completions.slice(0, SHOWN_SAMPLES).map((c, b) => ({
      prompt: prompts[b],
      completion: c,
      proxy: this.normalized(raw[b]),
      gold: gold[b],
    }));
    return {
      'gold/mean': mean(gold),
      'proxy/mean': mean(Array.from(raw, (r) => this.normalized(r))),
      'objective/kl': 0,
      'objective/kl_k3': 0,
      'objective/kl_coef': this.kl.beta,
      'text/length': mean(completions.map((c) => c.replace(/\n$/, '').length)),
    };
  }

  async visuals(): Promise<TextVisuals> {
    return { kind: 'text', samples: this.shown.map((r) => ({ ...r })) };
  }

  dispose(): void {
    for (const p of [this.policy, this.reference, this.rm]) disposeParams(p);
    this.policyOpt.dispose();
    this.rmOpt.dispose();
  }
}

