// Runs an Experiment stage by stage: label → fit the reward model → optimize the policy, for each round.
// Emits one metrics row per policy iteration, saves a checkpoint after every stage and every
// `checkpoint_every_s` seconds, and can be paused, resumed, stopped and restored from a checkpoint.
// Hosts (the tab's worker, the CLI, tests) drive it through this class only.
import { Rng } from './rng';
import { policyIterations, type Experiment } from './experiment/parse';
import { pairAccuracy } from './algos/reward';
import { isThumb, labelCounts, pickLabeler, simulatedAnswer, simulatedMargin, simulatedThumb, splitLabels, targetOf, type Answer, type Label } from './feedback/labelers';
import { SCHEMA, currentVersions, lastMetric, loadCheckpoint, modelStates, nonFiniteWeights, readModels, saveCheckpoint } from './checkpoint/record';
import type { CheckpointRecord, MetricRow, Position, Stage } from './checkpoint/record';
import { StorageFullError, type Store } from './checkpoint/store';
import { DivergenceError, RunControl, type PendingPair, type RunnerHooks, type RunnerOptions } from './run_control';
import type { Proposal, TaskLab, Visuals } from './tasks/task_lab';
import { taskOf } from './tasks/registry';
import { algorithmOf, klControllerOf } from './algos/registry';
import type { KlController } from './algos/kl';
import { installKernels, useKernels } from './kernels';

export type { ControlVisuals, LandscapeVisuals, TextVisuals, TextSampleRow, Visuals, Assets } from './tasks/task_lab';

export { DivergenceError } from './run_control';
export type { PendingPair, RunStatus, RunnerHooks, RunnerOptions } from './run_control';

export class Runner extends RunControl {
  position: Position;
  labels: Label[];
  metrics: MetricRow[];
  rmAccuracy: number | null = null;
  /** Held-out pairs behind rmAccuracy (null before the first fit, or where no reward model is fit). */
  rmHeldOut: number | null = null;
  rmLoss = Number.NaN;

  private readonly rng: Rng;
  /** Comparisons a person made by probing the reward model (the red team's probe): asked before the task proposes more. */
  private readonly probed: Proposal[] = [];
  /** The KL coefficient β of the policy's optimizer (adapted by PPO with a KL target), kept in the policy's spec. */
  private readonly kl: KlController;

  private constructor(
    readonly experiment: Experiment,
    private readonly opts: RunnerOptions,
    /** The task's models and math. */
    readonly lab: TaskLab,
    state: { rng: Rng; position: Position; labels: Label[]; metrics: MetricRow[]; klCoef?: unknown },
  ) {
    super(opts.hooks ?? {}, opts.now ?? (() => Date.now()), experiment.schedule.checkpoint_every_s);
    this.kl = klControllerOf(experiment.optimizer, state.klCoef);
    this.rng = state.rng;
    this.position = state.position;
    this.labels = state.labels;
    this.metrics = state.metrics;
  }

  /** A new run: models initialized from the experiment's seed, the untrained policy evaluated as step 0. */
  static async create(experiment: Experiment, opts: RunnerOptions): Promise<Runner> {
    fastKernels(opts);
    const rng = new Rng(experiment.seed);
    const lab = await taskOf(experiment.task).create(experiment, rng, opts);
    const runner = new Runner(experiment, opts, lab, {
      rng,
      position: { round: 0, stage: 'label', stageStep: 0, iteration: 0 },
      labels: [],
      metrics: [],
    });
    await lab.normalizeReward();
    runner.emit({ ...runner.rowBase(), ...(await lab.evaluate()) });
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
    return { runner: await Runner.fromRecord(loaded.record, { ...opts, store, runId }), notice: loaded.notice };
  }

  static async fromRecord(record: CheckpointRecord, opts: RunnerOptions): Promise<Runner> {
    fastKernels(opts);
    const e = record.experiment;
    const lab = await taskOf(e.task).restore(e, modelStates(record), opts);
    const runner = new Runner(e, opts, lab, {
      rng: new Rng(record.rng),
      position: { ...record.position },
      labels: record.labels,
      metrics: record.metrics,
      klCoef: record.models.policy?.spec.kl_coef,
    });
    runner.status = record.position.stage === 'done' ? 'done' : 'paused';
    runner.lastCheckpointAt = record.createdAt;
    runner.rmAccuracy = lastMetric(record.metrics, 'rm/accuracy');
    runner.rmHeldOut = lastMetric(record.metrics, 'rm/heldout');
    runner.rmLoss = lastMetric(record.metrics, 'rm/loss') ?? Number.NaN;
    return runner;
  }

  get runId(): string {
    return this.opts.runId;
  }

  // ---- labels from a person -----------------------------------------------------------------------------

  /** What the person answered about the pending pair: a label of this round. */
  protected recordAnswer({ id, prompt, a, b }: PendingPair, answer: Answer, margin?: number): void {
    const strength = margin ? { margin } : {};
    this.labels.push({ id, ...(prompt === undefined ? {} : { prompt }), a, b, answer, ...strength, labeler: 'human', round: this.position.round, time: this.now() });
  }

  /**
   * A comparison a person made (a probed point against a policy sample). While a person is being asked, it is asked
   * at once and the pair it replaces comes next ('asked'); otherwise it waits for the next label stage, where the run's
   * labeler answers it before the task proposes more ('queued'); a finished run asks nothing more ('finished').
   */
  addComparison(p: Proposal): 'asked' | 'queued' | 'finished' {
    if (this.position.stage === 'done') return 'finished';
    const shown = this.pendingPair;
    if (shown) {
      this.probed.unshift({ ...(shown.prompt === undefined ? {} : { prompt: shown.prompt }), a: shown.a, b: shown.b });
      // The pair shown becomes this one: its prompt too (a text find continues its own prompt).
      this.pendingPair = { ...shown, ...(p.prompt === undefined ? {} : { prompt: p.prompt }), a: p.a, b: p.b };
      this.progress();
      return 'asked';
    }
    this.probed.push(p);
    return 'queued';
  }

  /** The "Train reward model" button works once a pair of this round's label stage is labeled. */
  protected canFinishLabeling(): boolean {
    return this.position.stage === 'label' && this.labelsThisRound() > 0;
  }

  // ---- the loop -----------------------------------------------------------------------------------------

  /** Runs from the current position to the end of the schedule, or until stopped. */
  async run(): Promise<void> {
    if (this.status === 'done' || this.disposed || this.active) return;
    this.active = true;
    this.status = 'running';
    this.stopRequested = false;
    this.pauseRequested = false;
    this.started();
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
      await this.overoptimizationStage();
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

  /** Asks labels_per_round comparisons of pairs of the current policy's samples, or thumbs on one sample each. */
  private async labelStage(): Promise<boolean> {
    const { labelers } = this.experiment;
    const thumbs = this.experiment.schedule.feedback === 'thumbs';
    const wanted = this.experiment.schedule.labels_per_round;
    this.finishLabelingRequested = false;
    while (this.position.stageStep < wanted) {
      if (this.finishLabelingRequested && this.labelsThisRound() > 0) break;
      const proposal = this.probed.shift() ?? (await this.lab.propose(this.rng));
      const who = pickLabeler(labelers, this.rng);
      const labeler = labelers[who];
      const id = this.labels.length ? this.labels[this.labels.length - 1].id + 1 : 0;
      const prompt = proposal.prompt === undefined ? {} : { prompt: proposal.prompt };
      // A thumb rates the proposal's first sample alone.
      const { a, b } = thumbs ? { a: proposal.a, b: proposal.a } : proposal;
      if (labeler.kind === 'simulated') {
        const [gA, gB] = [this.lab.labelerReward(labeler, proposal, 'a'), thumbs ? 0 : this.lab.labelerReward(labeler, proposal, 'b')];
        const answer = thumbs ? simulatedThumb(labeler, gA, this.rng) : simulatedAnswer(labeler, gA, gB, this.rng);
        const margin = thumbs ? undefined : simulatedMargin(labeler, gA, gB, answer);
        const strength = margin ? { margin } : {};
        this.labels.push({ id, ...prompt, a, b, answer, ...strength, labeler: `simulated:${who}`, round: this.position.round, time: this.now() });
      } else {
        const asked = await this.askPerson({ id, ...prompt, a, b, ...(thumbs ? { thumbs } : {}) });
        if (asked === 'stopped') return false;
        if (asked === 'dropped') continue;
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
    return labelCounts(this.labels, this.position.round).decided;
  }

  /** Fits r_θ to the labels with the Bradley-Terry loss, then normalizes it over policy samples. */
  private async rewardStage(): Promise<boolean> {
    const algo = algorithmOf(this.experiment.optimizer);
    if (!algo.usesRewardModel) {
      this.log(`round ${this.position.round + 1}: ${algo.title(this.experiment.optimizer)} trains on the labels directly; no reward model is fit`);
      return true;
    }
    const { steps, batch_size } = this.experiment.reward_model;
    const { train, heldOut } = splitLabels(this.labels, this.experiment.reward_model.holdout);
    let loss = Number.NaN;
    // A GPU queues steps without waiting, so the count would race ahead of the work and then stand still while a read
    // waits for the queue (the tab's counter jumped by 25 with 12 s pauses on SwiftShader). The loss is read, and so
    // the count made true, every `chunk` steps, sized from the measured step time to span about SYNC_SECONDS: every
    // step where steps are slow, every 25th (the loss checks' own reads) where they are fast. On wasm and the CPU a
    // read costs nothing; on a GPU each drains the queue, so reads stay few: one per step at most, else one per chunk.
    let chunk = 1;
    let sinceRead = 0;
    let readAt = this.now();
    if (train.length > 0) {
      while (this.position.stageStep < steps) {
        const n = Math.min(batch_size, train.length);
        const batch: Label[] = [];
        const y = new Float32Array(n);
        for (let i = 0; i < n; i++) {
          const l = train[this.rng.int(train.length)];
          batch.push(l);
          y[i] = targetOf(l.answer)!;
        }
        const step = this.position.stageStep;
        const checked = step === steps - 1 || step % 25 === 0;
        const lossT = this.lab.rewardStep(batch, y);
        sinceRead += 1;
        if (checked || sinceRead >= chunk) {
          const value = (await lossT.data())[0];
          const t = this.now();
          chunk = Math.max(1, Math.min(25, Math.floor((SYNC_SECONDS * 1000 * sinceRead) / Math.max(1, t - readAt))));
          [sinceRead, readAt] = [0, t];
          if (checked) loss = value;
        }
        lossT.dispose();
        if (checked && !Number.isFinite(loss)) this.diverged(`the reward model's loss is ${loss}`, 'reward_model.lr');
        this.position.stageStep += 1;
        this.progress();
        if (!(await this.checkpointAndControl())) return false;
      }
    }
    this.rmAccuracy = heldOut.length ? await this.accuracyOn(heldOut) : null;
    this.rmHeldOut = heldOut.length;
    this.rmLoss = loss;
    await this.lab.normalizeReward();
    this.log(
      `round ${this.position.round + 1}: reward model fit on ${train.length} pairs, loss ${fmt(loss)}, ` +
        `held-out accuracy ${this.rmAccuracy === null ? 'n/a' : fmt(this.rmAccuracy)} (${heldOut.length} pairs)`,
    );
    return true;
  }

  private async accuracyOn(labels: Label[]): Promise<number> {
    const { a, b } = await this.lab.rewardScores(labels);
    return pairAccuracy(a, b, labels.map((l) => targetOf(l.answer)!));
  }

  /** The optimizer's iterations (algos/registry.ts) on the normalized reward model, or on the comparisons (DPO). */
  private async policyStage(): Promise<boolean> {
    const iterations = policyIterations(this.experiment);
    if (this.experiment.schedule.rollback && this.position.round > 0 && this.position.stageStep === 0) {
      if (!this.lab.rollback) throw new Error(`this task cannot roll its policy back; set schedule.rollback to false`);
      this.lab.rollback();
      this.kl.beta = algorithmOf(this.experiment.optimizer).klCoef(this.experiment.optimizer) ?? 0;
      this.log(`round ${this.position.round + 1}: policy rolled back to where the run started; optimizing it on the retrained reward model`);
    }
    while (this.position.stageStep < iterations) {
      this.emit(await this.policyIteration());
      this.position.stageStep += 1;
      this.progress();
      if (!(await this.checkpointAndControl())) return false;
    }
    return true;
  }

  private async policyIteration(): Promise<MetricRow> {
    const started = this.now();
    const labels = this.labels.filter((l) => targetOf(l.answer) !== null);
    const thumbs = this.labels.filter((l) => isThumb(l.answer));
    const o = this.experiment.optimizer;
    const row = await algorithmOf(o).iterate(this.lab, o, { rng: this.rng, labels, thumbs, stageStep: this.position.stageStep, kl: this.kl });
    const bad = Object.keys(row).find((k) => k.startsWith('loss/') && !Number.isFinite(row[k]));
    if (bad) this.diverged(`${bad} is ${row[bad]}`, 'optimizer.lr');
    this.position.iteration += 1;
    return { ...this.rowBase(), ...row, 'time/iteration_ms': this.now() - started };
  }

  // ---- the over-optimization lab ------------------------------------------------------------------------

  /**
   * After the last round: best-of-n of the initial policy on the final reward model, one row per n of
   * `overoptimization.bon_n` (rows carry `bon/n` and `overopt/bon` = 1), so best-of-n and the RL run share the √KL
   * axis (analysis/overopt.ts fits both). Runs once; a task without best-of-n skips it.
   */
  private async overoptimizationStage(): Promise<void> {
    const o = this.experiment.overoptimization;
    if (!o || o.bon_n.length === 0 || !this.lab.candidates || this.metrics.some((r) => r['overopt/bon'] === 1)) return;
    for (const n of o.bon_n) {
      const row = await (await import('./algos/best_of_n')).bestOfN(this.lab, n, o.bon_samples, this.rng);
      this.emit({ ...this.rowBase(), ...row, 'overopt/bon': 1 });
      this.progress();
      await new Promise((r) => setTimeout(r, 0));
    }
    this.log(`over-optimization: best-of-n for n = ${o.bon_n.join(', ')} on the final reward model`);
    await this.checkpoint();
  }

  private rowBase(): MetricRow {
    return {
      step: this.position.iteration,
      round: this.position.round,
      'labels/count': labelCounts(this.labels).decided,
      'labels/skipped': labelCounts(this.labels).skipped,
      'rm/accuracy': this.rmAccuracy ?? Number.NaN,
      // How many pairs the accuracy stands on (added after the golden fixtures; tests/golden_runs.ts ADDED_KEYS).
      'rm/heldout': this.rmHeldOut ?? Number.NaN,
      'rm/loss': this.rmLoss,
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
    // A checkpoint is written only with finite weights: the newest stored one is always a run that can go on.
    const bad = nonFiniteWeights(record);
    if (bad) this.diverged(`${bad.model}.${bad.weight} has weights that are not finite`, bad.model === 'policy' ? 'optimizer.lr' : 'reward_model.lr');
    try {
      await saveCheckpoint(this.opts.store, record);
    } catch (e) {
      // A full disk must not end the run: training goes on, earlier checkpoints stay, the user is told.
      if (!(e instanceof StorageFullError)) throw e;
      this.lastCheckpointAt = at;
      this.hooks.onNotice?.((e as Error).message);
      return;
    }
    this.lastCheckpointAt = at;
    this.hooks.onCheckpoint?.({ at, position: { ...this.position } });
  }

  async toRecord(at = this.now()): Promise<Omit<CheckpointRecord, 'sha256'>> {
    const { models, optimizers } = await readModels(this.lab.models(), this.lab.optimizers());
    if (models.policy) models.policy.spec.kl_coef = this.kl.beta;
    return {
      schema: SCHEMA,
      versions: currentVersions(),
      runId: this.opts.runId,
      experiment: this.experiment,
      position: { ...this.position },
      models,
      optimizers,
      rng: this.rng.state(),
      labels: this.labels.map((l) => ({ ...l })),
      metrics: this.metrics.map((m) => ({ ...m })),
      backend: this.opts.backend,
      createdAt: at,
    };
  }

  /**
   * Training diverged: the stage stops and the run ends with an error that says where and what to lower. Nothing of
   * the diverged state is saved, so the newest stored checkpoint is the last finite one (Runner.restore reopens it).
   */
  private diverged(what: string, lr: 'optimizer.lr' | 'reward_model.lr'): never {
    const now = lr === 'optimizer.lr' ? algorithmOf(this.experiment.optimizer).lr(this.experiment.optimizer) : this.experiment.reward_model.lr;
    throw new DivergenceError(
      `training diverged at step ${this.position.stageStep + 1} of round ${this.position.round + 1}'s ${this.position.stage} stage: ${what}. ` +
        `The last finite checkpoint is kept; lower ${lr} (now ${now}) and start again, or resume from that checkpoint.`,
    );
  }

  /** What a host draws: the landscape's reward heatmap and samples, or the text task's sample table. */
  visuals(): Promise<Visuals> {
    return this.lab.visuals(this.position.iteration);
  }

  dispose(): void {
    this.disposed = true;
    this.stop();
    this.lab.dispose();
  }
}

/**
 * The lab's fast kernels (kernels/index.ts: same numbers up to rounding, fewer dispatches), the fused ones unless the
 * host turned them off; on another tfjs, tfjs's own and a notice.
 */
function fastKernels({ hooks = {}, fused = true }: RunnerOptions): void {
  const { notice } = installKernels();
  if (!fused) useKernels({ fused: false });
  if (notice) (hooks.onNotice ?? hooks.onLog)?.(notice);
}

/** About how often the reward-model fit reads a loss back, and so how often its step count is known to be true. */
const SYNC_SECONDS = 0.75;

const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');
