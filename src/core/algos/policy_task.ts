// What the algorithms need from a task, and nothing more: sample a batch from the policy with what every policy
// gradient method reads (log π, log π_ref, V, the reward model's score), run the policy's forward pass again on rows
// of that batch, score completion pairs under the policy or the reference (DPO and the offline methods), and draw candidates from the
// reference policy (best-of-n). Tasks implement it (tasks/*); algorithms (algos/*.ts) import only this file, so one
// algorithm file serves every task.
//
// A batch is B rows of M positions: a text completion is a row of token slots (mask marks the sampled tokens), a
// point of the plane is a row of one action, and a control rollout is one row per environment step, its episodes
// given as trajectories over consecutive rows.
import type { Tensor } from '../tf';
import type { Params } from '../models/params';
import type { Adam } from '../optim';
import type { Rng } from '../rng';
import type { Label } from '../feedback/labelers';
import type { MetricRow } from '../checkpoint/record';

export interface Rollout {
  /** Rows: completions (text), points (landscape), environment steps (control). */
  B: number;
  /** Positions per row (a completion's token slots; 1 where a row is one action). */
  M: number;
  /** The shape of one row's per-position values as tensors: [M] for sequences, [] for one action per row. */
  rowShape: number[];
  /** The most positions a row's sampled actions may take (text: max_new_tokens); absent where a row is one action. */
  maxLength?: number;
  /** [B·M]: 1 where a position holds one of the row's sampled actions; null where every position does. */
  mask: Float32Array | null;
  /** [B·M]: log π_old(a_t | s_t) of the sampled actions. */
  logp: Float32Array;
  /** [B·M]: log π_ref(a_t | s_t), where the task has a reference policy (null: no KL to keep). */
  refLogp: Float32Array | null;
  /** [B·M]: V(s_t), where the policy has a value head. */
  values: Float32Array | null;
  /** [B]: the reward of each row as a whole: the reward model's normalized score (conservative for an ensemble). */
  score: Float32Array;
  /** [B·M]: a reward on every position before any KL penalty (control: per step); null where only `score` counts. */
  stepRewards: Float32Array | null;
  /**
   * The trajectories GAE runs over, as flat positions [from, to), with the reward added at each one's last position:
   * a completion's score, or for control the worth of what follows an episode's end or the rollout's cut.
   */
  trajectories: { from: number; to: number; last: number }[];
  /** PPO's advantage whitening: over the whole batch (TRL), or per minibatch (CleanRL's ppo.py). */
  whiten: 'batch' | 'minibatch';
  /** The task's estimate of the policy's entropy on this batch (null: the update's forward passes give it). */
  entropy: number | null;
  /** Row entries the task measures on this batch whatever the algorithm (gold reward, sample length, ...). */
  metrics: MetricRow;
  /** Row entries about the reward model on this batch (proxy reward, ...), for the algorithms that optimize it. */
  rmMetrics: MetricRow;
}

/** The policy's forward pass on rows of a rollout, shaped [rows, ...rowShape]. */
export interface Forward {
  logp: Tensor;
  values?: Tensor;
  /** Per-row entropy, where the task measures it in the update (control). */
  entropy?: Tensor;
}

/** Candidates from the reference policy for best-of-n: groups of n consecutive rows share a prompt. */
export interface Candidates {
  /** The reward the policy would see for each candidate (normalized). */
  score: ArrayLike<number>;
}

export interface PolicyTask<R extends Rollout = Rollout, C extends Candidates = Candidates> {
  /** The trained policy's weights and its Adam. */
  readonly policy: { params: Params; opt: Adam };
  /** B samples of the current policy, drawn `groupSize` at a time per prompt (RLOO, GRPO). */
  rollout(B: number, groupSize: number, rng: Rng): Promise<R>;
  /** log π (V too when `values`; entropy where the task measures it) of rows of a rollout under the current weights. */
  forward(r: R, rows: number[], values?: boolean): Forward;
  /** After the policy's update: measures that need the new weights (control's evaluation episodes). */
  afterUpdate?(r: R): Promise<MetricRow>;
  /** Hands the sample table its rows: the batch with the reward the algorithm optimized. */
  show?(r: R, proxy: ArrayLike<number>): void;
  /** Sequence log-probabilities of the labels' chosen sides, then their rejected sides, [2n], under `which` (DPO). */
  pairLogps?(which: 'policy' | 'reference', labels: readonly Label[]): Tensor;
  /**
   * The number of tokens in each completion pairLogps scores, in its order [2n]: what the length-normalized methods
   * (SimPO, ORPO, RPO's NLL) divide by. A text completion's characters; a point is one action, length 1.
   */
  pairLengths?(labels: readonly Label[]): Float32Array;
  /** n·groups candidates of the reference policy, in groups of n (best-of-n). */
  candidates?(n: number, groups: number, rng: Rng): Promise<C>;
  /** The row entries of best-of-n's picks (indices into the candidates): gold reward and the task's own measures. */
  describePicks?(c: C, picks: number[], n: number): Promise<MetricRow>;
}
