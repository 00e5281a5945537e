// The control task's models and math (Christiano et al. 2017 in miniature): an MLP policy and value function
// trained with PPO (algos/ppo.ts) on a reward model over (observation, action), itself an ensemble fit to
// comparisons of trajectory segments by Bradley-Terry on the segments' summed rewards. With task.true_reward the
// same PPO runs on the environment's own reward instead: the line learning from comparisons aims at. As a PolicyTask
// a rollout is one row per environment step, its episodes given as trajectories over consecutive rows.
//
// Rollouts run on the host: the policy's weights are read back once per rollout and the tiny MLP is evaluated in
// plain TypeScript per step (models/mlp_host.ts). Everything the update needs (log π, V, the reward model's
// per-step scores) then comes from one batched forward pass and one readback.
//
// A fall ends a cart-pole episode; after it the pole lies where it fell. Segments show that pose until they end
// (action −1, true reward 0), and PPO sees the fall the same way: an absorbing state worth the reward model's
// (normalized) reward of the fallen pose for each step the episode had left. On the true reward that is 0 per
// step, as the environment's own return counts it.
import { tf, type Tensor } from '../../tf';
import { Rng } from '../../rng';
import type { Experiment, ExperimentOf, LabelerConfig } from '../../experiment/parse';
import { initMlp, mlpForward, type MlpSpec } from '../../models/mlp';
import { disposeParams, makeParams, readWeights, type Params, type Weights } from '../../models/params';
import { Adam } from '../../optim';
import { RewardEnsemble } from '../../models/reward_ensemble';
import type { Rollout } from '../../algos/policy_task';
import type { Label, Segment } from '../../feedback/labelers';
import type { MetricRow } from '../../checkpoint/record';
import type { ControlVisuals, ModelState, Proposal, TaskLab, TaskState } from '../task_lab';
import { mean, type RewardNorm } from '../../models/reward_norm';
import type { ControlEnv } from './envs';
import { actionLogProb, actionWidth, features, makeEnv, part, prefixed, runEpisodes, segmentAt, segmentFeatures, storedActionWidth, evaluationEpisodes, type Stream } from './episodes';

type ControlExperiment = ExperimentOf<'control'> & { policy: { kind: 'mlp'; hidden: number[]; activation: 'relu' | 'tanh' }; optimizer: { algo: 'ppo'; lr: number } };

/** A rollout's steps: observations and drawn actions (for the forward pass again) beside the algorithms' arrays. */
interface StepRollout extends Rollout {
  obs: Float32Array;
  drawn: Float32Array;
}

/** Episodes of the fixed evaluation rollout behind env/true_return (the same start states every iteration). */
const EVAL_EPISODES = 8;
/** Environments × steps of the rollout that query segments are cut from (one per policy version). */
const POOL_ENVS = 8;
const POOL_STEPS = 160;
/** Steps of the rollout the reward model is normalized over. */
const NORM_STEPS = 1024;
/** Frames of the latest policy's clip. */
const CLIP_FRAMES = 500;

interface SubParams {
  pi: Params;
  v: Params;
}

export class ControlLab implements TaskLab {
  readonly env: ControlEnv;
  readonly experiment: ControlExperiment;
  private readonly piSpec: MlpSpec;
  private readonly vSpec: MlpSpec;
  readonly rmSpec: MlpSpec;
  private readonly pi: Params;
  private readonly parts: SubParams;
  /** The reward model: an ensemble of MLPs over (observation, action), summed over a segment (one member: the single model). */
  private readonly rm: RewardEnsemble;
  private readonly policyOpt: Adam;
  readonly policy: { params: Params; opt: Adam };
  /** Policy iterations done: the policy's version (query pools and clips are drawn per version). */
  private version: number;
  /** Environment steps of all PPO rollouts so far. */
  private envSteps: number;
  private pool: { version: number; streams: Stream[]; starts: [number, number][] } | null = null;
  private clip: { frames: number[]; trueReturn: number; iteration: number; steps: Segment } | null = null;

  private constructor(experiment: Experiment, state: TaskState) {
    this.experiment = experiment as ControlExperiment;
    this.env = makeEnv(this.experiment.task.env);
    const specs = ControlLab.specs(this.experiment, this.env);
    this.piSpec = specs.pi;
    this.vSpec = specs.v;
    this.rmSpec = specs.rm;
    this.pi = makeParams(state.weights.policy);
    this.parts = { pi: part(this.pi, 'pi.'), v: part(this.pi, 'v.') };
    const rmSpec = this.rmSpec;
    this.rm = new RewardEnsemble(this.experiment.reward_model, this.experiment.seed, { ...rmSpec }, (p, x) => tf.reshape(mlpForward(rmSpec, p, x), [-1]), state);
    this.policyOpt = new Adam(this.pi, this.experiment.optimizer.lr);
    this.policy = { params: this.pi, opt: this.policyOpt };
    if (state.optimizers) this.policyOpt.load(state.optimizers.policy);
    const ps = state.specs.policy ?? {};
    this.version = typeof ps.version === 'number' ? ps.version : 0;
    this.envSteps = typeof ps.env_steps === 'number' ? ps.env_steps : 0;
  }

  /** The first member's normalization (the single reward model's, when there is one). */
  get rmNorm(): RewardNorm {
    return this.rm.norm;
  }

  private static specs(e: ControlExperiment, env: ControlEnv): { pi: MlpSpec; v: MlpSpec; rm: MlpSpec } {
    const { hidden, activation } = e.policy;
    const outputs = env.action.kind === 'discrete' ? env.action.n : env.action.size;
    return {
      pi: { inputs: env.obsSize, hidden, activation, input_scale: 1, outputs },
      v: { inputs: env.obsSize, hidden, activation, input_scale: 1 },
      rm: { inputs: env.obsSize + actionWidth(env), hidden: e.reward_model.hidden, activation: e.reward_model.activation, input_scale: 1 },
    };
  }

  static create(experiment: Experiment, rng: Rng): ControlLab {
    const e = experiment as ControlExperiment;
    const env = makeEnv(e.task.env);
    const s = ControlLab.specs(e, env);
    const pi = initMlp(s.pi, new Rng(rng.seed()));
    // A near-uniform first policy (CleanRL scales the last policy layer by 0.01).
    const last = pi[`w${s.pi.hidden.length}`];
    last.data = last.data.map((x) => x * 0.01);
    const v = initMlp(s.v, new Rng(rng.seed()));
    const policy: Weights = { ...prefixed(pi, 'pi.'), ...prefixed(v, 'v.') };
    if (env.action.kind === 'continuous') policy.log_std = { shape: [env.action.size], data: new Float32Array(env.action.size) };
    const rm = RewardEnsemble.init(e.reward_model.ensemble, (r) => initMlp(s.rm, r), rng);
    return new ControlLab(e, { weights: { policy, ...rm }, specs: {} });
  }

  static restore(experiment: Experiment, state: TaskState): ControlLab {
    return new ControlLab(experiment, state);
  }

  models(): Record<string, ModelState> {
    return {
      policy: { params: this.pi, spec: { pi: { ...this.piSpec }, v: { ...this.vSpec }, version: this.version, env_steps: this.envSteps } },
      ...this.rm.models(),
    };
  }

  optimizers() {
    return { policy: this.policyOpt, ...this.rm.optimizers() };
  }

  // ---- rollouts -------------------------------------------------------------------------------------------

  /** The policy's weights, read back once for a host rollout. */
  private policyWeights(): Promise<Weights> {
    return readWeights(this.pi);
  }

  // ---- segments and queries -------------------------------------------------------------------------------

  private async queryPool(): Promise<NonNullable<ControlLab['pool']>> {
    if (this.pool && this.pool.version === this.version) return this.pool;
    const rng = new Rng((this.experiment.seed ^ 0x9e37) + this.version * 7919);
    const streams = runEpisodes(this.experiment.task.env, this.piSpec, await this.policyWeights(), POOL_ENVS, POOL_STEPS, rng);
    const K = this.experiment.task.segment_steps;
    const starts: [number, number][] = [];
    streams.forEach((s, e) => {
      for (let t = 0; t < s.obs.length; t++) if (segmentAt(this.env, this.experiment.task.env, s, t, K)) starts.push([e, t]);
    });
    this.pool = { version: this.version, streams, starts };
    return this.pool;
  }

  /** n segments of the current policy, drawn from its query pool. */
  async policySegments(n: number, rng: Rng): Promise<Segment[]> {
    const pool = await this.queryPool();
    const K = this.experiment.task.segment_steps;
    if (pool.starts.length === 0) throw new Error(`no ${K}-step segment fits the policy's rollouts (segment_steps is longer than an episode)`);
    return Array.from({ length: n }, () => {
      const [e, t] = pool.starts[rng.int(pool.starts.length)];
      return segmentAt(this.env, this.experiment.task.env, pool.streams[e], t, K)!;
    });
  }

  /** Two segments of the current policy; with query "disagreement", the candidate pair the ensemble is least sure of. */
  async propose(rng: Rng): Promise<Proposal> {
    const rm = this.experiment.reward_model;
    const pairs = rm.query === 'disagreement' ? rm.query_candidates : 1;
    const cands: { a: Segment; b: Segment }[] = [];
    for (let i = 0; i < pairs; i++) {
      const [a, b] = await this.policySegments(2, rng);
      cands.push({ a, b });
    }
    if (pairs === 1) return cands[0];
    const sums = await this.memberSums([...cands.map((c) => c.a), ...cands.map((c) => c.b)]);
    const pick = this.rm.mostDisputed(sums.map((s) => s.subarray(0, pairs)), sums.map((s) => s.subarray(pairs)));
    return cands[pick];
  }

  /** The segment's true return as a simulated labeler judges it: all its steps, or only the last myopic_steps. */
  labelerReward(labeler: Extract<LabelerConfig, { kind: 'simulated' }>, p: Proposal, side: 'a' | 'b'): number {
    const r = (p[side] as Segment).reward;
    const k = labeler.myopic_steps ?? 0;
    return r.slice(k > 0 ? Math.max(0, r.length - k) : 0).reduce((x, y) => x + y, 0);
  }

  // ---- the reward model -----------------------------------------------------------------------------------

  /** Reward-model inputs of segments, step by step: [segments × steps, obs + action features]. */
  private segmentInputs(segs: Segment[]): Float32Array {
    return segmentFeatures(this.env, segs, this.experiment.task.segment_steps, this.rmSpec.inputs);
  }

  /** A member's per-step rewards summed over each segment of K steps: [segments]. */
  private segmentSum(n: number): (perStep: Tensor) => Tensor {
    return (r) => tf.sum(tf.reshape(r, [n, this.experiment.task.segment_steps]), 1);
  }

  /** Each member's summed reward of each segment: sums[k][i]. One readback. */
  private memberSums(segs: Segment[]): Promise<Float32Array[]> {
    const K = this.experiment.task.segment_steps;
    return this.rm.raw(() => tf.tensor2d(this.segmentInputs(segs), [segs.length * K, this.rmSpec.inputs]), this.segmentSum(segs.length));
  }

  /**
   * One Bradley-Terry step of every member on the segments' summed rewards, each member weighting label i by its
   * bootstrap count (ensemble.ts). Returns the members' mean loss.
   */
  rewardStep(batch: Label[], targets: Float32Array): Tensor {
    const n = batch.length;
    const K = this.experiment.task.segment_steps;
    const [xa, xb] = [batch.map((l) => l.a as Segment), batch.map((l) => l.b as Segment)].map((segs) => this.segmentInputs(segs));
    return tf.tidy(() => {
      const [ta, tb] = [xa, xb].map((x) => tf.tensor2d(x, [n * K, this.rmSpec.inputs]));
      return this.rm.step(ta, tb, batch, targets, this.segmentSum(n));
    });
  }

  async rewardScores(labels: Label[]) {
    const n = labels.length;
    if (n === 0) return { a: new Float32Array(0), b: new Float32Array(0) };
    const judged = this.rm.judged(await this.memberSums([...labels.map((l) => l.a as Segment), ...labels.map((l) => l.b as Segment)]));
    return { a: judged.slice(0, n), b: judged.slice(n) };
  }

  /** The reward the policy sees per step: the ensemble's normalized, conservative score of (s, a), from raw [K·n]. */
  private combine(raw: Float32Array, n: number): Float32Array {
    return this.rm.combined(this.rm.normalized(this.rm.split(raw, n)));
  }

  /** The red team's proxy of segments (redteam/segment_attack.ts): the reward the policy sees per step, summed over each. */
  async probeSegments(segs: Segment[]): Promise<Float32Array> {
    const K = this.experiment.task.segment_steps;
    const perStep = await this.stepProxy(this.segmentInputs(segs), segs.length * K);
    return Float32Array.from(segs, (_, i) => perStep.subarray(i * K, (i + 1) * K).reduce((a, b) => a + b, 0));
  }

  /** The reward the policy sees at each of `steps` rows of reward-model inputs (normalized; an ensemble's combined score). */
  private async stepProxy(inputs: Float32Array, steps: number): Promise<Float32Array> {
    if (steps === 0) return new Float32Array(0); // an empty tensor reads back as a plain array
    return this.rm.combined(this.rm.normalized(await this.rm.raw(() => tf.tensor2d(inputs, [steps, this.rmSpec.inputs]))));
  }

  async normalizeReward(): Promise<void> {
    if (this.experiment.task.true_reward) return;
    const envs = 8;
    const streams = runEpisodes(this.experiment.task.env, this.piSpec, await this.policyWeights(), envs, NORM_STEPS / envs, new Rng(this.experiment.seed ^ 0x5eed));
    const steps = streams.flatMap((s) => s.obs.map((o, t) => ({ o, a: s.act[t] })));
    const x = new Float32Array(steps.length * this.rmSpec.inputs);
    steps.forEach((s, i) => features(this.env, s.o, s.a, x, i * this.rmSpec.inputs));
    this.rm.setNorms(await this.rm.raw(() => tf.tensor2d(x, [steps.length, this.rmSpec.inputs])));
  }

  // ---- the policy ---------------------------------------------------------------------------------------

  /** log π(a|s) and the policy's entropy per row, for observations [n, obs] and drawn actions [n, stored width]. */
  private logProb(obs: Tensor, drawn: Tensor): { logp: Tensor; entropy: Tensor } {
    return actionLogProb(this.env.action, mlpForward(this.piSpec, this.parts.pi, obs), this.pi.log_std, drawn);
  }

  private value(obs: Tensor): Tensor {
    return tf.tidy(() => tf.reshape(mlpForward(this.vSpec, this.parts.v, obs), [-1]));
  }

  // ---- the policy, as the algorithms see it (algos/policy_task.ts) ----------------------------------------

  /**
   * `envs` environments side by side for rollout_steps steps in all, scored in one batched forward pass and one
   * readback (log π, V of the steps and of each episode's end, the reward model on every row); each episode piece is a
   * trajectory, ending in a fall, at the step limit, or at the rollout's cut.
   */
  async rollout(envs: number, _groupSize: number, rng: Rng): Promise<StepRollout> {
    const { rollout_steps, true_reward } = this.experiment.task;
    const E = envs;
    const streams = runEpisodes(this.experiment.task.env, this.piSpec, await this.policyWeights(), E, rollout_steps / E, new Rng(rng.seed()));
    const N = rollout_steps;
    const O = this.env.obsSize;
    const D = storedActionWidth(this.env);
    const W = this.rmSpec.inputs;
    // Rows: every step; then, per episode end or cut, the observation after it (for V and the fallen pose's reward).
    const ends: { e: number; t: number; row: number }[] = [];
    streams.forEach((s, e) => s.after.forEach((_, t) => ends.push({ e, t, row: N + ends.length })));
    const rows = N + ends.length;
    const obs = new Float32Array(rows * O);
    const drawn = new Float32Array(N * D);
    const x = new Float32Array(rows * W);
    const noAction = new Array(D).fill(-1);
    let i = 0;
    for (const s of streams) {
      for (let t = 0; t < s.obs.length; t++, i++) {
        obs.set(s.obs[t], i * O);
        drawn.set(s.drawn[t], i * D);
        features(this.env, s.obs[t], s.act[t], x, i * W);
      }
    }
    for (const { e, t, row } of ends) {
      const after = streams[e].after.get(t)!;
      obs.set(after, row * O);
      features(this.env, after, noAction, x, row * W);
    }

    // One readback: log π, V (steps and ends), and the reward model's members on every row.
    const packed = tf.tidy(() => {
      const obsT = tf.tensor2d(obs, [rows, O]);
      const { logp } = this.logProb(tf.slice(obsT, [0, 0], [N, O]), tf.tensor2d(drawn, [N, D]));
      const parts = [logp, this.value(obsT)];
      if (!true_reward) parts.push(tf.reshape(this.rm.rawTensor(tf.tensor2d(x, [rows, W])), [-1]));
      return tf.concat(parts);
    });
    const all = (await packed.data()) as Float32Array;
    packed.dispose();
    const values = all.slice(N, N + rows);
    const proxy = true_reward ? null : this.combine(all.subarray(N + rows), rows);

    // Per-step rewards; each episode piece ends in a fall, at the step limit, or at the cut.
    const rewards = new Float32Array(N);
    const trajectories: StepRollout['trajectories'] = [];
    const endRow = new Map(ends.map((x) => [`${x.e}:${x.t}`, x.row]));
    const { gamma } = this.experiment.optimizer as { gamma: number };
    let base = 0;
    streams.forEach((s, e) => {
      let from = 0;
      for (let t = 0; t < s.obs.length; t++) {
        rewards[base + t] = proxy ? proxy[base + t] : s.reward[t];
        if (s.end[t] === 0 && t < s.obs.length - 1) continue;
        const row = endRow.get(`${e}:${t}`)!;
        let last = 0;
        if (s.end[t] === 1) {
          // The fallen pose for the steps the episode had left: r_fallen·(1 + γ + … + γ^(left−1)).
          const left = this.env.maxSteps - s.tEp[t] - 1;
          const rFallen = proxy ? proxy[row] : 0;
          last = gamma * rFallen * (gamma === 1 ? left : (1 - gamma ** left) / (1 - gamma));
        } else if (s.end[t] === 0) {
          last = gamma * values[row]; // cut by the rollout's end: the critic's estimate
        }
        trajectories.push({ from: base + from, to: base + t + 1, last });
        from = t + 1;
      }
      base += s.obs.length;
    });
    return {
      B: N,
      M: 1,
      rowShape: [],
      mask: null,
      logp: all.slice(0, N),
      refLogp: null,
      values: values.slice(0, N),
      score: rewards,
      stepRewards: rewards,
      trajectories,
      whiten: 'minibatch',
      entropy: null,
      metrics: { 'env/rollout_episodes': streams.reduce((n, s) => n + s.end.filter((x) => x !== 0).length, 0) },
      rmMetrics: { 'proxy/mean': mean(rewards) },
      obs,
      drawn,
    };
  }

  forward(r: StepRollout, rows: number[]) {
    const O = this.env.obsSize;
    const D = storedActionWidth(this.env);
    const gather = (src: Float32Array, width: number) => {
      const out = new Float32Array(rows.length * width);
      rows.forEach((row, q) => out.set(src.subarray(row * width, (row + 1) * width), q * width));
      return out;
    };
    const obsT = tf.tensor2d(gather(r.obs, O), [rows.length, O]);
    const { logp, entropy } = this.logProb(obsT, tf.tensor2d(gather(r.drawn, D), [rows.length, D]));
    return { logp, values: this.value(obsT), entropy };
  }

  /** The policy's new version: its steps counted, its evaluation episodes and clip. */
  async afterUpdate(r: StepRollout): Promise<MetricRow> {
    this.version += 1;
    this.envSteps += r.B;
    const trueReturn = await this.evaluateReturn();
    return { 'env/true_return': trueReturn, 'env/steps': this.envSteps, 'gold/mean': trueReturn };
  }

  /** Mean true return of EVAL_EPISODES episodes from fixed start states; keeps the first as the latest clip. */
  private async evaluateReturn(): Promise<number> {
    const rng = new Rng(this.experiment.seed ^ 0xe7a1);
    const { returns, frames, clip } = evaluationEpisodes(this.experiment.task.env, this.piSpec, await this.policyWeights(), EVAL_EPISODES, CLIP_FRAMES, rng);
    this.clip = { frames, trueReturn: returns[0], iteration: this.version, steps: clip };
    return mean(returns);
  }

  async evaluate(): Promise<MetricRow> {
    const trueReturn = await this.evaluateReturn();
    return { 'env/true_return': trueReturn, 'env/steps': this.envSteps, 'gold/mean': trueReturn };
  }

  async visuals(): Promise<ControlVisuals> {
    if (!this.clip) await this.evaluateReturn();
    const c = this.clip!;
    // Per step of the clip: the true reward, and the reward model's score under its current fit.
    const n = c.steps.reward.length;
    const proxy = this.experiment.task.true_reward ? new Float32Array(0) : await this.stepProxy(segmentFeatures(this.env, [c.steps], n, this.rmSpec.inputs), n);
    return {
      kind: 'control',
      env: this.experiment.task.env,
      obsSize: this.env.obsSize,
      frames: Float32Array.from(c.frames),
      trueReturn: c.trueReturn,
      version: c.iteration,
      stepReward: Float32Array.from(c.steps.reward),
      stepProxy: proxy,
    };
  }

  dispose(): void {
    disposeParams(this.pi);
    this.rm.dispose();
    this.policyOpt.dispose();
  }
}
