// How a host steers a run between its steps: pause, resume, stop, the run's status, yielding to the host's event
// loop, a checkpoint at least every `checkpoint_every_s`, and the pair a person is asked about, with their answer.
// The Runner (runner.ts) extends it with the stages.
import { isThumb, type Answer, type Sample } from './feedback/labelers';
import type { Store } from './checkpoint/store';
import type { Assets } from './tasks/task_lab';

/** The pair a human labeler is asked about. */
export interface PendingPair {
  id: number;
  /** Text task: the prompt both completions continue. */
  prompt?: string;
  a: Sample;
  b: Sample;
  /** A thumb is asked: up or down on `a` alone (`b` is the same sample). */
  thumbs?: boolean;
}

export type RunStatus = 'ready' | 'running' | 'paused' | 'waiting-for-labels' | 'stopped' | 'done' | 'error';

export interface RunnerHooks {
  /** A new metrics row (one per policy iteration, plus the row of the untrained policy at step 0). */
  onMetrics?(row: import('./checkpoint/record').MetricRow): void;
  /** Something changed: a step, a stage, a label, the status. Hosts throttle what they forward. */
  onProgress?(): void;
  /** A checkpoint was written. */
  onCheckpoint?(info: { at: number; position: import('./checkpoint/record').Position }): void;
  /** A line for the log (stderr in the CLI). */
  onLog?(line: string): void;
  /** Something the user must know, e.g. that storage is full and a checkpoint could not be saved. */
  onNotice?(message: string): void;
}

/** A run whose losses or weights stopped being finite; its message says where and which learning rate to lower. */
export class DivergenceError extends Error {
  override name = 'DivergenceError';
}

/** What a host gives a run. */
export interface RunnerOptions {
  store: Store;
  runId: string;
  backend: string;
  hooks?: RunnerHooks;
  /** Clock in ms; tests may pass a fake one. */
  now?: () => number;
  /** The lab's shipped files (the text task's base model and lexicon). */
  assets?: Assets;
  /**
   * The fused kernels (kernels/index.ts; default on, as the lab trains). Off, the run computes with tf ops where they
   * would run (webgpu, wasm): the golden runs' rows were recorded so, and the fused kernels round differently.
   */
  fused?: boolean;
}

export abstract class RunControl {
  status: RunStatus = 'ready';
  /** True while run() is executing (also while it is paused inside). */
  active = false;
  error: string | null = null;
  lastCheckpointAt = 0;
  /** The pair shown to the person, while the run waits for their answer. */
  pendingPair: PendingPair | null = null;
  protected finishLabelingRequested = false;
  protected stopRequested = false;
  protected pauseRequested = false;
  protected disposed = false;
  private wake: (() => void) | null = null;
  private lastYield = 0;

  constructor(
    protected readonly hooks: RunnerHooks,
    /** Clock in ms; tests may pass a fake one. */
    protected readonly now: () => number,
    private readonly checkpointEverySeconds: number,
  ) {}

  /** Saves the run's state (a checkpoint). */
  abstract checkpoint(): Promise<void>;
  /** Keeps the person's answer to a pair as a label. */
  protected abstract recordAnswer(pair: PendingPair, answer: Answer, margin?: number): void;
  /** Whether the label stage may end now (at least one pair of this round labeled). */
  protected abstract canFinishLabeling(): boolean;

  /**
   * The human's answer to the pending pair, with the margin of their strength of preference where they gave one
   * (strengthMargin; A or B only). Returns false when no pair is pending or the answer does not fit it.
   */
  submitLabel(answer: Answer, margin?: number): boolean {
    const pair = this.pendingPair;
    // A thumb answers a thumbs query only, a comparison's answer a pair only; skip answers either.
    if (!pair || (answer !== 'skip' && isThumb(answer) !== !!pair.thumbs)) return false;
    if (margin !== undefined && (!(margin >= 0 && margin <= 1) || (answer !== 'a' && answer !== 'b'))) return false;
    this.recordAnswer(pair, answer, margin);
    this.pendingPair = null;
    this.wakeUp();
    return true;
  }

  /** Ends the labeling stage early (the "Train reward model" button); refused until a pair of this round is labeled. */
  finishLabeling(): boolean {
    if (!this.canFinishLabeling()) return false;
    this.finishLabelingRequested = true;
    this.wakeUp();
    return true;
  }

  /**
   * Shows the pair to the person and waits (pausing meanwhile if asked): 'answered' once submitLabel has kept their
   * label, 'dropped' when labeling was ended while the pair was shown (it is not labeled), 'stopped'.
   */
  protected async askPerson(pair: PendingPair): Promise<'answered' | 'dropped' | 'stopped'> {
    this.pendingPair = pair;
    this.status = 'waiting-for-labels';
    this.progress();
    while (this.pendingPair && !this.stopRequested && !this.finishLabelingRequested) {
      if (this.pauseRequested) {
        if (!(await this.checkpointAndControl())) return 'stopped';
        continue;
      }
      await this.sleep();
    }
    if (this.stopRequested) return 'stopped';
    if (this.pendingPair) {
      this.pendingPair = null;
      return 'dropped';
    }
    return 'answered';
  }

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

  protected wakeUp(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  protected sleep(): Promise<void> {
    return new Promise((resolve) => (this.wake = resolve));
  }

  /** Marks the start of run(): the clock of yields starts now. */
  protected started(): void {
    this.lastYield = this.now();
  }

  /** Between steps: yield to the host's event loop now and then, honour pause and stop. Returns false to stop. */
  protected async checkpointAndControl(): Promise<boolean> {
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
    if (now - this.lastCheckpointAt > this.checkpointEverySeconds * 1000) await this.checkpoint();
    return true;
  }

  protected progress(): void {
    this.hooks.onProgress?.();
  }

  protected log(line: string): void {
    this.hooks.onLog?.(line);
  }
}
