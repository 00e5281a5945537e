// The landscape task's models and math: a Gaussian-mixture policy over the plane, an MLP reward model,
// REINFORCE on the normalized reward minus the KL penalty.
import { tf } from '../tf';
import { Rng } from '../rng';
import { optimizerAs, optimizerLr, type Experiment, type LandscapeExperiment } from '../experiment/spec';
import { landscape, goldOf, gridPoints, EXTENT, type Landscape } from './landscape2d';
import { initMlp, mlpApply, type MlpSpec } from '../models/mlp';
import { initMixture, mixtureLogProb, sampleMixture, type MixtureSpec } from '../models/gaussian_mixture';
import { disposeParams, gradsOf, makeParams, restoreParams, type Params } from '../models/params';
import { Adam } from '../optim';
import { bradleyTerryLoss } from '../algos/reward';
import { klEstimate } from '../algos/kl';
import { klPenalizedReward, reinforceLoss, whitenedAdvantages } from '../algos/reinforce';
import type { Label } from '../feedback/labelers';
import type { MetricRow } from '../checkpoint/record';
import type { TaskLab, TaskState, Proposal, LandscapeVisuals } from './task_lab';
import { mean, normalizeScores, type RewardNorm } from './reward_norm';



/** Samples on which the reward model's score is normalized to mean 0, std 1 (RLHF.md). */
const NORM_SAMPLES = 1024;

export function rewardModelSpec(e: Experiment): MlpSpec {
  return { inputs: 2, hidden: e.reward_model.hidden, activation: e.reward_model.activation, input_scale: EXTENT };
}

function mixtureSpec(e: LandscapeExperiment): MixtureSpec {
  return { components: e.policy.components, init_mean: e.policy.init_mean, init_std: e.policy.init_std };
}

export class LandscapeLab implements TaskLab {
  readonly landscape: Landscape;
  private readonly experiment: LandscapeExperiment;
  private readonly rmSpec: MlpSpec;
  private readonly rm: Params;
  private readonly policy: Params;
  private readonly reference: Params;
  private readonly rmOpt: Adam;
  private readonly policyOpt: Adam;
  rmNorm: RewardNorm;

  private constructor(experiment: Experiment, state: TaskState) {
    this.experiment = experiment as LandscapeExperiment;
    this.landscape = landscape(this.experiment.task.landscape);
    this.rmSpec = rewardModelSpec(experiment);
    this.rm = makeParams(state.weights.reward_model);
    this.policy = makeParams(state.weights.policy);
    this.reference = makeParams(state.weights.reference, false);
    this.rmOpt = new Adam(this.rm, experiment.reward_model.lr);
    this.policyOpt = new Adam(this.policy, optimizerLr(experiment));
    if (state.optimizers) {
      this.rmOpt.load(state.optimizers.reward_model);
      this.policyOpt.load(state.optimizers.policy);
    }
    this.rmNorm = (state.specs.reward_model?.norm as RewardNorm) ?? { mean: 0, std: 1 };
  }

  static create(experiment: Experiment, rng: Rng): LandscapeLab {
    const rmWeights = initMlp(rewardModelSpec(experiment), new Rng(rng.seed()));
    const policyWeights = initMixture(mixtureSpec(experiment as LandscapeExperiment), new Rng(rng.seed()));
    return new LandscapeLab(experiment, {
      weights: { reward_model: rmWeights, policy: policyWeights, reference: policyWeights },
      specs: {},
    });
  }

  static restore(experiment: Experiment, state: TaskState): LandscapeLab {
    return new LandscapeLab(experiment, state);
  }

  models() {
    const mix = { ...mixtureSpec(this.experiment) };
    return {
      reward_model: { params: this.rm, spec: { ...this.rmSpec, norm: { ...this.rmNorm } } },
      policy: { params: this.policy, spec: mix },
      reference: { params: this.reference, spec: mix },
    };
  }

  optimizers() {
    return { reward_model: this.rmOpt, policy: this.policyOpt };
  }

  async propose(rng: Rng): Promise<Proposal> {
    const pts = await sampleMixture(this.policy, 2, rng);
    return { a: [pts[0], pts[1]], b: [pts[2], pts[3]] };
  }

  labelerReward(_labeler: unknown, p: Proposal, side: 'a' | 'b'): number {
    const [x, y] = p[side] as [number, number];
    return this.landscape.gold(x, y);
  }

  rewardStep(batch: Label[], targets: Float32Array) {
    const n = batch.length;
    const a = new Float32Array(batch.flatMap((l) => l.a as [number, number]));
    const b = new Float32Array(batch.flatMap((l) => l.b as [number, number]));
    return tf.tidy(() => {
      const [ta, tb, ty] = [tf.tensor2d(a, [n, 2]), tf.tensor2d(b, [n, 2]), tf.tensor1d(targets)];
      const { value, grads } = gradsOf(this.rm, () =>
        bradleyTerryLoss(mlpApply(this.rmSpec, this.rm, ta), mlpApply(this.rmSpec, this.rm, tb), ty),
      );
      this.rmOpt.step(grads);
      return value;
    });
  }

  async rewardScores(labels: Label[]) {
    const pa = new Float32Array(labels.flatMap((l) => l.a as [number, number]));
    const pb = new Float32Array(labels.flatMap((l) => l.b as [number, number]));
    const [a, b] = await Promise.all([this.rawReward(pa), this.rawReward(pb)]);
    return { a, b };
  }

  /** Raw reward-model scores of points [x0, y0, ...]. */
  private async rawReward(points: Float32Array): Promise<Float32Array> {
    const r = tf.tidy(() => mlpApply(this.rmSpec, this.rm, tf.tensor2d(points, [points.length / 2, 2])));
    const out = (await r.data()) as Float32Array;
    r.dispose();
    return out;
  }

  async normalizeReward(): Promise<void> {
    const pts = await sampleMixture(this.policy, NORM_SAMPLES, new Rng(this.experiment.seed ^ 0x5eed));
    this.rmNorm = normalizeScores(await this.rawReward(pts));
  }

  private normalized(raw: ArrayLike<number>): Float32Array {
    return Float32Array.from(raw, (r) => (r - this.rmNorm.mean) / this.rmNorm.std);
  }

  /** REINFORCE on R = normalized r_RM − kl_coef·logr. */
  async policyIteration(rng: Rng): Promise<MetricRow> {
    const { batch_size: n, kl_coef } = optimizerAs(this.experiment, 'reinforce');
    const points = await sampleMixture(this.policy, n, rng);
    const x = tf.tensor2d(points, [n, 2]);
    // One readback for everything the update needs: log π, log π_ref and the reward model's score.
    const stacked = tf.tidy(() =>
      tf.stack([mixtureLogProb(this.policy, x), mixtureLogProb(this.reference, x), mlpApply(this.rmSpec, this.rm, x)]),
    );
    const values = (await stacked.data()) as Float32Array;
    stacked.dispose();
    const logp = values.subarray(0, n);
    const logpRef = values.subarray(n, 2 * n);
    const score = this.normalized(values.subarray(2 * n));
    const logr = Float32Array.from(logp, (lp, i) => lp - logpRef[i]);
    const returns = klPenalizedReward(score, logr, kl_coef);
    const advantages = whitenedAdvantages(returns);
    tf.tidy(() => {
      const adv = tf.tensor1d(advantages);
      const { grads } = gradsOf(this.policy, () => reinforceLoss(mixtureLogProb(this.policy, x), adv));
      this.policyOpt.step(grads);
    });
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
    };
  }

  /** Iterated RLHF with rollback: the mixture back at its initial weights, Adam's moments forgotten. */
  rollback(): void {
    restoreParams(this.policy, this.reference);
    this.policyOpt.reset();
  }

  async evaluate(): Promise<MetricRow> {
    const n = optimizerAs(this.experiment, 'reinforce').batch_size;
    const points = await sampleMixture(this.policy, n, new Rng(this.experiment.seed ^ 0xe7a1));
    const r = await this.rawReward(points);
    const logp = tf.tidy(() => mixtureLogProb(this.policy, tf.tensor2d(points, [n, 2])));
    const lp = await logp.data();
    logp.dispose();
    return {
      ...pointStats(points, goldOf(this.landscape, points)),
      'proxy/mean': mean(this.normalized(r)),
      'objective/kl': 0,
      'objective/kl_k3': 0,
      'objective/kl_coef': optimizerAs(this.experiment, 'reinforce').kl_coef,
      'objective/entropy': -mean(lp),
    };
  }

  /** The learned reward on a grid×grid raster and 256 policy samples (drawn with a generator of their own). */
  async visuals(iteration: number, grid = 48): Promise<LandscapeVisuals> {
    const reward = this.normalized(await this.rawReward(gridPoints(grid)));
    const samples = await sampleMixture(this.policy, 256, new Rng(iteration + 17));
    return { kind: 'landscape2d', grid, extent: EXTENT, reward, samples };
  }

  dispose(): void {
    for (const p of [this.rm, this.policy, this.reference]) disposeParams(p);
    this.rmOpt.dispose();
    this.policyOpt.dispose();
  }
}

function pointStats(points: Float32Array, gold: Float32Array): MetricRow {
  let mx = 0;
  let my = 0;
  for (let i = 0; i < points.length; i += 2) {
    mx += points[i];
    my += points[i + 1];
  }
  return { 'gold/mean': mean(gold), 'policy/mean_x': mx / (points.length / 2), 'policy/mean_y': my / (points.length / 2) };
}
