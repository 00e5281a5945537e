// The text task's models and math: the base character GPT as policy (with a value head), as frozen reference
// π_ref, and as the reward model's backbone (with a scalar head on the last token); PPO with a per-token KL
// penalty toward π_ref (RLHF.md). One readback of the rollout's numbers and one of the update's statistics per
// iteration, besides the per-token draws of sampling.
import { tf, type Tensor } from '../../tf';
import { Rng } from '../../rng';
import { klCoef, optimizerAs, optimizerLr, type Experiment, type OptimizerOf, type TextExperiment } from '../../experiment/spec';
import {
  backboneOf,
  gptHidden,
  gptReward,
  gptScalarHead,
  initHead,
  maskedSequenceLogp,
  sampleGpt,
  tokenStats,
  type GptConfig,
  type Samples,
} from '../../models/gpt';
import { disposeParams, gradsOf, makeParams, readStacked, restoreParams, stepKeeping, type Params } from '../../models/params';
import { Adam } from '../../optim';
import { stackedBradleyTerryLoss } from '../../algos/reward';
import { explainedVariance, gae, KlController, perTokenKl, ppoPolicyLoss, ppoStep, whiten } from '../../algos/ppo';
import { preferenceMetrics, stackedPreferenceLoss } from '../../algos/dpo';
import { grpoAdvantages, rlooAdvantages } from '../../algos/group';
import { bestOfNKl, bestOfNPicks } from '../../algos/best_of_n';
import { hackingSamples } from '../../analysis/overopt';
import type { Label } from '../../feedback/labelers';
import type { MetricRow } from '../../checkpoint/record';
import type { Assets, PolicyContext, Proposal, TaskLab, TaskState, TextSampleRow, TextVisuals } from '../task_lab';
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

/**
 * Where each row's sampled tokens are predicted: mask [B, N − 1] is 1 at positions start … start + length − 1 (position
 * t predicts token t + 1), and `last` is each row's final token.
 */
function completionMask(s: Samples): { M: number; mask: Float32Array; last: Int32Array } {
  const M = s.N - 1;
  const mask = new Float32Array(s.B * M);
  const last = new Int32Array(s.B);
  for (let b = 0; b < s.B; b++) {
    mask.fill(1, b * M + s.start[b], b * M + s.start[b] + s.length[b]);
    last[b] = s.start[b] + s.length[b];
  }
  return { M, mask, last };
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
  /** Every sample of the latest iteration (not checkpointed: the panel fills again after one iteration). */
  private recent: TextSampleRow[] = [];
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

  private sample(promptIdx: number[], rng: Rng, params: Params = this.policy): Promise<Samples> {
    const { max_new_tokens, temperature, top_k } = this.experiment.task;
    return sampleGpt(
      this.cfg,
      params,
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
    const pairs: [string, string][] = [
      ...batch.map((l) => [l.prompt ?? '', l.a as string] as [string, string]),
      ...batch.map((l) => [l.prompt ?? '', l.b as string] as [string, string]),
    ];
    return tf.tidy(() => {
      const y = tf.tensor1d(targets);
      const { value, grads } = gradsOf(this.rm, () => {
        const r = this.rawRewardTensor(pairs);
        return stackedBradleyTerryLoss(r, y);
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

  /** One iteration of the experiment's optimizer. */
  async policyIteration(rng: Rng, ctx: PolicyContext): Promise<MetricRow> {
    switch (this.experiment.optimizer.algo) {
      case 'ppo':
        return this.ppoIteration(rng);
      case 'rloo':
      case 'grpo':
        return this.groupIteration(rng);
      case 'dpo':
        return this.dpoStep(rng, ctx.labels);
      case 'best_of_n':
        return this.bestOfN(this.experiment.optimizer.n[ctx.stageStep], this.experiment.optimizer.samples, rng);
    }
  }

  /** Puts the policy back where the run started (iterated RLHF with rollback): base weights, fresh Adam, initial β. */
  rollback(): void {
    restoreParams(this.policy, this.reference);
    this.policyOpt.reset();
    this.kl.beta = klCoef(this.experiment) ?? 0;
  }

  /**
   * B completions of prompts drawn k at a time (groups of k share a prompt), with what every policy-gradient method
   * needs, in one readback: per-token log π and log π_ref over the completions' tokens (mask), entropies, the
   * normalized reward-model score and the gold reward.
   */
  private async rollout(B: number, k: number, rng: Rng) {
    const { temperature } = this.experiment.task;
    const promptIdx: number[] = [];
    while (promptIdx.length < B) {
      const i = rng.int(this.prefixes.length);
      for (let j = 0; j < k; j++) promptIdx.push(i);
    }
    const s = await this.sample(promptIdx, rng);
    const { N } = s;
    const { M, mask, last } = completionMask(s);
    const packed = tf.tidy(() => {
      const ids = tf.tensor2d(s.ids, [B, N], 'int32');
      const { logp, entropy } = tokenStats(this.cfg, gptHidden(this.cfg, this.policy, ids), this.policy, ids, temperature);
      const ref = tokenStats(this.cfg, gptHidden(this.cfg, this.reference, ids), this.reference, ids, temperature).logp;
      const score = gptReward(this.cfg, this.rm, ids, last, this.experiment.reward_model.pool, s.start);
      return tf.concat([tf.reshape(logp, [-1]), tf.reshape(entropy, [-1]), tf.reshape(ref, [-1]), score]);
    });
    const all = (await packed.data()) as Float32Array;
    packed.dispose();
    const logp = all.slice(0, B * M);
    const entropy = all.subarray(B * M, 2 * B * M);
    const refLogp = all.subarray(2 * B * M, 3 * B * M);
    const score = Float32Array.from(all.subarray(3 * B * M), (r) => this.normalized(r));
    const klK1 = new Float32Array(B);
    const klK3 = new Float32Array(B);
    for (let b = 0; b < B; b++) {
      const from = b * M + s.start[b];
      const lp = logp.subarray(from, from + s.length[b]);
      const lr = refLogp.subarray(from, from + s.length[b]);
      klK1[b] = perTokenKl(lp, lr, 'k1').reduce((x, y) => x + y, 0);
      klK3[b] = perTokenKl(lp, lr, 'k3').reduce((x, y) => x + y, 0);
    }
    const prompts = promptIdx.map((i) => this.experiment.task.prompts[i]);
    const completions = Array.from({ length: B }, (_, b) => completionOf(s, b));
    const gold = completions.map((c, b) => this.gold(prompts[b], c));
    let entropySum = 0;
    let tokens = 0;
    for (let i = 0; i < mask.length; i++) if (mask[i]) (entropySum += entropy[i]), tokens++;
    return { s, M, mask, logp, refLogp, score, klK1, klK3, prompts, completions, gold, entropy: entropySum / Math.max(tokens, 1) };
  }

  /** The latest batch: its first rows go to the sample table, all of it to the reward-hacking panel. */
  private show(prompts: string[], completions: string[], score: ArrayLike<number>, gold: number[]): void {
    this.recent = completions.map((c, b) => ({ prompt: prompts[b], completion: c, proxy: score[b], gold: gold[b] }));
    this.shown = this.recent.slice(0, SHOWN_SAMPLES);
  }

  /**
   * RLOO or GRPO: k completions per prompt. RLOO: one REINFORCE step with A_i = R_i − mean of the other k − 1, on the
   * KL-penalized sequence reward R_i = r_i − β·Σ_t log(π/π_ref). GRPO: A_i = (r_i − group mean)/group std on every token,
   * the clipped ratio over `epochs` passes, and β·k3 per token as a loss term.
   */
  private async groupIteration(rng: Rng): Promise<MetricRow> {
    const o = this.experiment.optimizer as OptimizerOf<'rloo'> | OptimizerOf<'grpo'>;
    const B = o.batch_size;
    const { temperature } = this.experiment.task;
    const r = await this.rollout(B, o.k, rng);
    const { s, M } = r;
    const seqReward = o.algo === 'rloo' ? Float32Array.from(r.score, (sc, b) => sc - o.kl_coef * r.klK1[b]) : r.score;
    const adv = o.algo === 'rloo' ? rlooAdvantages(seqReward, o.k) : grpoAdvantages(seqReward, o.k);
    const tokenAdv = new Float32Array(B * M);
    for (let b = 0; b < B; b++) tokenAdv.fill(adv[b], b * M, (b + 1) * M);
    const epochs = o.algo === 'grpo' ? o.epochs : 1;
    const stats: Tensor[] = [];
    for (let epoch = 0; epoch < epochs; epoch++) {
      stats.push(
        tf.tidy(() => {
          const shape: [number, number] = [B, M];
          const ids = tf.tensor2d(s.ids, [B, s.N], 'int32');
          const [oldT, refT, advT, maskT] = [r.logp, r.refLogp, tokenAdv, r.mask].map((a) => tf.tensor2d(a, shape));
          return stepKeeping(this.policy, this.policyOpt, () => {
            const { logp } = tokenStats(this.cfg, gptHidden(this.cfg, this.policy, ids), this.policy, ids, temperature);
            if (o.algo === 'rloo') {
              // −(1/B)·Σ_i A_i·Σ_t log π(a_t): the sequence score-function estimator.
              const loss = tf.div(tf.neg(tf.sum(tf.mul(tf.mul(logp, maskT), advT))), B);
              return { loss, stats: [loss, tf.scalar(0)] };
            }
            const pl = ppoPolicyLoss(logp, oldT, advT, maskT, o.clip);
            const logRatioRef = tf.sub(refT, logp);
            const k3 = tf.sub(tf.sub(tf.exp(logRatioRef), logRatioRef), 1);
            const klTerm = tf.div(tf.sum(tf.mul(k3, maskT)), tf.maximum(tf.sum(maskT), 1));
            return { loss: tf.add(pl.policy, tf.mul(klTerm, o.kl_coef)), stats: [pl.policy, pl.clipfrac] };
          });
        }),
      );
    }
    const st = await readStacked(stats);
    this.show(r.prompts, r.completions, r.score, r.gold);
    return {
      'gold/mean': mean(r.gold),
      'proxy/mean': mean(r.score),
      'objective/kl': mean(r.klK1),
      'objective/kl_k3': mean(r.klK3),
      'objective/kl_coef': o.kl_coef,
      'objective/entropy': r.entropy,
      'objective/rlhf_reward': mean(Float32Array.from(r.score, (sc, b) => sc - o.kl_coef * r.klK1[b])),
      'loss/policy': mean(Array.from({ length: epochs }, (_, i) => st[i * 2])),
      ...(o.algo === 'grpo' ? { 'policy/clipfrac': mean(Array.from({ length: epochs }, (_, i) => st[i * 2 + 1])) } : {}),
      'text/length': mean(r.completions.map((c) => c.replace(/\n$/, '').length)),
    };
  }

  /** Sequence log-probabilities log π(completion | prompt) under `params` for each (prompt, completion), [n]. */
  private sequenceLogps(params: Params, pairs: [string, string][]): Tensor {
    const rows = pairs.map(([p, c]) => sequence(p, c));
    const { ids, N } = padded(rows);
    const M = N - 1;
    // Position t predicts token t + 1: the completion's tokens are predicted from positions |prompt| … |row| − 2.
    const mask = new Float32Array(pairs.length * M);
    pairs.forEach(([p], b) => mask.fill(1, b * M + p.length, b * M + rows[b].length - 1));
    return tf.tidy(() => {
      const t = tf.tensor2d(ids, [pairs.length, N], 'int32');
      const m = tf.tensor2d(mask, [pairs.length, M]);
      return maskedSequenceLogp(this.cfg, gptHidden(this.cfg, params, t), params, t, m, this.experiment.task.temperature);
    });
  }

  /**
   * One DPO (IPO, cDPO) step on batch_size comparisons drawn from the run's decisive labels, then eval_samples fresh
   * completions for gold reward and KL. Ties carry no preference for DPO and are left out.
   */
  private async dpoStep(rng: Rng, labels: readonly Label[]): Promise<MetricRow> {
    const o = optimizerAs(this.experiment, 'dpo');
    const decisive = labels.filter((l) => l.answer === 'a' || l.answer === 'b');
    if (decisive.length === 0) throw new Error('DPO needs comparisons with a preferred side; this run has none yet (label some pairs first)');
    const batch = Array.from({ length: o.batch_size }, () => decisive[rng.int(decisive.length)]);
    const chosen = batch.map((l) => [l.prompt ?? '', (l.answer === 'a' ? l.a : l.b) as string] as [string, string]);
    const rejected = batch.map((l) => [l.prompt ?? '', (l.answer === 'a' ? l.b : l.a) as string] as [string, string]);
    const n = batch.length;
    const ref = this.sequenceLogps(this.reference, [...chosen, ...rejected]);
    const out = tf.tidy(() => {
      let kept: Tensor | null = null;
      const { value, grads } = gradsOf(this.policy, () => {
        const lp = this.sequenceLogps(this.policy, [...chosen, ...rejected]);
        kept = tf.keep(tf.concat([lp, ref]));
        return stackedPreferenceLoss(lp, ref, {
          loss: o.loss,
          beta: o.kl_coef,
          labelSmoothing: o.loss === 'cdpo' ? o.label_smoothing : 0,
        });
      });
      this.policyOpt.step(grads);
      const packed = tf.concat([tf.reshape(value, [1]), kept!]);
      kept!.dispose();
      return packed;
    });
    ref.dispose();
    const v = (await out.data()) as Float32Array;
    out.dispose();
    const [loss, lp, rf] = [v[0], v.subarray(1, 1 + 2 * n), v.subarray(1 + 2 * n)];
    const metrics = preferenceMetrics(lp.subarray(0, n), lp.subarray(n), rf.subarray(0, n), rf.subarray(n), o.kl_coef);
    const r = await this.rollout(o.eval_samples, 1, rng);
    // The implicit reward β·log(π/π_ref) of each sample stands in for a reward model in the sample table.
    this.show(r.prompts, r.completions, Array.from(r.klK1, (k) => o.kl_coef * k), r.gold);
    return {
      ...metrics,
      'loss/dpo': loss,
      'gold/mean': mean(r.gold),
      'objective/kl': mean(r.klK1),
      'objective/kl_k3': mean(r.klK3),
      'objective/kl_coef': o.kl_coef,
      'objective/entropy': r.entropy,
      'text/length': mean(r.completions.map((c) => c.replace(/\n$/, '').length)),
    };
  }

  /**
   * Best-of-n of the reference policy on the reward model: for each of `picks` prompts (cycled), n completions, the
   * reward model's favourite kept. KL(best-of-n ‖ π_ref) = log n − (n−1)/n, exact; one metrics row.
   */
  async bestOfN(n: number, picks: number, rng: Rng): Promise<MetricRow> {
    const idx = Array.from({ length: picks * n }, (_, j) => Math.floor(j / n) % this.prefixes.length);
    const prompts = idx.map((i) => this.experiment.task.prompts[i]);
    const completions: string[] = [];
    // Sample in chunks so n = 256 stays within memory.
    const CHUNK = 512;
    for (let from = 0; from < idx.length; from += CHUNK) {
      const part = idx.slice(from, from + CHUNK);
      const s = await this.sample(part, rng, this.reference);
      for (let b = 0; b < part.length; b++) completions.push(completionOf(s, b));
    }
    const raw = await this.scorePairs(prompts.map((p, j) => [p, completions[j]]));
    const best = bestOfNPicks(raw, n);
    const pickPrompts = best.map((j) => prompts[j]);
    const pickCompletions = best.map((j) => completions[j]);
    const proxy = best.map((j) => this.normalized(raw[j]));
    const gold = best.map((j, i) => this.gold(pickPrompts[i], completions[j]));
    this.show(pickPrompts, pickCompletions, proxy, gold);
    return {
      'bon/n': n,
      'objective/kl': bestOfNKl(n),
      'gold/mean': mean(gold),
      'proxy/mean': mean(proxy),
      'text/length': mean(pickCompletions.map((c) => c.replace(/\n$/, '').length)),
    };
  }

  /** One PPO iteration: sample a batch, score it, GAE on the KL-penalized per-token rewards, clipped updates. */
  private async ppoIteration(rng: Rng): Promise<MetricRow> {
    const o = optimizerAs(this.experiment, 'ppo');
    const { temperature } = this.experiment.task;
    const B = o.batch_size;
    const promptIdx = Array.from({ length: B }, () => rng.int(this.prefixes.length));
    const s = await this.sample(promptIdx, rng);
    const { N } = s;
    const { M, mask, last } = completionMask(s);

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
            const forward = () => {
              const h = gptHidden(this.cfg, this.policy, ids);
              const { logp } = tokenStats(this.cfg, h, this.policy, ids, temperature);
              return { logp, values: tf.slice(gptScalarHead(this.cfg, this.policy, 'value', h), [0, 0], shape) };
            };
            return ppoStep(this.policy, this.policyOpt, forward, { oldLogp: lpT, advantages: advT, returns: retT, oldValues: vT, mask: maskT }, o);
          }),
        );
      }
    }
    const st = await readStacked(stats);
    const avg = (j: number) => mean(Array.from({ length: stats.length }, (_, i) => st[i * 4 + j]));

    const klMean = mean(klSeq);
    this.kl.update(klMean, B);
    const prompts = this.experiment.task.prompts;
    const completions = Array.from({ length: B }, (_, b) => completionOf(s, b));
    const gold = completions.map((c, b) => this.gold(prompts[promptIdx[b]], c));
    this.show(promptIdx.map((i) => prompts[i]), completions, score, gold);
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
    const k = this.experiment.overoptimization?.hacking_samples ?? 0;
    const hacking = hackingSamples(this.recent, k).map((r) => ({ label: `${r.prompt}▸${r.completion}`, proxy: r.proxy, gold: r.gold }));
    return { kind: 'text', samples: this.shown.map((r) => ({ ...r })), ...(k > 0 ? { hacking } : {}) };
  }

  dispose(): void {
    for (const p of [this.policy, this.reference, this.rm]) disposeParams(p);
    this.policyOpt.dispose();
    this.rmOpt.dispose();
  }
}

