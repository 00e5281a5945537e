// The one map from a task's attack kind (tasks/registry.ts `attack`) to the red team's loop on it: how one attack is
// run on the task's lab, which sample a find is, and which policy samples the finds are compared with. The CLI's
// `attack --rounds` and the tab's worker both pick the attack here. The text attack has no loop (its lab refits only
// in a run), so it is not listed: the CLI runs it on its own.
import type { Experiment } from '../experiment/parse';
import type { TaskLab } from '../tasks/task_lab';
import { taskOf } from '../tasks/registry';
import { ATTACK_DEFAULTS, pointLoop, type AttackCore, type LoopTarget, type PointTarget } from './attack';
import { SEGMENT_ATTACK_DEFAULTS, segmentLoop, type SegmentTarget } from './segment_attack';

export interface LoopAttack {
  /** Search steps per find unless told otherwise. */
  steps: number;
  /** The loop's target on a lab of the task (attack, the sample of a find, policy samples to pair with). */
  target(lab: TaskLab, o: { budget: number; steps?: number }): LoopTarget<AttackCore>;
}

const LOOPS: Record<'points' | 'segments', LoopAttack> = {
  points: { steps: ATTACK_DEFAULTS.steps, target: (lab, o) => pointLoop(lab as TaskLab & PointTarget, o) as LoopTarget<AttackCore> },
  segments: { steps: SEGMENT_ATTACK_DEFAULTS.steps, target: (lab, o) => segmentLoop(lab as TaskLab & SegmentTarget, o) as LoopTarget<AttackCore> },
};

/** The loop attack of an experiment's task, or null where its attack has no loop (text) or it has no attack. */
export function loopAttackOf(e: Experiment): LoopAttack | null {
  const kind = taskOf(e.task).attack;
  return kind === 'points' || kind === 'segments' ? LOOPS[kind] : null;
}
