// Runs an Experiment stage by stage: label → fit the reward model → optimize the policy, for each round.
// Emits one metrics row per policy iteration, saves a checkpoint after every stage and every
// `checkpoint_every_s` seconds, and can be paused, resumed, stopped and restored from a checkpoint.
// Hosts (the tab's worker, the CLI, tests) drive it through this class only.
import { tf } from './tf';
import { Rng } from './rng';
import type { Experiment } from './experiment/spec';
import { landscape, goldOf, gridPoints, EXTENT, type Landscape } from './tasks/landscape2d';
import { initMlp, mlpApply, type MlpSpec } from './models/mlp';
import { initMixture, mixtureLogProb, sampleMixture, type MixtureSpec } from './models/gaussian_mixture';
import {
  disposeParams,
  gradsOf,
  makeParams,
  readWeights,
  type Params,
  type Weights,
} from './models/params';
import { Adam, type AdamState } from './optim';
import { bradleyTerryLoss, pairAccuracy } from './algos/reward';
import { klEstimate } from './algos/kl';
import { klPenalizedReward, reinforceLoss, whitenedAdvantages } from './algos/reinforce';
import { pickLabeler, simulatedAnswer, targetOf, type Answer, type Label } from './feedback/labelers';
import {
  SCHEMA,
  currentVersions,
  loadCheckpoint,
  saveCheckpoint,
  type CheckpointRecord,
  type MetricRow,
  type Position,
  type Stage,
} from './checkpoint/record';
import type { Store } from './checkpoint/store';

export type RunStatus = 'ready' | 'running' | 'paused' | 'waiting-for-labels' | 'stopped' | 'done' | 'error';

export interface RunnerHooks {
  /** A new metrics row (one per policy iteration, plus the row of the untrained policy at step 0). */
  onMetrics?(row: MetricRow): void;
  /** Something changed: a step, a stage, a label, the status. Hosts throttle what they forward. */
  onProgress?(): void;
  /** A checkpoint was written. */
  onCheckpoint?(info: { at: number; position: Position }): void;
  /** A line for the log (stderr in the CLI). */
  onLog?(line: string): void;
  /** Something the user must know, e.g. that storage is full and a checkpoint could not be saved. */
  onNotice?(message: string): void;
}

export interface RunnerOptions {
  store: Store;
  runId: string;
  backend: string;
  hooks?: RunnerHooks;
  /** Clock in ms; tests may pass a fake one. */
  now?: () => number;
}

/** The pair a human labeler is asked about. */
export interface PendingPair {
  id: number;
  a: [number, number];
  b: [number, number];
}

/** What a host draws: the learned reward on a grid, the policy's samples and the labels. */
export interface LandscapeVisuals {
  grid: number;
  extent: number;
  /** Normalized reward-model score at gridPoints(grid), row by row from the top. */
  reward: Float32Array;
  /** Current policy samples [x0, y0, ...]. */
  samples: Float32Array;
}

interface RewardNorm {
  mean: number;
  std: number;
}

const REWARD_MODEL = 'reward_model';
const POLICY = 'policy';
const REFERENCE = 'reference';
/** Samples on which the reward model's score is normalized to mean 0, std 1 (RLHF.md). */
const NORM_SAMPLES = 1024;

export class Runner {
  status: RunStatus = 'ready';
  /** True while run() is executing (also while it is paused inside). */
  active = false;
  error: string | null = null;
  position: Position;
  labels: Label[];
  metrics: MetricRow[];
  pendingPair: PendingPair | null = null;
  lastCheckpointAt = 0;
  rmAccuracy: number | null = null;
  rmLoss = Number.NaN;

  readonly landscape: Landscape;
  private readonly rng: Rng;
  private readonly rmSpec: MlpSpec;
  private readonly rm: Params;
  private readonly policy: Params;
  private readonly reference: Params;
  private readonly rmOpt: Adam;
  private readonly policyOpt: Adam;
  private rmNorm: RewardNorm;
  private readonly hooks: RunnerHooks;
  private readonly now: () => number;
  private wake: (() => void) | null = null;
  private stopRequested = false;
  private pauseRequested = false;
  private finishLabelingRequested = false;
  private lastYield = 0;
  private disposed = false;

  private constructor(
    readonly experiment: Experiment,
    private readonly opts: RunnerOptions,
    state: {
      rng: Rng;
      weights: Record<string, Weights>;
      optimizers?: Record<string, AdamState>;
      rmNorm: RewardNorm;
      position: Position;
      labels: Label[];
      metrics: MetricRow[];
    },
  ) {
    this.hooks = opts.hooks ?? {};
    this.now = opts.now ?? (() => Date.now());
    this.landscape = landscape(experiment.task.landscape);
    this.rng = state.rng;
    this.rmSpec = rewardModelSpec(experiment);
    this.rm = makeParams(state.weights[REWARD_MODEL]);
    this.policy = makeParams(state.weights[POLICY]);
    this.reference = makeParams(state.weights[REFERENCE], false);
    this.rmOpt = new Adam(this.rm, experiment.reward_model.lr);
    this.policyOpt = new Adam(this.policy, experiment.optimizer.lr);
    if (state.optimizers) {
      this.rmOpt.load(state.optimizers[REWARD_MODEL]);
      this.policyOpt.load(state.optimizers[POLICY]);
    }
    this.rmNorm = state.rmNorm;
    this.position = state.position;
    this.labels = state.labels;
    this.metrics = state.metrics;
  }

  /** A new run: models initialized from the experiment's seed, the untrained policy evaluated as step 0. */
  static async create(experiment: Experiment, opts: RunnerOptions): Promise<Runner> {
    const rng = new Rng(experiment.seed);
    const rmWeights = initMlp(rewardModelSpec(experiment), new Rng(rng.seed()));
    const policyWeights = initMixture(mixtureSpec(experiment), new Rng(rng.seed()));
    const runner = new Runner(experiment, opts, {
      rng,
      weights: { [REWARD_MODEL]: rmWeights, [POLICY]: policyWeights, [REFERENCE]: policyWeights },
      rmNorm: { mean: 0, std: 1 },
      position: { round: 0, stage: 'label', stageStep: 0, iteration: 0 },
      labels: [],
      metrics: [],
    });
    await runner.normalizeReward();
    runner.emit(await runner.evaluate());
    return runner;
  }

  /** A run restored from its newest good checkpoint; `notice` says when an older one had to be used. */
  static async restore(
    store: Store,
    runId: string,
    opts: Omit<RunnerOptions, 'store' | 'runId'>,
  ): Promise<{ runner: Runner; notice?: string } | null> {
    const loaded = await loadCheckpoint(store, runId);
    if (!loaded) return null;
    return { runner: Runner.fromRecord(loaded.record, { ...opts, store, runId }), notice: loaded.notice };
  }

  static fromRecord(record: CheckpointRecord, opts: RunnerOptions): Runner {
    const weights: Record<string, Weights> = {};
    for (const [k, m] of Object.entries(record.models)) weights[k] = m.weights;
    const runner = new Runner(record.experiment, opts, {
      rng: new Rng(record.rng),
      weights,
      optimizers: record.optimizers,
      rmNorm: record.models[REWARD_MODEL].spec.norm as RewardNorm,
      position: { ...record.position },
      labels: record.labels,
      metrics: record.metrics,
    });
    runner.status = record.position.stage === 'done' ? 'done' : 'paused';
    runner.lastCheckpointAt = record.createdAt;
    runner.rmAccuracy = lastValue(record.metrics, 'rm/accuracy');
    runner.rmLoss = lastValue(record.metrics, 'rm/loss') ?? Number.NaN;
    return runner;
  }

  get runId(): string {
    return this.opts.runId;
  }

  // ---- control ------------------------------------------------------------------------------------------

  pause(): void {
    if (this.status === 'running' || this.status === 'waiting-for-labels') this.pauseRequested = true;
  }

  resume(): void {
    this.pauseRequested = false;
    this.wakeUp();
  }

  /** Stops after the current step and saves a checkpoint; run() then returns. */
  stop(): void {
    this.stopRequested = true;
    this.wakeUp();
  }

  /** The human's answer to the pending pair. Returns false when no pair is pending. */
  submitLabel(answer: Answer): boolean {
    const pair = this.pendingPair;
    if (!pair) return false;
    this.labels.push({ id: pair.id, a: pair.a, b: pair.b, answer, labeler: 'human', round: this.position.round, time: this.now() });
    this.pendingPair = null;
    this.wakeUp();
    return true;
  }

  /** Ends the labeling stage early (the "Train reward model" button); refused until a pair of this round is labeled. */
  finishLabeling(): boolean {
    if (this.position.stage !== 'label' || this.labelsThisRound() === 0) return false;
    this.finishLabelingRequested = true;
    this.wakeUp();
    return true;
  }

  private wakeUp(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private sleep(): Promise<void> {
    return new Promise((resolve) => (this.wake = resolve));
  }

  /** Between steps: yield to the host's event loop now and then, honour pause and stop. Returns false to stop. */
  private async checkpointAndControl(): Promise<boolean> {
    const now = this.now();
    if (now - this.lastYield > 15) {
      await new Promise((r) => setTimeout(r, 0));
      this.lastYield = this.now();
    }
    if (this.pauseRequested && !this.stopRequested) {
      const before = this.status;
      this.status = 'paused';
      await this.checkpoint();
      this.progress();
      while (this.pauseRequested && !this.stopRequested) await this.sleep();
      this.status = before;
      this.progress();
    }
    if (this.stopRequested) return false;
    if (now - this.lastCheckpointAt > this.experiment.schedule.checkpoint_every_s * 1000) await this.checkpoint();
    return true;
  }

  // ---- the loop -----------------------------------------------------------------------------------------

  /** Runs from the current position to the end of the schedule, or until stopped. */
  async run(): Promise<void> {
    if (this.status === 'done' || this.disposed || this.active) return;
    this.active = true;
    this.status = 'running';
    this.stopRequested = false;
    this.pauseRequested = false;
    this.lastYield = this.now();
    this.progress();
    try {
      const { rounds } = this.experiment.schedule;
      while (this.position.round < rounds) {
        if (this.position.stage === 'label') {
          if (!(await this.labelStage())) return this.halt();
          this.advance('reward');
          await this.checkpoint();
        }
        if (this.position.stage === 'reward') {
          if (!(await this.rewardStage())) return this.halt();
          this.advance('policy');
          await this.checkpoint();
        }
        if (this.position.stage === 'policy') {
          if (!(await this.policyStage())) return this.halt();
          this.position.round += 1;
          this.advance(this.position.round < rounds ? 'label' : 'done');
          await this.checkpoint();
        }
      }
      this.position.stage = 'done';
      this.status = 'done';
      this.log(`run finished after ${this.position.iteration} policy iterations and ${this.labels.length} labels`);
      this.progress();
    } catch (e) {
      this.status = 'error';
      this.error = e instanceof Error ? e.message : String(e);
      this.progress();
      throw e;
    } finally {
      this.active = false;
    }
  }

  private async halt(): Promise<void> {
    this.pendingPair = null;
    await this.checkpoint();
    this.status = 'stopped';
    this.log(`stopped at round ${this.position.round + 1}, ${this.position.stage} stage; checkpoint saved`);
    this.progress();
  }

  private advance(stage: Stage): void {
    this.position.stage = stage;
    this.position.stageStep = 0;
    this.progress();
  }

  /** Asks labels_per_round comparisons of pairs of the current policy's samples. */
  private async labelStage(): Promise<boolean> {
    const { labelers } = this.experiment;
    const wanted = this.experiment.schedule.labels_per_round;
    this.finishLabelingRequested = false;
    while (this.position.stageStep < wanted) {
      if (this.finishLabelingRequested && this.labelsThisRound() > 0) break;
      const pts = await sampleMixture(this.policy, 2, this.rng);
      const a: [number, number] = [pts[0], pts[1]];
      const b: [number, number] = [pts[2], pts[3]];
      const who = pickLabeler(labelers, this.rng);
      const labeler = labelers[who];
      const id = this.labels.length ? this.labels[this.labels.length - 1].id + 1 : 0;
      if (labeler.kind === 'simulated') {
        const answer = simulatedAnswer(labeler, this.landscape.gold(...a), this.landscape.gold(...b), this.rng);
        this.labels.push({ id, a, b, answer, labeler: `simulated:${who}`, round: this.position.round, time: this.now() });
      } else {
        this.pendingPair = { id, a, b };
        this.status = 'waiting-for-labels';
        this.progress();
        while (this.pendingPair && !this.stopRequested && !this.finishLabelingRequested) {
          if (this.pauseRequested) {
            if (!(await this.checkpointAndControl())) return false;
            continue;
          }
          await this.sleep();
        }
        if (this.stopRequested) return false;
        if (this.pendingPair) {
          // finishLabeling() while a pair was shown: the pair was not answered and is dropped.
          this.pendingPair = null;
          continue;
        }
        this.status = 'running';
        // A human's labels are precious: keep them even if the tab closes before the stage ends.
        await this.checkpoint();
      }
      this.position.stageStep += 1;
      this.progress();
      if (!(await this.checkpointAndControl())) return false;
    }
    this.pendingPair = null;
    this.status = 'running';
    this.log(`round ${this.position.round + 1}: ${this.labels.length} labels in all`);
    return true;
  }

  private labelsThisRound(): number {
    return this.labels.filter((l) => l.round === this.position.round && l.answer !== 'skip').length;
  }

  /** Splits the decisive-or-tie labels into train and held-out sets (every k-th label is held out). */
  private splitLabels(): { train: Label[]; heldOut: Label[] } {
    const usable = this.labels.filter((l) => targetOf(l.answer) !== null);
    const h = this.experiment.reward_model.holdout;
    if (h <= 0) return { train: usable, heldOut: [] };
    const k = Math.max(2, Math.round(1 / h));
    const train: Label[] = [];
    const heldOut: Label[] = [];
    for (const l of usable) (l.id % k === k - 1 ? heldOut : train).push(l);
    // With very few labels, train on all of them rather than on none.
    return train.length === 0 ? { train: heldOut, heldOut: [] } : { train, heldOut };
  }

  /** Fits r_θ to the labels with the Bradley-Terry loss, then normalizes it over policy samples. */
  private async rewardStage(): Promise<boolean> {
    const { steps, batch_size } = this.experiment.reward_model;
    const { train, heldOut } = this.splitLabels();
    let loss = Number.NaN;
    if (train.length > 0) {
      while (this.position.stageStep < steps) {
        const n = Math.min(batch_size, train.length);
        const a = new Float32Array(n * 2);
        const b = new Float32Array(n * 2);
        const y = new Float32Array(n);
        for (let i = 0; i < n; i++) {
          const l = train[this.rng.int(train.length)];
          a.set(l.a, 2 * i);
          b.set(l.b, 2 * i);
          y[i] = targetOf(l.answer)!;
        }
        const last = this.position.stageStep === steps - 1 || this.position.stageStep % 25 === 0;
        const lossT = tf.tidy(() => {
          const [ta, tb, ty] = [tf.tensor2d(a, [n, 2]), tf.tensor2d(b, [n, 2]), tf.tensor1d(y)];
          const { value, grads } = gradsOf(this.rm, () =>
            bradleyTerryLoss(mlpApply(this.rmSpec, this.rm, ta), mlpApply(this.rmSpec, this.rm, tb), ty),
          );
          this.rmOpt.step(grads);
          return value;
        });
        if (last) loss = (await lossT.data())[0];
        lossT.dispose();
        this.position.stageStep += 1;
        this.progress();
        if (!(await this.checkpointAndControl())) return false;
      }
    }
    this.rmAccuracy = heldOut.length ? await this.accuracyOn(heldOut) : null;
    this.rmLoss = loss;
    await this.normalizeReward();
    this.log(
      `round ${this.position.round + 1}: reward model fit on ${train.length} pairs, loss ${fmt(loss)}, ` +
        `held-out accuracy ${this.rmAccuracy === null ? 'n/a' : fmt(this.rmAccuracy)} (${heldOut.length} pairs)`,
    );
    return true;
  }

  private async accuracyOn(labels: Label[]): Promise<number> {
    const pa = new Float32Array(labels.flatMap((l) => l.a));
    const pb = new Float32Array(labels.flatMap((l) => l.b));
    const [ra, rb] = await Promise.all([this.rawReward(pa), this.rawReward(pb)]);
    return pairAccuracy(ra, rb, labels.map((l) => targetOf(l.answer)!));
  }

  /** Raw reward-model scores of points [x0, y0, ...]. */
  private async rawReward(points: Float32Array): Promise<Float32Array> {
    const r = tf.tidy(() => mlpApply(this.rmSpec, this.rm, tf.tensor2d(points, [points.length / 2, 2])));
    const out = (await r.data()) as Float32Array;
    r.dispose();
    return out;
  }

  /** The reward model's score on the scale the policy sees: (r − mean) / std over policy samples. */
  private normalized(raw: ArrayLike<number>): Float32Array {
    return Float32Array.from(raw, (r) => (r - this.rmNorm.mean) / this.rmNorm.std);
  }

  /** Sets the normalization so the score is mean 0, std 1 over the current policy's samples. */
  private async normalizeReward(): Promise<void> {
    const pts = await sampleMixture(this.policy, NORM_SAMPLES, new Rng(this.experiment.seed ^ 0x5eed));
    const r = await this.rawReward(pts);
    let mean = 0;
    for (const x of r) mean += x;
    mean /= r.length;
    let v = 0;
    for (const x of r) v += (x - mean) ** 2;
    this.rmNorm = { mean, std: Math.sqrt(v / r.length) || 1 };
  }

  /** REINFORCE iterations on R = normalized r_RM − kl_coef·logr. */
  private async policyStage(): Promise<boolean> {
    const { iterations } = this.experiment.optimizer;
    while (this.position.stageStep < iterations) {
      this.emit(await this.policyIteration());
      this.position.stageStep += 1;
      this.progress();
      if (!(await this.checkpointAndControl())) return false;
    }
    return true;
  }

  private async policyIteration(): Promise<MetricRow> {
    const { batch_size: n, kl_coef } = this.experiment.optimizer;
    const started = this.now();
    const points = await sampleMixture(this.policy, n, this.rng);
    const x = tf.tensor2d(points, [n, 2]);
    // One readback for everything the update needs: log π, log π_ref and the reward model's score.
    const stacked = tf.tidy(() =>
      tf.stack([
        mixtureLogProb(this.policy, x),
        mixtureLogProb(this.reference, x),
        mlpApply(this.rmSpec, this.rm, x),
      ]),
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
    this.position.iteration += 1;
    const gold = goldOf(this.landscape, points);
    // Does the reward model order the policy's own samples as the gold reward does? (pairs 0-1, 2-3, ...)
    let agree = 0;
    for (let i = 0; i + 1 < n; i += 2) agree += Number(score[i] > score[i + 1] === gold[i] > gold[i + 1]);
    return {
      ...this.rowBase(points, gold),
      'proxy/mean': mean(score),
      'objective/kl': klEstimate(logr, 'k1'),
      'objective/kl_k3': klEstimate(logr, 'k3'),
      'objective/kl_coef': kl_coef,
      'objective/entropy': -mean(logp),
      'objective/rlhf_reward': mean(returns),
      'rm/policy_agreement': agree / Math.floor(n / 2),
      'time/iteration_ms': this.now() - started,
    };
  }

  /** The untrained policy's row (step 0), so every chart starts from where the run started. */
  private async evaluate(): Promise<MetricRow> {
    const n = this.experiment.optimizer.batch_size;
    const points = await sampleMixture(this.policy, n, new Rng(this.experiment.seed ^ 0xe7a1));
    const r = await this.rawReward(points);
    const logp = tf.tidy(() => mixtureLogProb(this.policy, tf.tensor2d(points, [n, 2])));
    const lp = await logp.data();
    logp.dispose();
    return {
      ...this.rowBase(points, goldOf(this.landscape, points)),
      'proxy/mean': mean(this.normalized(r)),
      'objective/kl': 0,
      'objective/kl_k3': 0,
      'objective/kl_coef': this.experiment.optimizer.kl_coef,
      'objective/entropy': -mean(lp),
    };
  }

  private rowBase(points: Float32Array, gold: Float32Array): MetricRow {
    let mx = 0;
    let my = 0;
    for (let i = 0; i < points.length; i += 2) {
      mx += points[i];
      my += points[i + 1];
    }
    return {
      step: this.position.iteration,
      round: this.position.round,
      'gold/mean': mean(gold),
      'labels/count': this.labels.filter((l) => l.answer !== 'skip').length,
      'labels/skipped': this.labels.filter((l) => l.answer === 'skip').length,
      'rm/accuracy': this.rmAccuracy ?? Number.NaN,
      'rm/loss': this.rmLoss,
      'policy/mean_x': mx / (points.length / 2),
      'policy/mean_y': my / (points.length / 2),
    };
  }

  private emit(row: MetricRow): void {
    this.metrics.push(row);
    this.hooks.onMetrics?.(row);
  }

  // ---- checkpoints, visuals -----------------------------------------------------------------------------

  async checkpoint(): Promise<void> {
    if (this.disposed) return;
    const at = this.now();
    const record = await this.toRecord(at);
    try {
      await saveCheckpoint(this.opts.store, record);
    } catch (e) {
      // A full disk must not end the run: training goes on, earlier checkpoints stay, the user is told.
      if ((e as Error).name !== 'StorageFullError') throw e;
      this.lastCheckpointAt = at;
      this.hooks.onNotice?.((e as Error).message);
      return;
    }
    this.lastCheckpointAt = at;
    this.hooks.onCheckpoint?.({ at, position: { ...this.position } });
  }

  async toRecord(at = this.now()): Promise<Omit<CheckpointRecord, 'sha256'>> {
    return {
      schema: SCHEMA,
      versions: currentVersions(),
      runId: this.opts.runId,
      experiment: this.experiment,
      position: { ...this.position },
      models: {
        [REWARD_MODEL]: { weights: await readWeights(this.rm), spec: { ...this.rmSpec, norm: { ...this.rmNorm } } },
        [POLICY]: { weights: await readWeights(this.policy), spec: { ...mixtureSpec(this.experiment) } },
        [REFERENCE]: { weights: await readWeights(this.reference), spec: { ...mixtureSpec(this.experiment) } },
      },
      optimizers: { [REWARD_MODEL]: await this.rmOpt.state(), [POLICY]: await this.policyOpt.state() },
      rng: this.rng.state(),
      labels: this.labels.map((l) => ({ ...l })),
      metrics: this.metrics.map((m) => ({ ...m })),
      backend: this.opts.backend,
      createdAt: at,
    };
  }

  /** The learned reward on a grid×grid raster and 256 policy samples (drawn with a generator of their own). */
  async visuals(grid = 48): Promise<LandscapeVisuals> {
    const reward = this.normalized(await this.rawReward(gridPoints(grid)));
    const samples = await sampleMixture(this.policy, 256, new Rng(this.position.iteration + 17));
    return { grid, extent: EXTENT, reward, samples };
  }

  private progress(): void {
    this.hooks.onProgress?.();
  }

  private log(line: string): void {
    this.hooks.onLog?.(line);
  }

  dispose(): void {
    this.disposed = true;
    this.stop();
    for (const p of [this.rm, this.policy, this.reference]) disposeParams(p);
    this.rmOpt.dispose();
    this.policyOpt.dispose();
  }
}

export function rewardModelSpec(e: Experiment): MlpSpec {
  return { inputs: 2, hidden: e.reward_model.hidden, activation: e.reward_model.activation, input_scale: EXTENT };
}

function mixtureSpec(e: Experiment): MixtureSpec {
  return { components: e.policy.components, init_mean: e.policy.init_mean, init_std: e.policy.init_std };
}

function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / xs.length;
}

function lastValue(rows: MetricRow[], key: string): number | null {
  for (let i = rows.length - 1; i >= 0; i--) {
    const v = rows[i][key];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return null;
}

const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');
