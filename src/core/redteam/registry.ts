// The one map from a task's attack kind (tasks/registry.ts `attack`) to the red team's pieces for it: the loop (how one
// attack is run on the task's lab, which sample a find is, which policy samples the finds are compared with), and for
// the challenge (challenge.ts) how a line of exploits.jsonl is read back as a sample and what the open model says of
// it. The CLI's `attack --rounds`, `challenge score` and the tab's worker pick them here.
import type { Experiment } from '../experiment/parse';
import type { TaskLab } from '../tasks/task_lab';
import { taskOf } from '../tasks/registry';
import { ATTACK_DEFAULTS, pointLoop, thresholds, type AttackCore, type LoopTarget, type PointTarget, type Thresholds } from './attack';
import type { Rng } from '../rng';
import { SEGMENT_ATTACK_DEFAULTS, possibleStart, segmentLoop, type SegmentTarget } from './segment_attack';
import { TEXT_ATTACK_DEFAULTS, textLoop, type TextTarget } from './text_attack';
import type { Sample, Segment } from '../feedback/labelers';
import { EXTENT } from '../tasks/landscape2d/landscape';
import { makeEnv, replaySegment, storedActionWidth, type EnvName } from '../tasks/control/episodes';
import { unknownChars } from '../tasks/text/vocab';

export interface LoopAttack {
  /** Search steps per find unless told otherwise. */
  steps: number;
  /** The loop's target on a lab of the task (attack, the sample of a find, policy samples to pair with). */
  target(lab: TaskLab, o: { budget: number; steps?: number }): LoopTarget<AttackCore>;
}

const LOOPS: Record<'points' | 'segments' | 'text', LoopAttack> = {
  points: { steps: ATTACK_DEFAULTS.steps, target: (lab, o) => pointLoop(lab as TaskLab & PointTarget, o) as LoopTarget<AttackCore> },
  segments: { steps: SEGMENT_ATTACK_DEFAULTS.steps, target: (lab, o) => segmentLoop(lab as TaskLab & SegmentTarget, o) as LoopTarget<AttackCore> },
  text: { steps: TEXT_ATTACK_DEFAULTS.steps, target: (lab, o) => textLoop(lab as TaskLab & TextTarget, o) as LoopTarget<AttackCore> },
};

/** A find of exploits.jsonl as a sample of the task (with its prompt, "" but on text), or an error saying why it is not one. */
type FindReader = (e: Experiment, line: Record<string, unknown>) => { prompt: string; sample: Sample };
/** The open reward model's proxy (the reward the policy sees) of samples. */
type Proxy = (lab: TaskLab, finds: { prompt: string; sample: Sample }[]) => Promise<Float32Array>;

const num = (x: unknown) => typeof x === 'number' && Number.isFinite(x);

/** The success rate's thresholds off the lab's policy, as the task's attack reads them (its reference samples). */
type Reference = (lab: TaskLab, rng: Rng) => Promise<Thresholds>;

const FINDS: Record<'points' | 'segments' | 'text', { read: FindReader; proxy: Proxy; thresholds: Reference }> = {
  points: {
    read: (_e, l) => {
      const p = l.point;
      if (!Array.isArray(p) || p.length !== 2 || !p.every(num)) throw new Error('"point" is not [x, y]');
      if (p.some((c) => Math.abs(c) > EXTENT)) throw new Error(`point [${p.join(', ')}] is off the plane [−${EXTENT}, ${EXTENT}]²`);
      return { prompt: '', sample: [p[0], p[1]] };
    },
    proxy: async (lab, finds) => (await (lab as TaskLab & PointTarget).probe(Float32Array.from(finds.flatMap((f) => f.sample as [number, number])))).proxy,
    thresholds: async (lab, rng) => {
      const l = lab as TaskLab & PointTarget;
      return thresholds(await l.probe(await l.policySamples(ATTACK_DEFAULTS.policySamples, rng)));
    },
  },
  segments: {
    read: (e, l) => {
      const task = e.task as { env: EnvName; segment_steps: number };
      const s = l.segment as Partial<Segment> | undefined;
      const env = makeEnv(task.env);
      const K = task.segment_steps;
      const A = storedActionWidth(env);
      if (!s || s.env !== task.env || !Array.isArray(s.obs) || !Array.isArray(s.act) || !s.obs.every(num) || !s.act.every(num)) throw new Error(`"segment" is not a ${task.env} clip`);
      if (s.obs.length !== K * env.obsSize || s.act.length !== K * A) throw new Error(`the clip is not ${K} steps long`);
      const start = s.obs.slice(0, env.obsSize);
      if (!possibleStart(task.env, start)) throw new Error('the clip starts in a state no episode can be in');
      // Replayed from its start under its actions: its gold is the environment's, whatever rewards the line claims.
      return { prompt: '', sample: replaySegment(task.env, start, s.act.map((a) => (a === -1 ? 0 : a)), K) };
    },
    proxy: (lab, finds) => (lab as TaskLab & SegmentTarget).probeSegments(finds.map((f) => f.sample as Segment)),
    thresholds: async (lab, rng) => {
      const l = lab as TaskLab & SegmentTarget;
      const segs = await l.policySegments(SEGMENT_ATTACK_DEFAULTS.policySamples, rng);
      return thresholds({ proxy: await l.probeSegments(segs), gold: segs.map((s) => s.reward.reduce((a, b) => a + b, 0)) });
    },
  },
  text: {
    read: (_e, l) => {
      if (typeof l.prompt !== 'string' || typeof l.completion !== 'string') throw new Error('"prompt" and "completion" are not text');
      const bad = unknownChars(l.prompt + l.completion);
      if (bad.length) throw new Error(`characters outside the vocabulary: ${bad.map((c) => JSON.stringify(c)).join(' ')}`);
      return { prompt: l.prompt, sample: l.completion };
    },
    proxy: async (lab, finds) => (await (lab as TaskLab & TextTarget).probeText(finds.map((f) => [f.prompt, f.sample as string]))).proxy,
    thresholds: async (lab, rng) => {
      const l = lab as TaskLab & TextTarget;
      return thresholds(await l.probeText(await l.textSamples(TEXT_ATTACK_DEFAULTS.policySamples, rng)));
    },
  },
};

function findsOf(e: Experiment) {
  const kind = taskOf(e.task).attack;
  if (!kind) throw new Error(`the ${e.task.kind} task has no attack`);
  return FINDS[kind];
}

/** A line of exploits.jsonl as a sample of the experiment's task; throws the reason it is not one. */
export const findOf = (e: Experiment, line: Record<string, unknown>) => findsOf(e).read(e, line);

/** The open reward model's proxy of samples of the experiment's task. */
export const proxyOf = (e: Experiment, lab: TaskLab, finds: { prompt: string; sample: Sample }[]) => findsOf(e).proxy(lab, finds);

/** The success rate's thresholds off the lab's policy: the 90th percentile of its proxy, the median of its gold. */
export const thresholdsOf = (e: Experiment, lab: TaskLab, rng: Rng) => findsOf(e).thresholds(lab, rng);

/** The loop attack of an experiment's task, or null where it has no attack. */
export function loopAttackOf(e: Experiment): LoopAttack | null {
  const kind = taskOf(e.task).attack;
  return kind ? LOOPS[kind] : null;
}
