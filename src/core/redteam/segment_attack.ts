// The red team on control: small bounded perturbations of the policy's recorded clips, searched to raise the reward
// model's score. A perturbed clip is replayed through the environment (episodes.ts replaySegment), so it is a clip
// the environment could have produced and its gold is the environment's own true reward of its steps; a clip whose
// observations were edited by hand would have no true reward to check it against.
//
// The perturbation of a clip of K steps: its start state moved by at most `radius` of the policy's own spread (std)
// in each observation dimension, to a state an episode can be in; and its actions: on cart-pole at most `flips`
// pushes differ from the recorded ones, on the reacher each force stays within ±`actionRadius` of the recorded one
// (and in [−1, 1]). The search is greedy, as the text attack's (text_attack.ts): each step tries `candidates` random
// single moves per find (one start dimension redrawn within its bound, or one action changed) and keeps the one that
// raises the proxy most. Success rate and thresholds as the other attacks (attack.ts).
import { Rng } from '../rng';
import type { Segment } from '../feedback/labelers';
import { makeEnv, replaySegment, storedActionWidth, type EnvName } from '../tasks/control/episodes';
import { CartPole } from '../tasks/control/envs';
import { isSuccess, successRate, thresholds, type LoopTarget, type Thresholds } from './attack';

/** What the attack needs of the control lab (tasks/control/control_lab.ts). */
export interface SegmentTarget {
  /** The proxy of each segment: the reward the policy sees per step (normalized; an ensemble's conservative score), summed. */
  probeSegments(segs: Segment[]): Promise<Float32Array>;
  /** n segments of the current policy. */
  policySegments(n: number, rng: Rng): Promise<Segment[]>;
}

export interface SegmentAttackOptions {
  /** Finds: one search from each of this many policy clips. */
  budget: number;
  seed: number;
  /** Greedy steps per find. */
  steps?: number;
  /** Random single moves scored per find and step. */
  candidates?: number;
  /** The start state moves at most this many of the policy's standard deviations per observation dimension. */
  radius?: number;
  /** Cart-pole: at most this many pushes differ from the recorded clip's (default: a tenth of its steps, at least 1). */
  flips?: number;
  /** Reacher: each force component stays within ± this of the recorded one. */
  actionRadius?: number;
  /** Policy clips the thresholds and the spread are read from. */
  policySamples?: number;
}

export const SEGMENT_ATTACK_DEFAULTS = { steps: 30, candidates: 16, radius: 0.5, actionRadius: 0.5, policySamples: 256 };

export interface SegmentExploit {
  /** The perturbed clip, as the environment replays it. */
  segment: Segment;
  /** The policy's clip it started from. */
  start: Segment;
  proxy: number;
  /** The clip's true return. */
  gold: number;
  gap: number;
  /** The largest move of the start state, in the policy's standard deviations. */
  shift: number;
  /** Steps whose action differs from the recorded clip's. */
  changed: number;
  success: boolean;
}

export interface SegmentAttackResult {
  exploits: SegmentExploit[];
  successRate: number;
  thresholds: Thresholds;
  meanProxy: number;
  meanGold: number;
  policy: { meanProxy: number; meanGold: number };
}

const goldOf = (s: Segment) => s.reward.reduce((a, b) => a + b, 0);
const meanOf = (xs: ArrayLike<number>) => Array.from(xs).reduce((a, b) => a + b, 0) / xs.length;

/** Whether an episode can be in the state an observation shows: cart-pole upright within its limits; the reacher's point and goal on the square. */
export function possibleStart(env: EnvName, obs: ArrayLike<number>): boolean {
  if (env === 'cartpole') return Math.abs(obs[0]) <= CartPole.X_LIMIT && Math.abs(obs[2]) <= CartPole.THETA_LIMIT;
  return [0, 1].every((i) => Math.abs(obs[i]) <= 1 && Math.abs(obs[i] + obs[4 + i]) <= 1);
}

/** A clip's start and actions, as the search moves them. */
interface Perturbed {
  start: number[];
  act: number[];
}

export async function attackSegments(target: SegmentTarget, opts: SegmentAttackOptions): Promise<SegmentAttackResult> {
  const o = { ...SEGMENT_ATTACK_DEFAULTS, ...opts };
  const rng = new Rng(opts.seed);
  const reference = await target.policySegments(o.policySamples, rng);
  if (reference.length === 0) throw new Error('the policy gave no clips to attack');
  const name = reference[0].env;
  const env = makeEnv(name);
  const O = env.obsSize;
  const A = storedActionWidth(env);
  const K = reference[0].reward.length;
  const flips = o.flips ?? Math.max(1, Math.floor(K / 10));
  const refProxy = await target.probeSegments(reference);
  const t = thresholds({ proxy: refProxy, gold: reference.map(goldOf) });
  // The policy's spread per observation dimension, over every step of its clips.
  const sigma = Array.from({ length: O }, (_, d) => {
    const xs = reference.flatMap((s) => Array.from({ length: K }, (_, k) => s.obs[k * O + d]));
    const m = meanOf(xs);
    return Math.sqrt(meanOf(xs.map((x) => (x - m) ** 2)));
  });

  const starts = await target.policySegments(opts.budget, rng);
  // The recorded actions, a held fallen pose's "none" (−1) read as push left / no force.
  const base = starts.map((s): Perturbed => ({ start: s.obs.slice(0, O), act: s.act.map((a) => (a === -1 ? 0 : a)) }));
  const replay = (p: Perturbed) => replaySegment(name, p.start, p.act, K);
  const changedOf = (k: number, act: number[]) => Array.from({ length: K }, (_, s) => act.slice(s * A, (s + 1) * A).some((a, j) => a !== base[k].act[s * A + j])).filter(Boolean).length;

  /** One random move of a find within its bounds; null where it would leave them. */
  const move = (k: number, p: Perturbed): Perturbed | null => {
    const next = { start: [...p.start], act: [...p.act] };
    if (rng.uniform() < 0.5) {
      const d = rng.int(O);
      next.start[d] = base[k].start[d] + (2 * rng.uniform() - 1) * o.radius * sigma[d];
      return possibleStart(name, next.start) ? next : null;
    }
    const s = rng.int(K);
    if (env.action.kind === 'discrete') {
      next.act[s] = 1 - next.act[s];
      return changedOf(k, next.act) <= flips ? next : null;
    }
    const j = s * A + rng.int(A);
    next.act[j] = Math.max(-1, Math.min(1, base[k].act[j] + (2 * rng.uniform() - 1) * o.actionRadius));
    return next;
  };

  const cur = base.map((p) => ({ p, seg: replay(p), proxy: 0 }));
  (await target.probeSegments(cur.map((c) => c.seg))).forEach((x, k) => (cur[k].proxy = x));
  for (let step = 0; step < o.steps; step++) {
    const tried: { k: number; p: Perturbed; seg: Segment }[] = [];
    cur.forEach((c, k) => {
      for (let j = 0; j < o.candidates; j++) {
        const p = move(k, c.p);
        if (p) tried.push({ k, p, seg: replay(p) });
      }
    });
    if (tried.length === 0) break;
    const scored = await target.probeSegments(tried.map((x) => x.seg));
    tried.forEach((x, i) => {
      if (scored[i] > cur[x.k].proxy) Object.assign(cur[x.k], { p: x.p, seg: x.seg, proxy: scored[i] });
    });
  }

  const exploits = cur
    .map((c, k): SegmentExploit => {
      const gold = goldOf(c.seg);
      const shift = Math.max(0, ...c.p.start.map((x, d) => (sigma[d] > 0 ? Math.abs(x - base[k].start[d]) / sigma[d] : 0)));
      return { segment: c.seg, start: starts[k], proxy: c.proxy, gold, gap: c.proxy - gold, shift, changed: changedOf(k, c.p.act), success: isSuccess(t, c.proxy, gold) };
    })
    .sort((a, b) => b.gap - a.gap);
  return {
    exploits,
    successRate: successRate(exploits, t),
    thresholds: t,
    meanProxy: meanOf(exploits.map((e) => e.proxy)),
    meanGold: meanOf(exploits.map((e) => e.gold)),
    policy: { meanProxy: meanOf(refProxy), meanGold: meanOf(reference.map(goldOf)) },
  };
}

/** The control loop (attack.ts closeLoopOn): perturbed clips, each paired with a clip of the policy. */
export function segmentLoop(lab: SegmentTarget, opts: Omit<SegmentAttackOptions, 'seed'>): LoopTarget<SegmentAttackResult> {
  return {
    attack: (seed) => attackSegments(lab, { ...opts, seed }),
    sideOf: (e) => ({ sample: e.segment }),
    partners: (sides, rng) => lab.policySegments(sides.length, rng),
  };
}
