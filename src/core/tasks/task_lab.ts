// What a task brings to the runner: its models and optimizers, how it proposes a pair to compare, what the
// gold reward says of a sample, one reward-model step, and what a host draws; and, as a PolicyTask
// (algos/policy_task.ts), what the algorithms need to optimize its policy.
// The runner owns the loop (rounds, stages, labels, checkpoints, pause and stop); a task owns its models' math;
// an algorithm (algos/*.ts) owns the policy's update.
import type { Tensor } from '../tf';
import type { Params, Weights } from '../models/params';
import type { Adam, AdamState } from '../optim';
import type { Rng } from '../rng';
import type { Label, Sample } from '../feedback/labelers';
import type { Experiment, LabelerConfig } from '../experiment/parse';
import type { MetricRow } from '../checkpoint/record';
import type { HackingRow } from '../analysis/overopt';
import type { PolicyTask } from '../algos/policy_task';

/** Reads a file the lab ships in public/ (e.g. "text/base.json"): fetch in the tab, the file system in Node. */
export type Assets = (path: string) => Promise<Uint8Array>;

/** Two samples for one comparison; text pairs share a prompt. */
export interface Proposal {
  prompt?: string;
  a: Sample;
  b: Sample;
}

export interface LandscapeVisuals {
  kind: 'landscape2d';
  grid: number;
  extent: number;
  /** Normalized reward-model score at gridPoints(grid), row by row from the top. */
  reward: Float32Array;
  /** Current policy samples [x0, y0, ...]. */
  samples: Float32Array;
  /** Reward-model ensembles: the members' standard deviation at gridPoints(grid), where they disagree (absent for one model). */
  disagreement?: Float32Array;
  /** The over-optimization lab: the samples with the largest proxy − gold gap (absent without an `overoptimization` block). */
  hacking?: HackingRow[];
}

export interface TextSampleRow {
  prompt: string;
  completion: string;
  /** Normalized reward-model score. */
  proxy: number;
  gold: number;
}

export interface TextVisuals {
  kind: 'text';
  /** The latest policy completions with their proxy and gold rewards. */
  samples: TextSampleRow[];
  /** The latest batch's completions the reward model overrates most (overoptimization.hacking_samples of them). */
  hacking?: HackingRow[];
}

export interface PixelVisuals {
  kind: 'pixels';
  /** The palette's colours (#rrggbb) by token: a picture's digit d is drawn in palette[d]. */
  palette: string[];
  /** The latest policy pictures (`completion`: the digits, row by row) with their proxy and gold rewards. */
  samples: TextSampleRow[];
  /** The latest batch's pictures the reward model overrates most; a label is "prompt▸digits". */
  hacking?: HackingRow[];
}

export interface ControlVisuals {
  kind: 'control';
  env: 'cartpole' | 'reacher';
  obsSize: number;
  /** The latest policy's first evaluation episode: observations frame by frame (frames × obsSize). */
  frames: Float32Array;
  /** That episode's true return. */
  trueReturn: number;
  /** Policy iterations behind the clip. */
  version: number;
  /** The clip's true reward at each step (the environment's). */
  stepReward: Float32Array;
  /** The reward model's score of each step of the clip (normalized, as the policy sees it); empty where the run trains on the true reward. */
  stepProxy: Float32Array;
  /** The reward-hacking panel's rows: the control task lists none (its segments are clips, not rows). */
  hacking?: undefined;
}

export type Visuals = LandscapeVisuals | TextVisuals | PixelVisuals | ControlVisuals;

export interface ModelState {
  params: Params;
  /** Everything besides weights needed to rebuild the model (architecture, reward normalization, ...). */
  spec: Record<string, unknown>;
}

export interface TaskLab extends PolicyTask {
  /** The run's experiment. */
  readonly experiment: Experiment;
  /** Models a checkpoint stores, by name. */
  models(): Record<string, ModelState>;
  /** Optimizers a checkpoint stores, by the name of the model they train. */
  optimizers(): Record<string, Adam>;
  /** Two samples of the current policy to compare. */
  propose(rng: Rng): Promise<Proposal>;
  /** What a simulated labeler's reward says of one side of a proposal (gold plus the labeler's bias). */
  labelerReward(labeler: Extract<LabelerConfig, { kind: 'simulated' }>, p: Proposal, side: 'a' | 'b'): number;
  /** One Bradley-Terry step of the reward model on labels with targets P(a ≻ b); returns the loss (caller disposes). */
  rewardStep(batch: Label[], targets: Float32Array): Tensor;
  /** Raw reward-model scores of both sides of labels. */
  rewardScores(labels: Label[]): Promise<{ a: Float32Array; b: Float32Array }>;
  /** Sets the reward normalization to mean 0, std 1 over the current policy's samples. */
  normalizeReward(): Promise<void>;
  /** Puts the policy (and its optimizer) back where the run started: iterated RLHF with rollback. */
  rollback?(): void;
  /** The untrained policy's metrics (step 0). */
  evaluate(): Promise<MetricRow>;
  visuals(iteration: number): Promise<Visuals>;
  dispose(): void;
}

/** Restores a model's weights and its optimizer's state from a checkpoint. */
export interface TaskState {
  weights: Record<string, Weights>;
  specs: Record<string, Record<string, unknown>>;
  optimizers?: Record<string, AdamState>;
}
