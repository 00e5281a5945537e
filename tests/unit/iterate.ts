// One policy iteration of a task's lab as the runner runs it: the experiment's algorithm (algos/registry.ts) on the lab.
import { algorithmOf, klControllerOf, type IterationContext } from '../../src/core/algos/registry';
import type { TaskLab } from '../../src/core/tasks/task_lab';
import type { Rng } from '../../src/core/rng';

export function policyIteration(lab: TaskLab, rng: Rng, ctx: Omit<IterationContext, 'rng' | 'kl'>) {
  const o = lab.experiment.optimizer;
  return algorithmOf(o).iterate(lab, o, { ...ctx, rng, kl: klControllerOf(o) });
}
