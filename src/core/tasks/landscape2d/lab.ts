// The landscape task's models and math: a Gaussian-mixture policy over the plane and an MLP reward model (or an
// ensemble of them). As a PolicyTask a sample is a row of one action, a point: the algorithms (REINFORCE, RLOO, GRPO,
// DPO, best-of-n) read its log-probabilities under the policy and the reference and the reward model's score.
import { tf, type Tensor } from '../../tf';
import { Rng } from '../../rng';
import type { Experiment } from '../../experiment/parse';
import type { LandscapeExperiment } from './spec';
import { landscape, goldOf, gridPoints, EXTENT, type Landscape } from './landscape';
import { initMlp, mlpApply, type MlpSpec } from '../../models/mlp';
import { initMixture, mixtureLogProb, sampleMixture, type MixtureSpec } from '../../models/gaussian_mixture';
import { disposeParams, makeParams, restoreParams, type Params } from '../../models/params';
import { Adam } from '../../optim';
import { RewardEnsemble, memberName } from '../../models/reward_ensemble';
import { bestOfNPicks } from '../../algos/best_of_n';
import { algorithmOf } from '../../algos/registry';
import { hackingSamples } from '../../analysis/overopt';
import type { Label } from '../../feedback/labelers';
import type { MetricRow } from '../../checkpoint/record';
import type { Candidates, Rollout } from '../../algos/policy_task';
import type { ModelState, TaskLab, TaskState, Proposal, LandscapeVisuals } from '../task_lab';
import { mean, type RewardNorm } from '../../models/reward_norm';
import { policyAgreement } from '../../algos/reward';


/** A batch of the policy's points [x0, y0, ...], one action per row. */
interface PointRollout extends Rollout {
  points: Float32Array;
}

/** Best-of-n candidates: points of the reference policy with each member's normalized score. */
interface PointCandidates extends Candidates {
  points: Float32Array;
  members: Float32Array[];
}

/** Samples on which the reward model's score is normalized to mean 0, std 1 (RLHF.md). */
const NORM_SAMPLES = 1024;
/** The hidden test reward: gold on this many samples drawn with a generator of their own (training never draws from it). */
const TEST_SAMPLES = 256;
const TEST_SEED = 0x7e57;

export function rewardModelSpec(e: Experiment): MlpSpec {
  return { inputs: 2, hidden: e.reward_model.hidden, activation: e.reward_model.activation, input_scale: EXTENT };
}

function mixtureSpec(e: LandscapeExperiment): MixtureSpec {
  return { components: e.policy.components, init_mean: e.policy.init_mean, init_std: e.policy.init_std };
}


/** What the policy's samples are worth: log-probabilities, each member's normalized score and the combined reward. */
interface Scored {
  logp: Float32Array;
  logpRef: Float32Array;
  members: Float32Array[];
  score: Float32Array;
}

export class LandscapeLab implements TaskLab {
  readonly landscape: Landscape;
  readonly experiment: LandscapeExperiment;
  private readonly rmSpec: MlpSpec;
  /** The reward model: an ensemble of MLPs over the plane (one member: the single model). */
  private readonly rm: RewardEnsemble;
  private readonly pi: Params;
  private readonly reference: Params;
  private readonly policyOpt: Adam;
  readonly policy: { params: Params; opt: Adam };

  private constructor(experiment: Experiment, state: TaskState) {
    this.experiment = experiment as LandscapeExperiment;
    this.landscape = landscape(this.experiment.task.landscape);
    this.rmSpec = rewardModelSpec(experiment);
    this.rm = new RewardEnsemble(experiment.reward_model, experiment.seed, { ...this.rmSpec }, (p, x) => mlpApply(this.rmSpec, p, x), state);
    this.pi = makeParams(state.weights.policy);
    this.reference = makeParams(state.weights.reference, false);
    this.policyOpt = new Adam(this.pi, algorithmOf(experiment.optimizer).lr(experiment.optimizer));
    if (state.optimizers) this.policyOpt.load(state.optimizers.policy);
    this.policy = { params: this.pi, opt: this.policyOpt };
  }

  static create(experiment: Experiment, rng: Rng): LandscapeLab {
    const spec = rewardModelSpec(experiment);
    const rmWeights = initMlp(spec, new Rng(rng.seed()));
    const policyWeights = initMixture(mixtureSpec(experiment as LandscapeExperiment), new Rng(rng.seed()));
    const weights: TaskState['weights'] = { reward_model: rmWeights, policy: policyWeights, reference: policyWeights };
    // Further members draw their seeds after the policy's, so a single model starts exactly as it did before ensembles.
    for (let k = 1; k < experiment.reward_model.ensemble; k++) weights[memberName(k)] = initMlp(spec, new Rng(rng.seed()));
    return new LandscapeLab(experiment, { weights, specs: {} });
  }

  static restore(experiment: Experiment, state: TaskState): LandscapeLab {
    return new LandscapeLab(experiment, state);
  }

  /** The normalization of the first member (the single reward model's, when there is one). */
  get rmNorm(): RewardNorm {
    return this.rm.norm;
  }

  models(): Record<string, ModelState> {
    const mix = { ...mixtureSpec(this.experiment) };
    // The checkpoint's order since before ensembles: the (first) reward model, the policy, the reference, further members.
    const [first, ...rest] = Object.entries(this.rm.models());
    return Object.fromEntries([first, ['policy', { params: this.pi, spec: mix }], ['reference', { params: this.reference, spec: mix }], ...rest]);
  }

  optimizers() {
    const [first, ...rest] = Object.entries(this.rm.optimizers());
    return Object.fromEntries([first, ['policy', this.policyOpt], ...rest]);
  }

  /**
   * Two samples of the current policy: the next two draws, or with `query: "disagreement"` the pair among
   * `query_candidates` draws on which the members' win probabilities σ(r_k(a) − r_k(b)) spread most.
   */
  async propose(rng: Rng): Promise<Proposal> {
    const { query, query_candidates: c } = this.experiment.reward_model;
    if (query !== 'disagreement') {
      const pts = await sampleMixture(this.pi, 2, rng);
      return { a: [pts[0], pts[1]], b: [pts[2], pts[3]] };
    }
    const pts = await sampleMixture(this.pi, 2 * c, rng);
    const raw = await this.memberRaw(pts);
    const side = (s: number) => raw.map((r) => Float32Array.from({ length: c }, (_, i) => r[2 * i + s]));
    const i = this.rm.mostDisputed(side(0), side(1));
    return { a: [pts[4 * i], pts[4 * i + 1]], b: [pts[4 * i + 2], pts[4 * i + 3]] };
  }

  labelerReward(_labeler: unknown, p: Proposal, side: 'a' | 'b'): number {
    const [x, y] = p[side] as [number, number];
    return this.landscape.gold(x, y);
  }

  /** One Bradley-Terry step of every member; a member of an ensemble weighs each label by its bootstrap count. */
  rewardStep(batch: Label[], targets: Float32Array): Tensor {
    const n = batch.length;
    const a = new Float32Array(batch.flatMap((l) => l.a as [number, number]));
    const b = new Float32Array(batch.flatMap((l) => l.b as [number, number]));
    return tf.tidy(() => this.rm.step(tf.tensor2d(a, [n, 2]), tf.tensor2d(b, [n, 2]), batch, targets));
  }

  /** Scores of both sides of labels: the raw model's, or for an ensemble the reward the policy sees. */
  async rewardScores(labels: Label[]) {
    const pa = new Float32Array(labels.flatMap((l) => l.a as [number, number]));
    const pb = new Float32Array(labels.flatMap((l) => l.b as [number, number]));
    const score = async (pts: Float32Array) => this.rm.judged(await this.memberRaw(pts));
    const [a, b] = await Promise.all([score(pa), score(pb)]);
    return { a, b };
  }

  /** Each member's raw score of points [x0, y0, ...], read back at once. */
  private memberRaw(points: Float32Array): Promise<Float32Array[]> {
    return this.rm.raw(() => tf.tensor2d(points, [points.length / 2, 2]));
  }

  // ---- the red team (redteam/attack.ts): probe any point, ascend the proxy's gradient -----------------------

  /** Each member's normalized score, the reward the policy sees (proxy) and the gold reward at points [x0, y0, ...]. */
  async probe(points: Float32Array): Promise<{ members: Float32Array[]; proxy: Float32Array; gold: Float32Array }> {
    const members = this.rm.normalized(await this.memberRaw(points));
    return { members, proxy: this.rm.combined(members), gold: goldOf(this.landscape, points) };
  }

  /** The proxy as a differentiable tensor of points x [n, 2]: shape [n]. */
  proxyTensor(x: Tensor): Tensor {
    return this.rm.combinedTensor(x);
  }

  /** n points of the current policy. */
  policySamples(n: number, rng: Rng): Promise<Float32Array> {
    return sampleMixture(this.pi, n, rng);
  }

  async normalizeReward(): Promise<void> {
    const pts = await sampleMixture(this.pi, NORM_SAMPLES, new Rng(this.experiment.seed ^ 0x5eed));
    this.rm.setNorms(await this.memberRaw(pts));
  }

  /** log π, log π_ref and the reward models on points, in one readback. */
  private async score(points: Float32Array): Promise<Scored> {
    const n = points.length / 2;
    const stacked = tf.tidy(() => {
      const x = tf.tensor2d(points, [n, 2]);
      return tf.concat([tf.stack([mixtureLogProb(this.pi, x), mixtureLogProb(this.reference, x)]), this.rm.rawTensor(x)]);
    });
    const values = (await stacked.data()) as Float32Array;
    stacked.dispose();
    const members = this.rm.normalized(this.rm.split(values.subarray(2 * n), n));
    return { logp: values.slice(0, n), logpRef: values.slice(n, 2 * n), members, score: this.rm.combined(members) };
  }


  /** The hidden test reward: gold on samples drawn with a generator training never touches. */
  private async testGold(params: Params): Promise<number> {
    const pts = await sampleMixture(params, TEST_SAMPLES, new Rng((this.experiment.seed ^ TEST_SEED) >>> 0));
    return mean(goldOf(this.landscape, pts));
  }

  // ---- the policy, as the algorithms see it (algos/policy_task.ts) ----------------------------------------

  /**
   * n points of the policy with log π, log π_ref and the reward model's score, in one readback. Groups (RLOO, GRPO)
   * are k consecutive points: with no prompts, any k draws share a "prompt". The hidden test reward is measured on
   * draws of its own before the update.
   */
  async rollout(n: number, _groupSize: number, rng: Rng): Promise<PointRollout> {
    const points = await sampleMixture(this.pi, n, rng);
    const testGold = await this.testGold(this.pi);
    const { logp, logpRef, members, score } = await this.score(points);
    const gold = goldOf(this.landscape, points);
    return {
      B: n,
      M: 1,
      rowShape: [],
      mask: null,
      logp,
      refLogp: logpRef,
      values: null,
      score,
      stepRewards: null,
      trajectories: Array.from(score, (last, i) => ({ from: i, to: i + 1, last })),
      whiten: 'batch',
      entropy: -mean(logp),
      metrics: { ...pointStats(points, gold), 'test/gold': testGold },
      rmMetrics: { 'proxy/mean': mean(score), 'rm/policy_agreement': policyAgreement(score, gold), ...this.rm.spread(members) },
      points,
    };
  }

  forward(r: PointRollout, rows: number[]) {
    const x = tf.tensor2d(Float32Array.from(rows.flatMap((i) => [r.points[2 * i], r.points[2 * i + 1]])), [rows.length, 2]);
    return { logp: mixtureLogProb(this.pi, x) };
  }

  /** log π(x) of the labels' chosen points, then of their rejected points: a point's "sequence" log-probability. */
  pairLogps(which: 'policy' | 'reference', labels: readonly Label[]): Tensor {
    const side = (l: Label, chosen: boolean) => ((l.answer === 'a') === chosen ? l.a : l.b) as [number, number];
    const pts = [...labels.map((l) => side(l, true)), ...labels.map((l) => side(l, false))];
    return tf.tidy(() => mixtureLogProb(which === 'policy' ? this.pi : this.reference, tf.tensor2d(pts.flat(), [pts.length, 2])));
  }

  /** A point is one action: every completion pairLogps scores has length 1. */
  pairLengths(labels: readonly Label[]): Float32Array {
    return new Float32Array(2 * labels.length).fill(1);
  }

  /** n·groups points of the reference policy with the reward the policy would see. */
  async candidates(n: number, groups: number, rng: Rng): Promise<PointCandidates> {
    const points = await sampleMixture(this.reference, n * groups, rng);
    const { members, score } = await this.score(points);
    return { points, members, score };
  }

  /** Gold of the picks, the members' spread on them, and the hidden test reward: the same picks with its own draws. */
  async describePicks(c: PointCandidates, picks: number[], n: number): Promise<MetricRow> {
    const at = (pts: Float32Array, js: number[]) => Float32Array.from(js.flatMap((j) => [pts[2 * j], pts[2 * j + 1]]));
    const chosen = at(c.points, picks);
    const held = await this.candidates(n, picks.length, new Rng((this.experiment.seed ^ TEST_SEED) >>> 0));
    const heldPicks = at(held.points, bestOfNPicks(held.score, n));
    return {
      ...pointStats(chosen, goldOf(this.landscape, chosen)),
      ...this.rm.spread(c.members.map((s) => Float32Array.from(picks, (j) => s[j]))),
      'test/gold': mean(goldOf(this.landscape, heldPicks)),
    };
  }

  /** Iterated RLHF with rollback: the mixture back at its initial weights, Adam's moments forgotten. */
  rollback(): void {
    restoreParams(this.pi, this.reference);
    this.policyOpt.reset();
  }

  async evaluate(): Promise<MetricRow> {
    const e = this.experiment;
    const algo = algorithmOf(e.optimizer);
    const points = await sampleMixture(this.pi, algo.samples(e.optimizer), new Rng(e.seed ^ 0xe7a1));
    const { logp, members, score } = await this.score(points);
    return {
      ...pointStats(points, goldOf(this.landscape, points)),
      ...(algo.usesRewardModel ? { 'proxy/mean': mean(score) } : {}),
      'objective/kl': 0,
      'objective/kl_k3': 0,
      'objective/kl_coef': orNaN(algo.klCoef(e.optimizer)),
      'objective/entropy': -mean(logp),
      ...this.rm.spread(members),
      'test/gold': await this.testGold(this.pi),
    };
  }

  /**
   * The learned reward on a grid×grid raster and 256 policy samples (drawn with a generator of their own); for an
   * ensemble the members' spread on the raster; with the over-optimization block the samples the reward model
   * overrates most.
   */
  async visuals(iteration: number, grid = 48): Promise<LandscapeVisuals> {
    const onGrid = this.rm.normalized(await this.memberRaw(gridPoints(grid)));
    const samples = await sampleMixture(this.pi, 256, new Rng(iteration + 17));
    const out: LandscapeVisuals = { kind: 'landscape2d', grid, extent: EXTENT, reward: this.rm.combined(onGrid), samples };
    const disagreement = this.rm.std(onGrid);
    if (disagreement) out.disagreement = disagreement;
    const k = this.experiment.overoptimization?.hacking_samples ?? 0;
    if (k > 0) {
      const proxy = this.rm.combined(this.rm.normalized(await this.memberRaw(samples)));
      const gold = goldOf(this.landscape, samples);
      const rows = Array.from(proxy, (p, i) => ({
        label: `(${samples[2 * i].toFixed(2)}, ${samples[2 * i + 1].toFixed(2)})`,
        proxy: p,
        gold: gold[i],
      }));
      out.hacking = hackingSamples(rows, k);
    }
    return out;
  }

  dispose(): void {
    this.rm.dispose();
    disposeParams(this.pi);
    disposeParams(this.reference);
    this.policyOpt.dispose();
  }
}

/** A metric that does not exist for this optimizer (best-of-n has no KL coefficient) is NaN. */
const orNaN = (x: number | undefined) => x ?? Number.NaN;

function pointStats(points: Float32Array, gold: Float32Array): MetricRow {
  let mx = 0;
  let my = 0;
  for (let i = 0; i < points.length; i += 2) {
    mx += points[i];
    my += points[i + 1];
  }
  return { 'gold/mean': mean(gold), 'policy/mean_x': mx / (points.length / 2), 'policy/mean_y': my / (points.length / 2) };
}
