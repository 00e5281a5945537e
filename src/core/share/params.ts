// The knobs the tab lets a student turn before a run, and the panels it can hide: what a share link may lock or hide.
// Paths are those of `--set` (applyOverrides), so the tab, the CLI and links name a parameter the same way.
import { klCoef, type Experiment } from '../experiment/parse';
import { algorithmOf } from '../algos/registry';

export interface Knob {
  path: string;
  label: string;
  /** A line on what it does. */
  help: string;
  min: number;
  max: number;
  step: number;
  /** The knob's value; undefined where this experiment's optimizer has no such parameter. */
  get(e: Experiment): number | undefined;
}

export const LOCKABLE: Knob[] = [
  { path: 'seed', label: 'Seed', help: 'every random draw of the run', min: 0, max: 2 ** 32 - 1, step: 1, get: (e) => e.seed },
  { path: 'optimizer.kl_coef', label: 'KL coefficient', help: 'how hard the policy is held near where it started', min: 0, max: 1000, step: 0.001, get: (e) => klCoef(e) },
  { path: 'optimizer.lr', label: 'Policy learning rate', help: 'Adam step size of the policy', min: 1e-7, max: 1, step: 0.001, get: (e) => ('lr' in e.optimizer ? e.optimizer.lr : undefined) },
  { path: 'optimizer.iterations', label: 'Policy iterations per round', help: 'optimization pressure on the reward model', min: 0, max: 100000, step: 1, get: (e) => ('iterations' in e.optimizer ? e.optimizer.iterations : undefined) },
  { path: 'schedule.rounds', label: 'Rounds', help: 'label → fit reward model → optimize, repeated', min: 1, max: 1000, step: 1, get: (e) => e.schedule.rounds },
  { path: 'schedule.labels_per_round', label: 'Labels per round', help: 'comparisons asked each round', min: 0, max: 100000, step: 1, get: (e) => e.schedule.labels_per_round },
  { path: 'reward_model.steps', label: 'Reward model steps', help: 'gradient steps per round on the labels', min: 0, max: 100000, step: 1, get: (e) => e.reward_model.steps },
  { path: 'reward_model.lr', label: 'Reward model learning rate', help: 'Adam step size of the reward model', min: 1e-7, max: 1, step: 0.0001, get: (e) => e.reward_model.lr },
];

export const PANELS = [
  { name: 'experiment-picker', label: 'experiment picker and file opener' },
  { name: 'params', label: 'parameters' },
  { name: 'gold-map', label: 'gold reward map' },
  { name: 'rm-map', label: 'reward model map' },
  { name: 'figures', label: 'figures' },
  { name: 'charts', label: 'charts' },
] as const;

export type PanelName = (typeof PANELS)[number]['name'];

/** What the policy stage does each round, in a few words. */
export function optimizerTitle(e: Experiment): string {
  return algorithmOf(e.optimizer).summary(e.optimizer);
}

export { taskTitle } from '../tasks/registry';
