// The one map from `task.kind` to its task: the schema of its `task` and `policy` blocks, its cross-field rules, the
// optimizers it runs, and how its lab is made for a new run or restored from a checkpoint. Every choice by task kind
// in the core is made here (the tab picks each task's view from one map of its own, ui/views.ts). A lab is loaded
// on demand, so parsing an experiment (the page, share links) never loads tfjs.
import type * as v from 'valibot';
import type { Experiment } from '../experiment/parse';
import type { AlgoName } from '../algos/registry';
import type { Rng } from '../rng';
import type { Label, Sample, Segment } from '../feedback/labelers';
import type { LandscapeName } from './landscape2d/landscape';
import type { TextGold } from './text/gold';
import type { PixelGold } from './pixels/gold';
import type { Assets, TaskLab, TaskState } from './task_lab';
import type { TaskReport } from './report';
import type { CheckpointRecord } from '../checkpoint/record';
import { exportSheets } from './pixels/sheet';
import { landscapeReport } from './landscape2d/report';
import { textReport } from './text/report';
import { controlReport } from './control/report';
import { LandscapeTask, MixturePolicy, landscapeSpec } from './landscape2d/spec';
import { GptPolicy, TextTask, textSpec } from './text/spec';
import { ControlTask, MlpPolicy, controlSpec } from './control/spec';
import { PixelsTask, pixelsSpec } from './pixels/spec';
import { pixelsReport } from './pixels/report';

export interface TaskSpec<T> {
  /** The schema of `task` (its `kind` literal names the task). */
  task: v.GenericSchema<unknown, T>;
  /** The schema of the policy this task trains. */
  policy: v.GenericSchema<unknown, unknown>;
  /** The optimizers it runs. */
  algos: readonly AlgoName[];
  /** How messages name it ("the landscape task"). */
  name: string;
  /** The task in a few words, for banners and lists. */
  title(task: T): string;
  /** Its comparisons are of trajectory segments (a myopic labeler applies). */
  segments?: boolean;
  /** Rules across fields, as messages naming the field. */
  check(e: Experiment, task: T): string[];
  /** What one side of a comparison is (a point, a completion, a segment), as imports and links must carry it. */
  sample: v.GenericSchema<unknown, unknown>;
  /** The models every checkpoint of the task holds. */
  models: readonly string[];
  /** A decisive comparison in TRL's layout: the prompt, and each side as text (feedback/preferences_io.ts). */
  preference(task: T, label: Label, chosen: Sample, rejected: Sample): { prompt: string; chosen: string; rejected: string };
}

/** What the runner hands a task's lab besides the experiment. */
export interface LabHost {
  /** The lab's shipped files (the text task's base model and lexicon). */
  assets?: Assets;
}

interface TaskEntry<T> extends TaskSpec<T> {
  /** What it says in a run's Reward Report. */
  report: TaskReport;
  /** A new run's lab: models initialized from the run's generator. */
  create(e: Experiment, rng: Rng, host: LabHost): Promise<TaskLab>;
  /** A lab restored from a checkpoint's weights, specs and optimizer states. */
  restore(e: Experiment, state: TaskState, host: LabHost): Promise<TaskLab>;
  /** The hidden gold reward of samples (with their prompts), without a lab: what a labeler's answers are checked against. */
  gold(e: Experiment, samples: { prompt: string; sample: Sample }[], host: LabHost): Promise<number[]>;
  /**
   * The red team's attack on its reward model: 'points' where its lab is a PointTarget (redteam/attack.ts), 'text'
   * where it is a TextTarget (redteam/text_attack.ts), 'segments' where it is a SegmentTarget (redteam/segment_attack.ts).
   */
  attack?: 'points' | 'text' | 'segments';
  /** Files of its own in a run's export bundle, by path (the pixels task's PNG sheets). */
  exportFiles?(record: CheckpointRecord): Record<string, Uint8Array>;
  /** The arena: its runs' samples are judged blind, side by side (`judged`), or why they are not (`refused`). */
  arena: { judged: true } | { refused: string };
}

const TASKS = {
  landscape2d: {
    ...landscapeSpec,
    report: landscapeReport,
    create: async (e, rng) => (await import('./landscape2d/lab')).LandscapeLab.create(e, rng),
    restore: async (e, state) => (await import('./landscape2d/lab')).LandscapeLab.restore(e, state),
    gold: async (e, samples) => {
      const { goldOf, landscape } = await import('./landscape2d/landscape');
      return Array.from(goldOf(landscape((e.task as { landscape: LandscapeName }).landscape), Float32Array.from(samples.flatMap((s) => s.sample as [number, number]))));
    },
    attack: 'points',
    arena: { refused: 'a point of the landscape is judged by where it lies, not blind at a glance' },
  },
  text: {
    ...textSpec,
    report: textReport,
    create: async (e, rng, host) => (await import('./text/text_lab')).TextLab.create(e, rng, requireAssets(host)),
    restore: async (e, state, host) => (await import('./text/text_lab')).TextLab.restore(e, state, requireAssets(host)),
    gold: async (e, samples, host) => {
      const { goldReward } = await import('./text/gold');
      const { LEXICON } = await import('./text/base_model');
      const lexicon = JSON.parse(new TextDecoder().decode(await requireAssets(host)(LEXICON)));
      const gold = (e.task as { gold: TextGold }).gold;
      return samples.map((s) => goldReward(gold, s.prompt, String(s.sample), lexicon));
    },
    attack: 'text',
    arena: { judged: true },
  },
  pixels: {
    ...pixelsSpec,
    report: pixelsReport,
    create: async (e, rng, host) => (await import('./pixels/pixel_lab')).PixelLab.create(e, rng, requireAssets(host, 'pixels')),
    restore: async (e, state, host) => (await import('./pixels/pixel_lab')).PixelLab.restore(e, state, requireAssets(host, 'pixels')),
    gold: async (e, samples) => {
      const { goldReward } = await import('./pixels/gold');
      const { parsePicture } = await import('./pixels/picture');
      const gold = (e.task as { gold: PixelGold }).gold;
      return samples.map((s) => goldReward(gold, s.prompt, parsePicture(String(s.sample))));
    },
    exportFiles: (record) => exportSheets((record.models.policy?.spec.shown as { completion: string }[] | undefined) ?? [], record.labels),
    arena: { judged: true },
  },
  control: {
    ...controlSpec,
    report: controlReport,
    create: async (e, rng) => (await import('./control/control_lab')).ControlLab.create(e, rng),
    restore: async (e, state) => (await import('./control/control_lab')).ControlLab.restore(e, state),
    // A clip's gold is the environment's true reward summed over its steps.
    gold: async (_e, samples) => samples.map((s) => (s.sample as Segment).reward.reduce((a, b) => a + b, 0)),
    attack: 'segments',
    arena: { refused: 'a clip is judged by watching it play, not blind at a glance' },
  },
} satisfies { [K in Experiment['task']['kind']]: TaskEntry<Extract<Experiment['task'], { kind: K }>> };

export type TaskKind = keyof typeof TASKS;

/** Every task's `task` and `policy` schemas, for the Experiment's variants. */
export const TASK_SCHEMAS = [LandscapeTask, TextTask, PixelsTask, ControlTask] as const;
export const POLICY_SCHEMAS = [MixturePolicy, GptPolicy, MlpPolicy] as const;

/** The entry of a task kind. */
export function taskOf<K extends TaskKind>(task: { kind: K }): TaskEntry<Extract<Experiment['task'], { kind: K }>> {
  return TASKS[task.kind] as unknown as TaskEntry<Extract<Experiment['task'], { kind: K }>>;
}

/** A decisive comparison of the experiment's task in TRL's prompt/chosen/rejected layout. */
export function preferenceText(e: Experiment, label: Label, chosen: Sample, rejected: Sample) {
  return taskOf(e.task).preference(e.task as never, label, chosen, rejected);
}

/** The hidden gold reward of samples of an experiment's task (landscape: the plane's gold; text and pixels: their gold scorers; control: a clip's true return). */
export function goldOfSamples(e: Experiment, samples: { prompt: string; sample: Sample }[], host: LabHost = {}): Promise<number[]> {
  return taskOf(e.task).gold(e, samples, host);
}

/** The task's words for banners and lists. */
export function taskTitle(e: Experiment): string {
  return taskOf(e.task).title(e.task as never);
}

/** The rules each task sets on the whole experiment: its policy, its optimizers, its own fields. */
export function taskProblems(e: Experiment): string[] {
  const t = taskOf(e.task);
  const out: string[] = [];
  const policyKind = (t.policy as unknown as { entries: { kind: { literal: string } } }).entries.kind.literal;
  if (e.policy.kind !== policyKind) out.push(`policy.kind: the ${t.name} task needs "${policyKind}", got "${e.policy.kind}"`);
  if (!(t.algos as readonly string[]).includes(e.optimizer.algo)) out.push(`optimizer.algo: the ${t.name} task is optimized with ${t.algos.map((a) => `"${a}"`).join(', ')}; got "${e.optimizer.algo}"`);
  if (!t.segments) {
    e.labelers.forEach((l, i) => {
      if (l.kind === 'simulated' && (l.myopic_steps ?? 0) !== 0) out.push(`labelers[${i}].myopic_steps: a myopic labeler applies to control segments only; set it to 0`);
    });
  }
  return [...out, ...t.check(e, e.task as never)];
}

function requireAssets(host: LabHost, task: 'text' | 'pixels' = 'text'): Assets {
  if (!host.assets) throw new Error(`the ${task} task needs the lab's shipped files (${task === 'text' ? 'base model and lexicon' : 'base model'}), and this host gave none`);
  return host.assets;
}
