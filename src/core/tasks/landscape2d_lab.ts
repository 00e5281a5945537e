// The landscape task's models and math: a Gaussian-mixture policy over the plane, an MLP reward model (or an ensemble
// of them), and the optimizers that make sense on a plane: REINFORCE, RLOO, GRPO and DPO train the policy; best-of-n
// picks among the reference policy's samples.
import { tf, type Tensor } from '../tf';
import { Rng } from '../rng';
import { klCoef, optimizerAs, optimizerLr, type Experiment, type LandscapeExperiment } from '../experiment/spec';
import { landscape, goldOf, gridPoints, EXTENT, type Landscape } from './landscape2d';
import { initMlp, mlpApply, type MlpSpec } from '../models/mlp';
import { initMixture, mixtureLogProb, sampleMixture, type MixtureSpec } from '../models/gaussian_mixture';
import { disposeParams, gradsOf, makeParams, restoreParams, type Params } from '../models/params';
import { Adam } from '../optim';
import { bradleyTerryLoss } from '../algos/reward';
import { argmax, bootstrapWeight, conservativeScore, memberStats, pairDisagreement } from '../algos/ensemble';
import { klEstimate } from '../algos/kl';
import { klPenalizedReward, reinforceLoss, whitenedAdvantages } from '../algos/reinforce';
import { ppoPolicyLoss } from '../algos/ppo';
import { preferenceLoss } from '../algos/dpo';
import { grpoAdvantages, rlooAdvantages } from '../algos/group';
import { bestOfNKl } from '../algos/best_of_n';
import { hackingSamples } from '../analysis/overopt';
import type { Label } from '../feedback/labelers';
import type { MetricRow } from '../checkpoint/record';
import type { TaskLab, TaskState, Proposal, LandscapeVisuals, PolicyContext } from './task_lab';
import { mean, normalizeScores, type RewardNorm } from './reward_norm';

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

/** Checkpoint names of the ensemble's members: `reward_model`, then `reward_model_1`, … (one model: as before ensembles). */
export const memberName = (k: number) => (k === 0 ? 'reward_model' : `reward_model_${k}`);

/** One reward model of the ensemble: its weights, its Adam, its normalization. */
interface Member {
  params: Params;
  opt: Adam;
  norm: RewardNorm;
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
  private readonly experiment: LandscapeExperiment;
  private readonly rmSpec: MlpSpec;
  private readonly members: Member[];
  private readonly policy: Params;
  private readonly reference: Params;
  private readonly policyOpt: Adam;

  private constructor(experiment: Experiment, state: TaskState) {
    this.experiment = experiment as LandscapeExperiment;
    this.landscape = landscape(this.experiment.task.landscape);
    this.rmSpec = rewardModelSpec(experiment);
    this.members = Array.from({ length: experiment.reward_model.ensemble }, (_, k) => {
      const name = memberName(k);
      const params = makeParams(state.weights[name]);
      const opt = new Adam(params, experiment.reward_model.lr);
      if (state.optimizers) opt.load(state.optimizers[name]);
      return { params, opt, norm: (state.specs[name]?.norm as RewardNorm) ?? { mean: 0, std: 1 } };
    });
    this.policy = makeParams(state.weights.policy);
    this.reference = makeParams(state.weights.reference, false);
    this.policyOpt = new Adam(this.policy, optimizerLr(experiment));
    if (state.optimizers) this.policyOpt.load(state.optimizers.policy);
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
    return this.members[0].norm;
  }

  models() {
    const mix = { ...mixtureSpec(this.experiment) };
    const out: ReturnType<TaskLab['models']> = {
      reward_model: { params: this.members[0].params, spec: { ...this.rmSpec, norm: { ...this.members[0].norm } } },
      policy: { params: this.policy, spec: mix },
      reference: { params: this.reference, spec: mix },
    };
    this.members.slice(1).forEach((m, i) => (out[memberName(i + 1)] = { params: m.params, spec: { ...this.rmSpec, norm: { ...m.norm } } }));
    return out;
  }

  optimizers() {
    const out: Record<string, Adam> = { reward_model: this.members[0].opt, policy: this.policyOpt };
    this.members.slice(1).forEach((m, i) => (out[memberName(i + 1)] = m.opt));
    return out;
  }

  /**
   * Two samples of the current policy: the next two draws, or with `query: "disagreement"` the pair among
   * `query_candidates` draws on which the members' win probabilities σ(r_k(a) − r_k(b)) spread most.
   */
  async propose(rng: Rng): Promise<Proposal> {
    const { query, query_candidates: c } = this.experiment.reward_model;
    if (query !== 'disagreement') {
      const pts = await sampleMixture(this.policy, 2, rng);
      return { a: [pts[0], pts[1]], b: [pts[2], pts[3]] };
    }
    const pts = await sampleMixture(this.policy, 2 * c, rng);
    const raw = await this.memberRaw(pts);
    const side = (s: number) => raw.map((r) => Float32Array.from({ length: c }, (_, i) => r[2 * i + s]));
    const i = argmax(pairDisagreement(side(0), side(1)));
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
    const { ensemble, bootstrap } = this.experiment.reward_model;
    const weights = (k: number) =>
      ensemble > 1 && bootstrap ? Float32Array.from(batch, (l) => bootstrapWeight(this.experiment.seed, k, l.id)) : null;
    return tf.tidy(() => {
      const [ta, tb, ty] = [tf.tensor2d(a, [n, 2]), tf.tensor2d(b, [n, 2]), tf.tensor1d(targets)];
      const losses = this.members.map((m, k) => {
        const w = weights(k);
        const tw = w ? tf.tensor1d(w) : undefined;
        const { value, grads } = gradsOf(m.params, () =>
          bradleyTerryLoss(mlpApply(this.rmSpec, m.params, ta), mlpApply(this.rmSpec, m.params, tb), ty, tw),
        );
        m.opt.step(grads);
        return value;
      });
      return losses.length === 1 ? losses[0] : tf.mean(tf.stack(losses));
    });
  }

  /** Scores of both sides of labels: the raw model's, or for an ensemble the reward the policy sees. */
  async rewardScores(labels: Label[]) {
    const pa = new Float32Array(labels.flatMap((l) => l.a as [number, number]));
    const pb = new Float32Array(labels.flatMap((l) => l.b as [number, number]));
    const score = async (pts: Float32Array) => {
      const raw = await this.memberRaw(pts);
      return raw.length === 1 ? raw[0] : this.combined(this.normalized(raw));
    };
    const [a, b] = await Promise.all([score(pa), score(pb)]);
    return { a, b };
  }

  /** Each member's raw score of points [x0, y0, ...], read back at once. */
  private async memberRaw(points: Float32Array): Promise<Float32Array[]> {
    const n = points.length / 2;
    const r = tf.tidy(() => {
      const x = tf.tensor2d(points, [n, 2]);
      return tf.stack(this.members.map((m) => mlpApply(this.rmSpec, m.params, x)));
    });
    const out = (await r.data()) as Float32Array;
    r.dispose();
    return this.members.map((_, k) => out.slice(k * n, (k + 1) * n));
  }

  async normalizeReward(): Promise<void> {
    const pts = await sampleMixture(this.policy, NORM_SAMPLES, new Rng(this.experiment.seed ^ 0x5eed));
    const raw = await this.memberRaw(pts);
    this.members.forEach((m, k) => (m.norm = normalizeScores(raw[k])));
  }

  private normalized(raw: ArrayLike<number>[]): Float32Array[] {
    return raw.map((r, k) => {
      const { mean: m, std } = this.members[k].norm;
      return Float32Array.from(r, (x) => (x - m) / std);
    });
  }

  /** The reward the policy optimizes: the one model's normalized score, or the ensemble's conservative combination. */
  private combined(members: Float32Array[]): Float32Array {
    const { conservative, conservative_lambda } = this.experiment.reward_model;
    return members.length === 1 ? members[0] : conservativeScore(members, conservative, conservative_lambda);
  }

  /** log π, log π_ref and the reward models on points, in one readback. */
  private async score(points: Float32Array): Promise<Scored> {
    const n = points.length / 2;
    const stacked = tf.tidy(() => {
      const x = tf.tensor2d(points, [n, 2]);
      return tf.stack([
        mixtureLogProb(this.policy, x),
        mixtureLogProb(this.reference, x),
        ...this.members.map((m) => mlpApply(this.rmSpec, m.params, x)),
      ]);
    });
    const values = (await stacked.data()) as Float32Array;
    stacked.dispose();
    const members = this.normalized(this.members.map((_, k) => values.subarray((2 + k) * n, (3 + k) * n)));
    return { logp: values.slice(0, n), logpRef: values.slice(n, 2 * n), members, score: this.combined(members) };
  }

  /** The ensemble's spread on these samples (absent for a single model, whose rows stay as they were). */
  private ensembleStd(members: Float32Array[]): MetricRow {
    return members.length > 1 ? { 'rm/ensemble_std': mean(memberStats(members).std) } : {};
  }

  /** The hidden test reward: gold on samples drawn with a generator training never touches. */
  private async testGold(params: Params): Promise<number> {
    const pts = await sampleMixture(params, TEST_SAMPLES, new Rng((this.experiment.seed ^ TEST_SEED) >>> 0));
    return mean(goldOf(this.landscape, pts));
  }

  async policyIteration(rng: Rng, ctx: PolicyContext): Promise<MetricRow> {
    const algo = this.experiment.optimizer.algo;
    if (algo === 'dpo') return this.dpoIteration(rng, ctx);
    if (algo === 'best_of_n') {
      const { n, samples } = optimizerAs(this.experiment, 'best_of_n');
      return this.bestOfN(n[Math.min(ctx.stageStep, n.length - 1)], samples, rng);
    }
    return this.sampledIteration(rng);
  }

  /**
   * REINFORCE, RLOO or GRPO on the normalized reward. A group (RLOO, GRPO) is k consecutive samples: with no prompts,
   * any k draws of the policy share a "prompt".
   *   reinforce: A = whiten(R), R = r − β·logr;   rloo: A_i = R_i − mean of the other k − 1 in the group;
   *   grpo: A_i = (r_i − group mean)/group std, clipped ratio over `epochs` passes, plus β·k3 KL as a loss term.
   */
  private async sampledIteration(rng: Rng): Promise<MetricRow> {
    const opt = this.experiment.optimizer;
    if (opt.algo !== 'reinforce' && opt.algo !== 'rloo' && opt.algo !== 'grpo') throw new Error(`not a sampled optimizer: ${opt.algo}`);
    const { batch_size: n, kl_coef } = opt;
    const points = await sampleMixture(this.policy, n, rng);
    const testGold = await this.testGold(this.policy);
    const { logp, logpRef, members, score } = await this.score(points);
    const logr = Float32Array.from(logp, (lp, i) => lp - logpRef[i]);
    const returns = klPenalizedReward(score, logr, kl_coef);
    const x = tf.tensor2d(points, [n, 2]);
    if (opt.algo === 'grpo') {
      const adv = grpoAdvantages(score, opt.k);
      for (let epoch = 0; epoch < opt.epochs; epoch++) {
        tf.tidy(() => {
          const [a, old, ref, ones] = [tf.tensor1d(adv), tf.tensor1d(logp), tf.tensor1d(logpRef), tf.onesLike(tf.tensor1d(adv))];
          const { grads } = gradsOf(this.policy, () => {
            const lp = mixtureLogProb(this.policy, x);
            const { policy } = ppoPolicyLoss(lp, old, a, ones, opt.clip);
            // k3 = e^(log π_ref − log π) − (log π_ref − log π) − 1, an unbiased KL estimate that is never negative.
            const d = tf.sub(ref, lp);
            return tf.add(policy, tf.mul(tf.mean(tf.sub(tf.sub(tf.exp(d), d), 1)), kl_coef));
          });
          this.policyOpt.step(grads);
        });
      }
    } else {
      const advantages = opt.algo === 'rloo' ? rlooAdvantages(returns, opt.k) : whitenedAdvantages(returns);
      tf.tidy(() => {
        const adv = tf.tensor1d(advantages);
        const { grads } = gradsOf(this.policy, () => reinforceLoss(mixtureLogProb(this.policy, x), adv));
        this.policyOpt.step(grads);
      });
    }
    x.dispose();
    const gold = goldOf(this.landscape, points);
    // Does the reward model order the policy's own samples as the gold reward does? (pairs 0-1, 2-3, ...)
    let agree = 0;
    for (let i = 0; i + 1 < n; i += 2) agree += Number(score[i] > score[i + 1] === gold[i] > gold[i + 1]);
    return {
      ...pointStats(points, gold),
      'proxy/mean': mean(score),
      'objective/kl': klEstimate(logr, 'k1'),
      'objective/kl_k3': klEstimate(logr, 'k3'),
      'objective/kl_coef': kl_coef,
      'objective/entropy': -mean(logp),
      'objective/rlhf_reward': mean(returns),
      'rm/policy_agreement': agree / Math.floor(n / 2),
      ...this.ensembleStd(members),
      'test/gold': testGold,
    };
  }

  /**
   * One DPO step on a batch of the run's decisive comparisons: a point's "sequence" log-probability is log π(x) of
   * the mixture. Needs no reward model (the proxy is not reported). Gold and KL are measured on `eval_samples` draws
   * of the policy before the step, like the sampled optimizers' rows.
   */
  private async dpoIteration(rng: Rng, ctx: PolicyContext): Promise<MetricRow> {
    const opt = optimizerAs(this.experiment, 'dpo');
    const pairs = ctx.labels.filter((l) => l.answer === 'a' || l.answer === 'b');
    const evalPoints = await sampleMixture(this.policy, opt.eval_samples, rng);
    const row: MetricRow = { ...(await this.evalRow(evalPoints)), 'test/gold': await this.testGold(this.policy) };
    if (pairs.length > 0) {
      const B = Math.min(opt.batch_size, pairs.length);
      const batch = Array.from({ length: B }, () => pairs[rng.int(pairs.length)]);
      const chosen = new Float32Array(batch.flatMap((l) => (l.answer === 'a' ? l.a : l.b) as [number, number]));
      const rejected = new Float32Array(batch.flatMap((l) => (l.answer === 'a' ? l.b : l.a) as [number, number]));
      const stacked = tf.tidy(() => {
        const [c, r] = [tf.tensor2d(chosen, [B, 2]), tf.tensor2d(rejected, [B, 2])];
        const [refC, refR] = [mixtureLogProb(this.reference, c), mixtureLogProb(this.reference, r)];
        // the policy's log-probabilities before the step, for the metrics (the loss takes its own, with gradients)
        const logps = [mixtureLogProb(this.policy, c), mixtureLogProb(this.policy, r)];
        const { value, grads } = gradsOf(this.policy, () =>
          preferenceLoss(mixtureLogProb(this.policy, c), mixtureLogProb(this.policy, r), refC, refR, {
            loss: opt.loss,
            beta: opt.kl_coef,
            labelSmoothing: opt.label_smoothing,
          }),
        );
        this.policyOpt.step(grads);
        return tf.concat([tf.stack([...logps, refC, refR]).reshape([-1]), tf.reshape(value, [1])]);
      });
      const v = (await stacked.data()) as Float32Array;
      stacked.dispose();
      const [lc, lr, rc, rr] = [0, 1, 2, 3].map((j) => v.subarray(j * B, (j + 1) * B));
      const rewardC = Float32Array.from(lc, (x, i) => opt.kl_coef * (x - rc[i]));
      const rewardR = Float32Array.from(lr, (x, i) => opt.kl_coef * (x - rr[i]));
      Object.assign(row, {
        'rewards/chosen': mean(rewardC),
        'rewards/rejected': mean(rewardR),
        'rewards/margins': mean(Float32Array.from(rewardC, (c, i) => c - rewardR[i])),
        'rewards/accuracies': mean(Float32Array.from(rewardC, (c, i) => Number(c > rewardR[i]))),
        'logps/chosen': mean(lc),
        'logps/rejected': mean(lr),
        'loss/dpo': v[4 * B],
      });
    }
    return row;
  }

  /** Gold, KL and entropy of the current policy on points it drew. */
  private async evalRow(points: Float32Array): Promise<MetricRow> {
    const { logp, logpRef } = await this.score(points);
    const logr = Float32Array.from(logp, (lp, i) => lp - logpRef[i]);
    return {
      ...pointStats(points, goldOf(this.landscape, points)),
      'objective/kl': klEstimate(logr, 'k1'),
      'objective/kl_k3': klEstimate(logr, 'k3'),
      'objective/kl_coef': orNaN(klCoef(this.experiment)),
      'objective/entropy': -mean(logp),
    };
  }

  /**
   * Best-of-n of the reference policy on the current reward: `samples` groups of n draws, the highest-scoring point of
   * each kept. KL(best-of-n ‖ reference) = log n − (n − 1)/n exactly. `test/gold` repeats it with the held-out generator.
   */
  async bestOfN(n: number, samples: number, rng: Rng): Promise<MetricRow> {
    const pick = async (r: Rng) => {
      const pts = await sampleMixture(this.reference, n * samples, r);
      const { members, score } = await this.score(pts);
      const picks = new Float32Array(2 * samples);
      const proxy = new Float32Array(samples);
      const memberPicks = members.map(() => new Float32Array(samples));
      for (let j = 0; j < samples; j++) {
        const best = j * n + argmax(score.subarray(j * n, (j + 1) * n));
        picks.set([pts[2 * best], pts[2 * best + 1]], 2 * j);
        proxy[j] = score[best];
        members.forEach((s, k) => (memberPicks[k][j] = s[best]));
      }
      return { picks, proxy, memberPicks };
    };
    const { picks, proxy, memberPicks } = await pick(rng);
    const held = await pick(new Rng((this.experiment.seed ^ TEST_SEED) >>> 0));
    return {
      ...pointStats(picks, goldOf(this.landscape, picks)),
      'bon/n': n,
      'proxy/mean': mean(proxy),
      'objective/kl': bestOfNKl(n),
      ...this.ensembleStd(memberPicks),
      'test/gold': mean(goldOf(this.landscape, held.picks)),
    };
  }

  /** Iterated RLHF with rollback: the mixture back at its initial weights, Adam's moments forgotten. */
  rollback(): void {
    restoreParams(this.policy, this.reference);
    this.policyOpt.reset();
  }

  async evaluate(): Promise<MetricRow> {
    const e = this.experiment;
    const n = e.optimizer.algo === 'dpo' ? e.optimizer.eval_samples : e.optimizer.algo === 'best_of_n' ? e.optimizer.samples : e.optimizer.batch_size;
    const points = await sampleMixture(this.policy, n, new Rng(e.seed ^ 0xe7a1));
    const { logp, members, score } = await this.score(points);
    return {
      ...pointStats(points, goldOf(this.landscape, points)),
      ...(e.optimizer.algo === 'dpo' ? {} : { 'proxy/mean': mean(score) }),
      'objective/kl': 0,
      'objective/kl_k3': 0,
      'objective/kl_coef': orNaN(klCoef(e)),
      'objective/entropy': -mean(logp),
      ...this.ensembleStd(members),
      'test/gold': await this.testGold(this.policy),
    };
  }

  /**
   * The learned reward on a grid×grid raster and 256 policy samples (drawn with a generator of their own); for an
   * ensemble the members' spread on the raster; with the over-optimization block the samples the reward model
   * overrates most.
   */
  async visuals(iteration: number, grid = 48): Promise<LandscapeVisuals> {
    const onGrid = this.normalized(await this.memberRaw(gridPoints(grid)));
    const samples = await sampleMixture(this.policy, 256, new Rng(iteration + 17));
    const out: LandscapeVisuals = { kind: 'landscape2d', grid, extent: EXTENT, reward: this.combined(onGrid), samples };
    if (onGrid.length > 1) out.disagreement = memberStats(onGrid).std;
    const k = this.experiment.overoptimization?.hacking_samples ?? 0;
    if (k > 0) {
      const proxy = this.combined(this.normalized(await this.memberRaw(samples)));
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
    for (const m of this.members) {
      disposeParams(m.params);
      m.opt.dispose();
    }
    disposeParams(this.policy);
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
