// Simulated labelers (RLHF.md): Boltzmann-rational over the gold reward, with random answers, ties and skips.
import type { Rng } from '../rng';
import type { LabelerConfig } from '../experiment/parse';

/** A comparison's answer, or a thumb on one completion ('up', 'down': KTO's unpaired feedback, `schedule.feedback: "thumbs"`). */
export type Answer = 'a' | 'b' | 'tie' | 'skip' | 'up' | 'down';
export const ANSWERS: readonly Answer[] = ['a', 'b', 'tie', 'skip', 'up', 'down'];

/** A thumb: the label rates its sample `a` alone (its `b` is the same sample, so every label keeps two sides). */
export const isThumb = (answer: Answer): answer is 'up' | 'down' => answer === 'up' || answer === 'down';

/**
 * A control task's trajectory segment, what its clip draws: per step the observation, the action taken and the true
 * reward. After a cart-pole falls the segment goes on with the fallen pose, action −1 and reward 0, so a fall
 * inside a clip is seen for what it is.
 */
export interface Segment {
  env: 'cartpole' | 'reacher';
  /** Observations, step after step (steps × the env's observation size). */
  obs: number[];
  /** Cart-pole: the push per step (0 left, 1 right, −1 none after a fall); reacher: the force per step (steps × 2). */
  act: number[];
  /** The true reward per step: what a simulated labeler watches (a person sees only the clip). */
  reward: number[];
}

/** A sample a labeler sees: a point [x, y] of the landscape, a text completion (without its prompt), or a segment. */
export type Sample = [number, number] | string | Segment;

export const isSegment = (s: Sample): s is Segment => typeof s === 'object' && !Array.isArray(s);

/** One comparison of two samples and who answered it. */
export interface Label {
  id: number;
  /** Text task: the prompt both completions continue. */
  prompt?: string;
  a: Sample;
  b: Sample;
  answer: Answer;
  /**
   * How far the preferred side must lead in reward (TRL's `margin` column): from the labeler's strength of preference
   * (strengthMargin), or read from an imported file. Absent: 0. Ties and skips carry none.
   */
  margin?: number;
  /** "human" or "simulated:<index in the panel>" */
  labeler: string;
  round: number;
  /** ms since the epoch */
  time: number;
}

export const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/**
 * One simulated answer for gold rewards gA, gB. In this order: skip with skip_prob; with ε a coin flip;
 * a tie when |gA − gB| < tie_margin; else a ≻ b with probability σ(β·(gA − gB)).
 * So for a pair that is not a tie, P(a) = (1 − skip)·(ε/2 + (1 − ε)·σ(βΔg)).
 */
export function simulatedAnswer(
  cfg: Extract<LabelerConfig, { kind: 'simulated' }>,
  goldA: number,
  goldB: number,
  rng: Rng,
): Answer {
  if (rng.uniform() < cfg.skip_prob) return 'skip';
  if (rng.uniform() < cfg.epsilon) return rng.uniform() < 0.5 ? 'a' : 'b';
  if (Math.abs(goldA - goldB) < cfg.tie_margin) return 'tie';
  return rng.uniform() < sigmoid(cfg.beta * (goldA - goldB)) ? 'a' : 'b';
}

/**
 * The margin of a strength of preference, 1 (negligibly better) to 4 (much better): Llama 2's "margin small" scale
 * (Touvron et al. 2023, table 28), 0, 1/3, 2/3, 1, as TRL's RewardTrainer takes it in its `margin` column.
 */
export const STRENGTHS = ['negligibly better', 'slightly better', 'better', 'much better'] as const;
export function strengthMargin(level: number): number {
  if (!Number.isInteger(level) || level < 1 || level > STRENGTHS.length) throw new Error(`a strength of preference is 1 to ${STRENGTHS.length}, not ${level}`);
  return (level - 1) / (STRENGTHS.length - 1);
}

/**
 * A simulated labeler's strength of preference from the gold gap, as its margin (undefined where it states none: no
 * `strength_step`, or no decisive answer): level 1 + floor(|g(a) − g(b)| / strength_step), at most 4.
 */
export function simulatedMargin(cfg: Extract<LabelerConfig, { kind: 'simulated' }>, goldA: number, goldB: number, answer: Answer): number | undefined {
  if (!cfg.strength_step || (answer !== 'a' && answer !== 'b')) return undefined;
  return strengthMargin(Math.min(STRENGTHS.length, 1 + Math.floor(Math.abs(goldA - goldB) / cfg.strength_step)));
}

/**
 * One simulated thumb on a sample of gold reward g, with the labeler's noise as in simulatedAnswer: skip with
 * skip_prob; with ε a coin flip; else up with probability σ(β·(g − thumb_threshold)).
 */
export function simulatedThumb(cfg: Extract<LabelerConfig, { kind: 'simulated' }>, gold: number, rng: Rng): Answer {
  if (rng.uniform() < cfg.skip_prob) return 'skip';
  if (rng.uniform() < cfg.epsilon) return rng.uniform() < 0.5 ? 'up' : 'down';
  return rng.uniform() < sigmoid(cfg.beta * (gold - (cfg.thumb_threshold ?? 0))) ? 'up' : 'down';
}

/** Picks the panel member who answers the next query, by weight. */
export function pickLabeler(labelers: readonly LabelerConfig[], rng: Rng): number {
  const total = labelers.reduce((s, l) => s + l.weight, 0);
  if (labelers.length === 1 || total <= 0) return 0;
  let u = rng.uniform() * total;
  for (let i = 0; i < labelers.length; i++) {
    u -= labelers[i].weight;
    if (u < 0) return i;
  }
  return labelers.length - 1;
}

/** P(a ≻ b) a label stands for, or null for a skip. */
export function targetOf(answer: Answer): number | null {
  return answer === 'a' ? 1 : answer === 'b' ? 0 : answer === 'tie' ? 0.5 : null;
}

/**
 * The decisive-or-tie labels split into the reward model's train and held-out sets: every k-th label by id is held
 * out (k = round(1/holdout)). With very few labels, it trains on all of them rather than on none.
 */
/**
 * The one count of a run's labels every host shows (status line, labeler, figures, runs table, metric rows):
 * `decided` answers (a preference or a tie) and `skipped` ones, which teach the reward model nothing.
 */
export function labelCounts(labels: readonly { answer: Answer; round?: number }[], round?: number): { decided: number; skipped: number } {
  let decided = 0;
  let skipped = 0;
  for (const l of labels) {
    if (round !== undefined && l.round !== round) continue;
    if (l.answer === 'skip') skipped++;
    else decided++;
  }
  return { decided, skipped };
}

export function splitLabels(labels: readonly Label[], holdout: number): { train: Label[]; heldOut: Label[] } {
  const usable = labels.filter((l) => targetOf(l.answer) !== null);
  if (holdout <= 0) return { train: usable, heldOut: [] };
  const k = Math.max(2, Math.round(1 / holdout));
  const train: Label[] = [];
  const heldOut: Label[] = [];
  for (const l of usable) (l.id % k === k - 1 ? heldOut : train).push(l);
  return train.length === 0 ? { train: heldOut, heldOut: [] } : { train, heldOut };
}
