// The control task's episodes on the host: environments stepped under the policy's weights (read back once and
// evaluated in plain TypeScript, models/mlp_host.ts), the streams of steps they leave, the segments cut from them for
// comparisons, the reward model's input features of a step, and the policy's action distribution.
import { tf, type Tensor } from '../../tf';
import type { Rng } from '../../rng';
import type { MlpSpec } from '../../models/mlp';
import { mlpHost } from '../../models/mlp_host';
import type { Weights } from '../../models/params';
import type { Segment } from '../../feedback/labelers';
import { CartPole, PointReacher, type ControlEnv } from './envs';

export type EnvName = 'cartpole' | 'reacher';

export function makeEnv(name: EnvName): ControlEnv {
  return name === 'cartpole' ? new CartPole() : new PointReacher();
}

/** Width of an action as the reward model reads it: cart-pole's push one-hot (all zeros: none), the reacher's force. */
export function actionWidth(env: ControlEnv): number {
  return env.action.kind === 'discrete' ? env.action.n : env.action.size;
}

/** Numbers per step a segment stores for the action: 1 (cart-pole's push) or the force's size. */
export function storedActionWidth(env: ControlEnv): number {
  return env.action.kind === 'discrete' ? 1 : env.action.size;
}

/** One step's reward-model input: observation, then the action's features. */
export function features(env: ControlEnv, obs: ArrayLike<number>, act: ArrayLike<number>, out: Float32Array, at: number): void {
  out.set(obs as Float32Array, at);
  const o = at + env.obsSize;
  if (env.action.kind === 'discrete') {
    for (let i = 0; i < env.action.n; i++) out[o + i] = act[0] === i ? 1 : 0;
  } else {
    for (let i = 0; i < env.action.size; i++) out[o + i] = act[i];
  }
}

/** The steps of one environment over a rollout, episodes one after another. */
export interface Stream {
  obs: Float32Array[];
  /** The action applied (cart-pole: [push]; reacher: the clipped force). */
  act: number[][];
  /** The action drawn (reacher: before clipping), whose log-probability PPO takes. */
  drawn: number[][];
  reward: number[];
  /** After step t: 0 the episode goes on, 1 it ended by a fall (terminal), 2 by the step limit. */
  end: number[];
  /** Step t's index within its episode. */
  tEp: number[];
  /** The observation after step t where an episode ended or the rollout was cut. */
  after: Map<number, Float32Array>;
}

/** A member (or the policy / value half) of a params object whose keys carry a prefix: "m2.w0" → "w0". */
export function part<T>(all: Record<string, T>, prefix: string): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [k, x] of Object.entries(all)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = x;
  return out;
}

export function prefixed<T>(w: Record<string, T>, prefix: string): Record<string, T> {
  return Object.fromEntries(Object.entries(w).map(([k, x]) => [prefix + k, x]));
}

/** `envs` environments for `steps` steps each under the policy with weights `w`, episodes reset as they end. */
export function runEpisodes(name: EnvName, piSpec: MlpSpec, w: Weights, envs: number, steps: number, rng: Rng): Stream[] {
  const pi = part(w, 'pi.');
  const logStd = w.log_std?.data;
  const streams: Stream[] = [];
  for (let e = 0; e < envs; e++) {
    const env = makeEnv(name);
    const s: Stream = { obs: [], act: [], drawn: [], reward: [], end: [], tEp: [], after: new Map() };
    let obs = env.reset(rng);
    let tEp = 0;
    for (let t = 0; t < steps; t++) {
      const { drawn, act } = drawAction(env, mlpHost(piSpec, pi, obs), logStd, rng);
      const r = env.step(env.action.kind === 'discrete' ? act[0] : Float32Array.from(act));
      s.obs.push(obs);
      s.act.push(act);
      s.drawn.push(drawn);
      s.reward.push(r.reward);
      s.tEp.push(tEp);
      const fell = r.done && env.steps < env.maxSteps;
      s.end.push(r.done ? (fell ? 1 : 2) : 0);
      if (r.done || t === steps - 1) s.after.set(t, r.obs);
      if (r.done) {
        obs = env.reset(rng);
        tEp = 0;
      } else {
        obs = r.obs;
        tEp += 1;
      }
    }
    streams.push(s);
  }
  return streams;
}

/** An action from the policy head's outputs: a push drawn from softmax(logits), or a force N(μ, σ²) clipped to [−1, 1]. */
export function drawAction(env: ControlEnv, out: ArrayLike<number>, logStd: Float32Array | undefined, rng: Rng): { drawn: number[]; act: number[] } {
  if (env.action.kind === 'discrete') {
    const a = [sampleCategorical(out, rng)];
    return { drawn: a, act: a };
  }
  const drawn = Array.from(out, (m, i) => m + Math.exp(logStd![i]) * rng.normal());
  return { drawn, act: drawn.map((x) => Math.max(-1, Math.min(1, x))) };
}

/** The segment of `steps` steps from step `from` of a stream, or null where the episode is cut short by the step limit or the rollout's end. */
export function segmentAt(env: ControlEnv, name: EnvName, s: Stream, from: number, steps: number): Segment | null {
  const seg: Segment = { env: name, obs: [], act: [], reward: [] };
  let t = from;
  for (let i = 0; i < steps; i++, t++) {
    if (t >= s.obs.length) return null;
    seg.obs.push(...s.obs[t]);
    seg.act.push(...s.act[t]);
    seg.reward.push(s.reward[t]);
    if (i < steps - 1 && s.end[t] === 2) return null;
    if (i < steps - 1 && s.end[t] === 1) {
      // Fallen: the pose after the fall, held for the rest of the segment.
      const pose = s.after.get(t)!;
      for (let j = i + 1; j < steps; j++) {
        seg.obs.push(...pose);
        seg.act.push(...new Array(storedActionWidth(env)).fill(-1));
        seg.reward.push(0);
      }
      return seg;
    }
  }
  return seg;
}

/**
 * The segment the environment makes from the state `start` shows under the actions `act` (a push or a force per
 * step, as a segment stores them), its true reward step by step; after a fall the fallen pose is held, as segmentAt
 * holds it. What the red team's perturbed clips are: a clip the environment could have produced.
 */
export function replaySegment(name: EnvName, start: ArrayLike<number>, act: number[], steps: number): Segment {
  const env = makeEnv(name);
  if (steps > env.maxSteps) throw new Error(`a ${steps}-step segment is longer than a ${name} episode (${env.maxSteps} steps)`);
  const A = storedActionWidth(env);
  env.restore(start);
  let obs: Float32Array = Float32Array.from(start);
  const seg: Segment = { env: name, obs: [], act: [], reward: [] };
  for (let t = 0; t < steps; t++) {
    const a = act.slice(t * A, (t + 1) * A);
    const r = env.step(env.action.kind === 'discrete' ? a[0] : Float32Array.from(a));
    seg.obs.push(...obs);
    seg.act.push(...a);
    seg.reward.push(r.reward);
    obs = r.obs;
    if (r.done && t < steps - 1) {
      for (let j = t + 1; j < steps; j++) {
        seg.obs.push(...obs);
        seg.act.push(...new Array(A).fill(-1));
        seg.reward.push(0);
      }
      return seg;
    }
  }
  return seg;
}

/** A draw from softmax(logits). */
export function sampleCategorical(logits: ArrayLike<number>, rng: Rng): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  let total = 0;
  const p = Array.from(logits, (l) => ((total += Math.exp(l - max)), Math.exp(l - max)));
  let u = rng.uniform() * total;
  for (let i = 0; i < p.length; i++) {
    u -= p[i];
    if (u < 0) return i;
  }
  return p.length - 1;
}

/** Reward-model inputs of segments of K steps, step by step: [segments × K, width] (observation, then action features). */
export function segmentFeatures(env: ControlEnv, segs: Segment[], K: number, width: number): Float32Array {
  const O = env.obsSize;
  const A = storedActionWidth(env);
  const x = new Float32Array(segs.length * K * width);
  segs.forEach((s, i) => {
    for (let t = 0; t < K; t++) features(env, s.obs.slice(t * O, (t + 1) * O), s.act.slice(t * A, (t + 1) * A), x, (i * K + t) * width);
  });
  return x;
}

const LOG_2PI = Math.log(2 * Math.PI);

/**
 * log π(a|s) and the entropy per row of the policy head's outputs `out` [n, ·] for drawn actions [n, stored width]: a
 * categorical over pushes (out are logits), or a Gaussian force N(out, e^(2·log_std)) (drawn before clipping).
 */
export function actionLogProb(action: ControlEnv['action'], out: Tensor, logStd: Tensor | undefined, drawn: Tensor): { logp: Tensor; entropy: Tensor } {
  return tf.tidy(() => {
    if (action.kind === 'discrete') {
      // tf.logSoftmax leaks a tensor on wasm (tfjs 4.22); the same by logsumexp:
      const logits = tf.sub(out, tf.logSumExp(out, 1, true));
      const oneHot = tf.oneHot(tf.cast(tf.reshape(drawn, [-1]), 'int32'), action.n);
      const logp = tf.sum(tf.mul(logits, oneHot), 1);
      const entropy = tf.neg(tf.sum(tf.mul(tf.exp(logits), logits), 1));
      return { logp, entropy };
    }
    const z = tf.div(tf.sub(drawn, out), tf.exp(logStd!));
    const logp = tf.sum(tf.sub(tf.mul(tf.square(z), -0.5), tf.add(logStd!, 0.5 * LOG_2PI)), 1);
    const entropy = tf.mul(tf.ones([out.shape[0]]), tf.sum(tf.add(logStd!, 0.5 * (1 + LOG_2PI))));
    return { logp, entropy };
  });
}

/**
 * Whole episodes under the policy with weights `w`, one after another from `rng`: each one's true return, and the
 * first one's observations frame by frame (at most `clipFrames`), the clip the tab plays.
 */
export function evaluationEpisodes(
  name: EnvName,
  piSpec: MlpSpec,
  w: Weights,
  episodes: number,
  clipFrames: number,
  rng: Rng,
): { returns: number[]; frames: number[]; clip: Segment } {
  const pi = part(w, 'pi.');
  const returns: number[] = [];
  let frames: number[] = [];
  // The first episode's steps as a segment (observation before each step, the action applied, its true reward): what
  // the tab shows per step beside the reward model's score.
  const clip: Segment = { env: name, obs: [], act: [], reward: [] };
  for (let ep = 0; ep < episodes; ep++) {
    const env = makeEnv(name);
    let obs = env.reset(rng);
    let total = 0;
    const f: number[] = [...obs];
    for (;;) {
      const { act } = drawAction(env, mlpHost(piSpec, pi, obs), w.log_std?.data, rng);
      const r = env.step(env.action.kind === 'discrete' ? act[0] : Float32Array.from(act));
      if (ep === 0 && clip.reward.length < clipFrames) {
        clip.obs.push(...obs);
        clip.act.push(...act);
        clip.reward.push(r.reward);
      }
      total += r.reward;
      obs = r.obs;
      if (f.length < clipFrames * env.obsSize) f.push(...obs);
      if (r.done) break;
    }
    returns.push(total);
    if (ep === 0) frames = f;
  }
  return { returns, frames, clip };
}
