// The text task's models and math: the base character GPT as policy (with a value head), as frozen reference
// π_ref, and as the reward model's backbone (with a scalar head on the last token or the completion's mean). As a PolicyTask a completion is
// a row of token slots: the algorithms (PPO, RLOO, GRPO, DPO, best-of-n) read its per-token log-probabilities, values
// and the reward model's score. One readback of a rollout's numbers per iteration, besides the per-token draws of
// sampling.
import { tf, type Tensor } from '../../tf';
import { Rng } from '../../rng';
import type { Experiment, ExperimentOf } from '../../experiment/parse';
import {
  backboneOf,
  gptHidden,
  gptReward,
  initHead,
  maskedSequenceLogp,
  sampleGpt,
  type GptConfig,
  type Samples,
} from '../../models/gpt';
import { disposeParams, gradsOf, makeParams, restoreParams, type Params } from '../../models/params';
import { Adam } from '../../optim';
import { labelTerms, policyAgreement, stackedBradleyTerryLoss } from '../../algos/reward';
import { LengthControl } from './length_control';
import { algorithmOf } from '../../algos/registry';
import type { Candidates } from '../../algos/policy_task';
import { gptForward, gptRollout, type GptModels, type GptRollout } from './gpt_rollout';
import { inspectCompletion, type TokenInspection } from './inspect';
import { hackingSamples } from '../../analysis/overopt';
import type { Label } from '../../feedback/labelers';
import type { MetricRow } from '../../checkpoint/record';
import type { Assets, Proposal, TaskLab, TaskState, TextSampleRow, TextVisuals } from '../task_lab';
import { mean, normalizeScores, type RewardNorm } from '../../models/reward_norm';
import { BASE_BIN, BASE_JSON, LEXICON, decodeBaseModel, type BaseModel } from './base_model';
import { completionChars, goldReward, labelerBias, type Lexicon } from './gold';
import { BOS, EOS, decode, encode } from './vocab';
import { poolingText } from '../../checkpoint/hf';



type TextExperiment = ExperimentOf<'text'>;

/** A batch of completions: the sampled ids (for the forward pass again), the texts and their gold reward. */
interface TextRollout extends GptRollout {
  prompts: string[];
  completions: string[];
  gold: number[];
}

/** Best-of-n candidates: completions of the reference policy with the reward model's raw score. */
interface TextCandidates extends Candidates {
  prompts: string[];
  completions: string[];
  raw: Float32Array;
}

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
  readonly experiment: TextExperiment;
  private readonly cfg: GptConfig;
  private readonly lexicon: Lexicon;
  private readonly prefixes: number[][];
  private readonly pi: Params;
  private readonly reference: Params;
  private readonly rm: Params;
  private readonly policyOpt: Adam;
  private readonly rmOpt: Adam;
  /** The length covariate's w and its Adam, where the reward model is length-controlled (length_control.ts). */
  private readonly length: LengthControl | null;
  readonly policy: { params: Params; opt: Adam };
  /** The policy, reference and reward model as the shared GPT rollout takes them. */
  private readonly models_: GptModels;
  rmNorm: RewardNorm;
  /** Where the base model came from when it is not the lab's shipped one. */
  private readonly baseSource: string | null;
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
    this.pi = makeParams(state.weights.policy);
    this.reference = makeParams(state.weights.reference, false);
    this.rm = makeParams(state.weights.reward_model);
    this.policyOpt = new Adam(this.pi, algorithmOf(this.experiment.optimizer).lr(this.experiment.optimizer));
    this.policy = { params: this.pi, opt: this.policyOpt };
    this.models_ = { cfg, policy: this.pi, reference: this.reference, rm: this.rm };
    const { head, control } = LengthControl.split(this.rm, this.experiment.reward_model.length_lr);
    this.rmOpt = new Adam(head, this.experiment.reward_model.lr);
    this.length = control;
    if (state.optimizers) {
      this.policyOpt.load(state.optimizers.policy);
      this.rmOpt.load(state.optimizers.reward_model);
      if (this.length && state.optimizers.reward_model_length) this.length.opt.load(state.optimizers.reward_model_length);
    }
    this.rmNorm = (state.specs.reward_model?.norm as RewardNorm) ?? { mean: 0, std: 1 };
    this.shown = (state.specs.policy?.shown as TextSampleRow[] | undefined) ?? [];
    this.baseSource = (state.specs.reference?.base as string | undefined) ?? null;
  }

  /** A new run: policy and reward model start from the base model, with fresh heads from the run's generator. */
  static async create(experiment: Experiment, rng: Rng, assets: Assets): Promise<TextLab> {
    const { base, lexicon } = await loadTextAssets(assets);
    const backbone = backboneOf(base.weights);
    const rmHead = initHead(base.config, 'reward', new Rng(rng.seed()));
    if (experiment.reward_model.length_control) Object.assign(rmHead, LengthControl.initialWeights());
    const valueHead = initHead(base.config, 'value', new Rng(rng.seed()));
    return new TextLab(experiment, base.config, lexicon, {
      weights: { policy: { ...backbone, ...valueHead }, reference: backbone, reward_model: { ...backbone, ...rmHead } },
      // An imported base model is named in the reference's spec, so the Reward Report and model cards say so.
      specs: base.meta.source ? { reference: { base: base.meta.source } } : {},
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
      policy: { params: this.pi, spec: { gpt, shown: this.shown } },
      reference: { params: this.reference, spec: { gpt, ...(this.baseSource ? { base: this.baseSource } : {}) } },
      reward_model: { params: this.rm, spec: { gpt, head: `reward (${poolingText(this.experiment.reward_model.pool)})`, norm: { ...this.rmNorm } } },
    };
  }

  optimizers() {
    return { policy: this.policyOpt, reward_model: this.rmOpt, ...(this.length ? { reward_model_length: this.length.opt } : {}) };
  }

  private sample(promptIdx: number[], rng: Rng, params: Params = this.pi): Promise<Samples> {
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
      const terms = labelTerms(batch, this.experiment.reward_model.center_rewards_coefficient);
      const { value, grads } = gradsOf(this.rm, () => {
        const r = this.rawRewardTensor(pairs);
        return stackedBradleyTerryLoss(this.length ? this.length.fitScore(r, pairs.map(([, c]) => c)) : r, y, terms);
      });
      this.rmOpt.step(grads);
      this.length?.opt.step(grads);
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

  // ---- the red team (redteam/text_attack.ts) --------------------------------------------------------------

  /**
   * Of (prompt, completion) pairs, in one readback: the normalized proxy, the gold reward, and the base model's mean
   * log-likelihood per completion token (the reference's: the plausibility an attack must keep).
   */
  async probeText(pairs: [string, string][]): Promise<{ proxy: Float32Array; gold: Float32Array; logp: Float32Array }> {
    const n = pairs.length;
    const t = tf.tidy(() => tf.concat([this.rawRewardTensor(pairs), this.sequenceLogps(this.reference, pairs)]));
    const v = (await t.data()) as Float32Array;
    t.dispose();
    return {
      proxy: Float32Array.from(v.subarray(0, n), (r) => this.normalized(r)),
      gold: Float32Array.from(pairs, ([p, c]) => this.gold(p, c)),
      // The mask of sequenceLogps covers exactly the completion's characters.
      logp: Float32Array.from(v.subarray(n), (l, i) => l / Math.max(1, pairs[i][1].length)),
    };
  }

  /**
   * The token inspector (inspect.ts): one completion token by token under the current policy, the reference and the
   * reward model, with the per-token rewards built with `beta` (the run's current β) and, where the optimizer uses
   * the value head (PPO), values and GAE advantages with its γ and λ.
   */
  inspect(prompt: string, completion: string, beta: number): Promise<TokenInspection> {
    const o = this.experiment.optimizer;
    const { temperature } = this.experiment.task;
    return inspectCompletion(this.models_, prompt, completion, {
      temperature,
      pool: this.experiment.reward_model.pool,
      normalize: (x) => this.normalized(x),
      beta,
      estimator: 'kl_estimator' in o && o.kl_estimator ? o.kl_estimator : 'k1',
      gae: algorithmOf(o).usesValueHead && 'gamma' in o && 'lam' in o ? { gamma: o.gamma, lam: o.lam } : null,
    });
  }

  /** n (prompt, completion) samples of the current policy, prompts drawn at random. */
  async textSamples(n: number, rng: Rng): Promise<[string, string][]> {
    const idx = Array.from({ length: n }, () => rng.int(this.prefixes.length));
    const s = await this.sample(idx, rng);
    return idx.map((i, b) => [this.experiment.task.prompts[i], completionOf(s, b)]);
  }

  /** Puts the policy back where the run started (iterated RLHF with rollback): base weights, fresh Adam. */
  rollback(): void {
    restoreParams(this.pi, this.reference);
    this.policyOpt.reset();
  }

  // ---- the policy, as the algorithms see it (algos/policy_task.ts) ----------------------------------------

  /**
   * B completions of prompts drawn k at a time (groups of k share a prompt), with what every policy-gradient method
   * needs, in one readback: per-token log π, V and log π_ref over the completions' tokens (mask), entropies, the
   * normalized reward-model score and the gold reward.
   */
  async rollout(B: number, k: number, rng: Rng): Promise<TextRollout> {
    const promptIdx: number[] = [];
    while (promptIdx.length < B) {
      const i = rng.int(this.prefixes.length);
      for (let j = 0; j < k; j++) promptIdx.push(i);
    }
    const { max_new_tokens, temperature, top_k } = this.experiment.task;
    const sampling = { maxNew: max_new_tokens, temperature, topK: top_k, eos: EOS, pool: this.experiment.reward_model.pool };
    const r = await gptRollout(this.models_, promptIdx.map((i) => this.prefixes[i]), sampling, (x) => this.normalized(x), rng);
    const prompts = promptIdx.map((i) => this.experiment.task.prompts[i]);
    const completions = Array.from({ length: B }, (_, b) => completionOf(r.samples, b));
    const gold = completions.map((c, b) => this.gold(prompts[b], c));
    const metrics = { 'gold/mean': mean(gold), 'text/length': meanLength(completions) };
    return { ...r, metrics, rmMetrics: { 'proxy/mean': mean(r.score), 'rm/policy_agreement': policyAgreement(r.score, gold), ...this.length?.coef() }, prompts, completions, gold };
  }

  forward(r: TextRollout, rows: number[], values = false) {
    return gptForward(this.models_, r, rows, this.experiment.task.temperature, values);
  }

  show(r: TextRollout, proxy: ArrayLike<number>): void {
    this.showRows(r.prompts, r.completions, proxy, r.gold);
  }

  /** Sequence log-probabilities log π(completion | prompt) of the labels' chosen, then rejected completions, [2n]. */
  pairLogps(which: 'policy' | 'reference', labels: readonly Label[]): Tensor {
    const side = (l: Label, chosen: boolean) => [l.prompt ?? '', ((l.answer === 'a') === chosen ? l.a : l.b) as string] as [string, string];
    return this.sequenceLogps(which === 'policy' ? this.pi : this.reference, [...labels.map((l) => side(l, true)), ...labels.map((l) => side(l, false))]);
  }

  /** The tokens of pairLogps' completions (one per character, a final line break included), [2n]. */
  pairLengths(labels: readonly Label[]): Float32Array {
    const side = (l: Label, chosen: boolean) => encode(((l.answer === 'a') === chosen ? l.a : l.b) as string).length;
    return Float32Array.from([...labels.map((l) => side(l, true)), ...labels.map((l) => side(l, false))]);
  }

  /** For each of `groups` prompts (cycled), n completions of the reference policy with the reward model's score. */
  async candidates(n: number, groups: number, rng: Rng): Promise<TextCandidates> {
    const idx = Array.from({ length: groups * n }, (_, j) => Math.floor(j / n) % this.prefixes.length);
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
    return { prompts, completions, raw, score: Array.from(raw, (x) => this.normalized(x)) };
  }

  async describePicks(c: TextCandidates, picks: number[]): Promise<MetricRow> {
    const prompts = picks.map((j) => c.prompts[j]);
    const completions = picks.map((j) => c.completions[j]);
    const gold = completions.map((comp, i) => this.gold(prompts[i], comp));
    this.showRows(prompts, completions, picks.map((j) => c.score[j]), gold);
    return { 'gold/mean': mean(gold), 'text/length': meanLength(completions) };
  }

  /** The base policy's row: gold and proxy of the normalization batch (drawn with a generator of its own). */
  /** The latest batch: its first rows go to the sample table, all of it to the reward-hacking panel. */
  private showRows(prompts: string[], completions: string[], score: ArrayLike<number>, gold: number[]): void {
    this.recent = completions.map((c, b) => ({ prompt: prompts[b], completion: c, proxy: score[b], gold: gold[b] }));
    this.shown = this.recent.slice(0, SHOWN_SAMPLES);
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
      'objective/kl_coef': algorithmOf(this.experiment.optimizer).klCoef(this.experiment.optimizer) ?? 0,
      'text/length': meanLength(completions),
    };
  }

  async visuals(): Promise<TextVisuals> {
    const k = this.experiment.overoptimization?.hacking_samples ?? 0;
    const hacking = hackingSamples(this.recent, k).map((r) => ({ label: `${r.prompt}▸${r.completion}`, proxy: r.proxy, gold: r.gold }));
    return { kind: 'text', samples: this.shown.map((r) => ({ ...r })), ...(k > 0 ? { hacking } : {}) };
  }

  dispose(): void {
    for (const p of [this.pi, this.reference, this.rm]) disposeParams(p);
    this.policyOpt.dispose();
    this.rmOpt.dispose();
    this.length?.dispose();
  }
}


/** Mean length of completions in characters (a final line break, which ends a completion, not counted). */
function meanLength(completions: string[]): number {
  return mean(completions.map(completionChars));
}
