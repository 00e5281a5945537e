// What every task whose policy is the lab's GPT shares (the text task, the pixels task): the policy (with a value
// head), the frozen reference π_ref and the reward model (the same GPT with a scalar head on the last token or the
// completion's mean), all three from one base model; their optimizers and checkpointed state; the reward model's
// Bradley-Terry step and normalization; and the policy as the algorithms see it (algos/policy_task.ts), a completion
// being a row of token slots. A task brings how its prompts and completions become tokens, its gold reward, its
// own measures and what the tab shows; one readback of a rollout's numbers per iteration, besides sampling's draws.
import { tf, type Tensor } from '../tf';
import { Rng } from '../rng';
import type { Experiment } from '../experiment/parse';
import { backboneOf, gptHidden, gptReward, initHead, maskedSequenceLogp, sampleGpt, type GptConfig, type Samples } from '../models/gpt';
import { disposeParams, gradsOf, makeParams, restoreParams, type Params, type Weights } from '../models/params';
import { Adam } from '../optim';
import { labelTerms, policyAgreement, stackedBradleyTerryLoss } from '../algos/reward';
import { LengthControl } from './text/length_control';
import { algorithmOf } from '../algos/registry';
import type { Candidates } from '../algos/policy_task';
import { gptForward, gptRollout, type GptModels, type GptRollout } from './text/gpt_rollout';
import type { Label } from '../feedback/labelers';
import type { MetricRow } from '../checkpoint/record';
import type { Assets, Proposal, TaskLab, TaskState, TextSampleRow, Visuals } from './task_lab';
import type { LabelerConfig } from '../experiment/parse';
import { mean, normalizeScores, type RewardNorm } from '../models/reward_norm';
import { poolingText } from '../checkpoint/hf';

/** A batch of completions: the sampled ids (for the forward pass again), the completions and their gold reward. */
export interface GptTaskRollout extends GptRollout {
  prompts: string[];
  completions: string[];
  gold: number[];
}

/** Best-of-n candidates: completions of the reference policy with the reward model's raw score. */
export interface GptCandidates extends Candidates {
  prompts: string[];
  completions: string[];
  raw: Float32Array;
}

/** How a task's prompts and completions are tokens, and how it samples them. */
export interface GptCodec {
  /** The prompts each iteration draws from. */
  prompts: readonly string[];
  /** What sampling starts from for a prompt (the text task: BOS and the prompt's characters). */
  prefix(prompt: string): number[];
  /** A completion's tokens. */
  tokens(completion: string): number[];
  /** The completion of row b of a sample batch. */
  completionOf(s: Samples, b: number): string;
  /** The token that ends a completion, and pads rows to one length. */
  eos: number;
  maxNew: number;
  temperature: number;
  topK: number;
}

/** Completions on which the reward model's score is normalized to mean 0, std 1. */
const NORM_SAMPLES = 64;
/** Rows of the live sample table. */
const SHOWN_SAMPLES = 8;

/** Rows padded with EOS to one length, and the index of each row's last token. */
function padded(rows: number[][], eos: number): { ids: Int32Array; N: number; last: Int32Array } {
  const N = Math.max(...rows.map((r) => r.length));
  const ids = new Int32Array(rows.length * N).fill(eos);
  rows.forEach((r, b) => ids.set(r, b * N));
  return { ids, N, last: Int32Array.from(rows, (r) => r.length - 1) };
}

/** `load` run once per host (the tab's fetch, Node's file reader) and kept; a failed load is tried again next time. */
export function oncePerHost<T>(load: (assets: Assets) => Promise<T>): (assets: Assets) => Promise<T> {
  const loaded = new WeakMap<Assets, Promise<T>>();
  return (assets) => {
    let p = loaded.get(assets);
    if (!p) {
      p = load(assets);
      p.catch(() => loaded.delete(assets));
      loaded.set(assets, p);
    }
    return p;
  };
}

/** The weights of a new run: policy and reward model from the base model, with fresh heads from the run's generator. */
export function freshGptWeights(cfg: GptConfig, base: Weights, rng: Rng, lengthControl = false): TaskState['weights'] {
  const backbone = backboneOf(base);
  const rmHead = initHead(cfg, 'reward', new Rng(rng.seed()));
  if (lengthControl) Object.assign(rmHead, LengthControl.initialWeights());
  const valueHead = initHead(cfg, 'value', new Rng(rng.seed()));
  return { policy: { ...backbone, ...valueHead }, reference: backbone, reward_model: { ...backbone, ...rmHead } };
}

export abstract class GptLab implements TaskLab {
  readonly experiment: Experiment;
  protected readonly cfg: GptConfig;
  protected readonly codec: GptCodec;
  protected readonly prefixes: number[][];
  protected readonly pi: Params;
  protected readonly reference: Params;
  protected readonly rm: Params;
  protected readonly policyOpt: Adam;
  protected readonly rmOpt: Adam;
  /** The length covariate's w and its Adam, where the reward model is length-controlled (text/length_control.ts). */
  private readonly length: LengthControl | null;
  readonly policy: { params: Params; opt: Adam };
  /** The policy, reference and reward model as the shared GPT rollout takes them. */
  protected readonly models_: GptModels;
  rmNorm: RewardNorm;
  protected shown: TextSampleRow[] = [];
  /** Every sample of the latest iteration (not checkpointed: the panel fills again after one iteration). */
  protected recent: TextSampleRow[] = [];
  /** The samples of the last normalization: at the start of a run they are also the base policy's evaluation. */
  private normBatch: { prompts: string[]; completions: string[]; raw: Float32Array } | null = null;

  protected constructor(experiment: Experiment, cfg: GptConfig, codec: GptCodec, state: TaskState) {
    this.experiment = experiment;
    this.cfg = cfg;
    this.codec = codec;
    this.prefixes = codec.prompts.map((p) => codec.prefix(p));
    this.pi = makeParams(state.weights.policy);
    this.reference = makeParams(state.weights.reference, false);
    this.rm = makeParams(state.weights.reward_model);
    this.policyOpt = new Adam(this.pi, algorithmOf(experiment.optimizer).lr(experiment.optimizer));
    this.policy = { params: this.pi, opt: this.policyOpt };
    this.models_ = { cfg, policy: this.pi, reference: this.reference, rm: this.rm };
    const { head, control } = LengthControl.split(this.rm, experiment.reward_model.length_lr);
    this.rmOpt = new Adam(head, experiment.reward_model.lr);
    this.length = control;
    if (state.optimizers) {
      this.policyOpt.load(state.optimizers.policy);
      this.rmOpt.load(state.optimizers.reward_model);
      if (this.length && state.optimizers.reward_model_length) this.length.opt.load(state.optimizers.reward_model_length);
    }
    this.rmNorm = (state.specs.reward_model?.norm as RewardNorm) ?? { mean: 0, std: 1 };
    this.shown = (state.specs.policy?.shown as TextSampleRow[] | undefined) ?? [];
  }

  // ---- what each task brings ------------------------------------------------------------------------------

  /** The hidden gold reward of a completion of a prompt. */
  abstract gold(prompt: string, completion: string): number;
  /** The task's own measures of a batch of completions (the text task's mean length), in every row. */
  protected abstract measures(completions: string[]): MetricRow;
  abstract labelerReward(labeler: Extract<LabelerConfig, { kind: 'simulated' }>, p: Proposal, side: 'a' | 'b'): number;
  abstract visuals(iteration: number): Promise<Visuals>;
  /** What the reference's spec carries besides the GPT's shape. */
  protected referenceSpec(): Record<string, unknown> {
    return {};
  }

  // ---- the models ------------------------------------------------------------------------------------------

  models() {
    const gpt = { ...this.cfg };
    return {
      policy: { params: this.pi, spec: { gpt, shown: this.shown } },
      reference: { params: this.reference, spec: { gpt, ...this.referenceSpec() } },
      reward_model: { params: this.rm, spec: { gpt, head: `reward (${poolingText(this.experiment.reward_model.pool)})`, norm: { ...this.rmNorm } } },
    };
  }

  optimizers() {
    return { policy: this.policyOpt, reward_model: this.rmOpt, ...(this.length ? { reward_model_length: this.length.opt } : {}) };
  }

  protected sample(promptIdx: number[], rng: Rng, params: Params = this.pi): Promise<Samples> {
    const { maxNew, temperature, topK, eos } = this.codec;
    return sampleGpt(this.cfg, params, { prefixes: promptIdx.map((i) => this.prefixes[i]), maxNew, temperature, topK, eos }, rng);
  }

  async propose(rng: Rng): Promise<Proposal> {
    const i = rng.int(this.prefixes.length);
    const s = await this.sample([i, i], rng);
    return { prompt: this.codec.prompts[i], a: this.codec.completionOf(s, 0), b: this.codec.completionOf(s, 1) };
  }

  private sequence(prompt: string, completion: string): number[] {
    return [...this.codec.prefix(prompt), ...this.codec.tokens(completion)];
  }

  /** Raw reward-model scores of (prompt, completion) pairs. */
  protected rawRewardTensor(pairs: [string, string][]): Tensor {
    const rows = pairs.map(([p, c]) => this.sequence(p, c));
    const { ids, N, last } = padded(rows, this.codec.eos);
    // Mean pooling reads the completion's tokens (from the last prompt token on).
    const first = Int32Array.from(pairs, ([p]) => this.codec.prefix(p).length - 1);
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
  protected async scorePairs(pairs: [string, string][]): Promise<Float32Array> {
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
    const prompts = idx.map((i) => this.codec.prompts[i]);
    const completions = idx.map((_, b) => this.codec.completionOf(s, b));
    const raw = await this.scorePairs(prompts.map((p, b) => [p, completions[b]]));
    this.rmNorm = normalizeScores(raw);
    this.normBatch = { prompts, completions, raw };
  }

  protected normalized(raw: number): number {
    return (raw - this.rmNorm.mean) / this.rmNorm.std;
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
  async rollout(B: number, k: number, rng: Rng): Promise<GptTaskRollout> {
    const promptIdx: number[] = [];
    while (promptIdx.length < B) {
      const i = rng.int(this.prefixes.length);
      for (let j = 0; j < k; j++) promptIdx.push(i);
    }
    const { maxNew, temperature, topK, eos } = this.codec;
    const sampling = { maxNew, temperature, topK, eos, pool: this.experiment.reward_model.pool };
    const r = await gptRollout(this.models_, promptIdx.map((i) => this.prefixes[i]), sampling, (x) => this.normalized(x), rng);
    const prompts = promptIdx.map((i) => this.codec.prompts[i]);
    const completions = Array.from({ length: B }, (_, b) => this.codec.completionOf(r.samples, b));
    const gold = completions.map((c, b) => this.gold(prompts[b], c));
    const metrics = { 'gold/mean': mean(gold), ...this.measures(completions) };
    const lengthCoef = this.length ? await this.length.coef() : {};
    return { ...r, metrics, rmMetrics: { 'proxy/mean': mean(r.score), 'rm/policy_agreement': policyAgreement(r.score, gold), ...lengthCoef }, prompts, completions, gold };
  }

  forward(r: GptTaskRollout, rows: number[], values = false) {
    return gptForward(this.models_, r, rows, this.codec.temperature, values);
  }

  show(r: GptTaskRollout, proxy: ArrayLike<number>): void {
    this.showRows(r.prompts, r.completions, proxy, r.gold);
  }

  /** Sequence log-probabilities log π(completion | prompt) of the labels' chosen, then rejected completions, [2n]. */
  pairLogps(which: 'policy' | 'reference', labels: readonly Label[]): Tensor {
    const side = (l: Label, chosen: boolean) => [l.prompt ?? '', ((l.answer === 'a') === chosen ? l.a : l.b) as string] as [string, string];
    return this.sequenceLogps(which === 'policy' ? this.pi : this.reference, [...labels.map((l) => side(l, true)), ...labels.map((l) => side(l, false))]);
  }

  /** The tokens of pairLogps' completions, [2n]. */
  pairLengths(labels: readonly Label[]): Float32Array {
    const side = (l: Label, chosen: boolean) => this.codec.tokens(((l.answer === 'a') === chosen ? l.a : l.b) as string).length;
    return Float32Array.from([...labels.map((l) => side(l, true)), ...labels.map((l) => side(l, false))]);
  }

  /** For each of `groups` prompts (cycled), n completions of the reference policy with the reward model's score. */
  async candidates(n: number, groups: number, rng: Rng): Promise<GptCandidates> {
    const idx = Array.from({ length: groups * n }, (_, j) => Math.floor(j / n) % this.prefixes.length);
    const prompts = idx.map((i) => this.codec.prompts[i]);
    const completions: string[] = [];
    // Sample in chunks so n = 256 stays within memory.
    const CHUNK = 512;
    for (let from = 0; from < idx.length; from += CHUNK) {
      const part = idx.slice(from, from + CHUNK);
      const s = await this.sample(part, rng, this.reference);
      for (let b = 0; b < part.length; b++) completions.push(this.codec.completionOf(s, b));
    }
    const raw = await this.scorePairs(prompts.map((p, j) => [p, completions[j]]));
    return { prompts, completions, raw, score: Array.from(raw, (x) => this.normalized(x)) };
  }

  async describePicks(c: GptCandidates, picks: number[]): Promise<MetricRow> {
    const prompts = picks.map((j) => c.prompts[j]);
    const completions = picks.map((j) => c.completions[j]);
    const gold = completions.map((comp, i) => this.gold(prompts[i], comp));
    this.showRows(prompts, completions, picks.map((j) => c.score[j]), gold);
    return { 'gold/mean': mean(gold), ...this.measures(completions) };
  }

  /** The latest batch: its first rows go to the sample table, all of it to the reward-hacking panel. */
  private showRows(prompts: string[], completions: string[], score: ArrayLike<number>, gold: number[]): void {
    this.recent = completions.map((c, b) => ({ prompt: prompts[b], completion: c, proxy: score[b], gold: gold[b] }));
    this.shown = this.recent.slice(0, SHOWN_SAMPLES);
  }

  /** Sequence log-probabilities log π(completion | prompt) under `params` for each (prompt, completion), [n]. */
  protected sequenceLogps(params: Params, pairs: [string, string][]): Tensor {
    const rows = pairs.map(([p, c]) => this.sequence(p, c));
    const { ids, N } = padded(rows, this.codec.eos);
    const M = N - 1;
    // Position t predicts token t + 1: the completion's tokens are predicted from the prompt's last position on.
    const mask = new Float32Array(pairs.length * M);
    pairs.forEach(([p], b) => mask.fill(1, b * M + this.codec.prefix(p).length - 1, b * M + rows[b].length - 1));
    return tf.tidy(() => {
      const t = tf.tensor2d(ids, [pairs.length, N], 'int32');
      const m = tf.tensor2d(mask, [pairs.length, M]);
      return maskedSequenceLogp(this.cfg, gptHidden(this.cfg, params, t), params, t, m, this.codec.temperature);
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
      ...this.measures(completions),
    };
  }

  dispose(): void {
    for (const p of [this.pi, this.reference, this.rm]) disposeParams(p);
    this.policyOpt.dispose();
    this.rmOpt.dispose();
    this.length?.dispose();
  }
}
