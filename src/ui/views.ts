// The one map from `task.kind` to what the tab shows for that task: its pair labeler, its view of a run beside the
// labeler, its figures and charts besides the common ones, and its words for a first visit. Every choice by task kind
// in the UI is made here (the core makes its own in core/tasks/registry.ts); App.svelte and the charts read the
// entry of the run's task and never compare kinds. A new task is one entry below.
import type { Component } from 'svelte';
import type { Lab } from './lab.svelte';
import PairLabeler from './labeling/PairLabeler.svelte';
import TextPairLabeler from './labeling/TextPairLabeler.svelte';
import TextThumbLabeler from './labeling/TextThumbLabeler.svelte';
import ClipPairLabeler from './control/ClipPairLabeler.svelte';
import LandscapeMaps from './landscape/LandscapeMaps.svelte';
import type { ProbeApi } from './landscape/probe.svelte';
import type { AttackApi } from './redteam/attack.svelte';
import TextRunView from './text/TextRunView.svelte';
import ControlView from './control/ControlView.svelte';
import PixelPairLabeler from './pixels/PixelPairLabeler.svelte';
import PixelGallery from './pixels/PixelGallery.svelte';
import HackingPicture from './pixels/HackingPicture.svelte';
import { algorithmOf, type ChartSpec } from '../core/algos/registry';
import { TRUE_RETURN_LINE } from '../core/experiment/control_presets';
import { EXTENT, goldOf, goldOptimum, gridPoints, landscape, type LandscapeName } from '../core/tasks/landscape2d/landscape';
import type { Experiment } from '../core/experiment/parse';
import type { Visuals } from '../core/runner';
import type { MetricRow } from '../core/checkpoint/record';
import type { LabelerCommon } from './labeling/labeler_props';

/** A component and its props, drawn as `<piece.component {...piece.props} />`. */
export interface Piece {
  component: Component<any>;
  props: object;
}

/** A piece whose props are checked against its component here, where it is made. */
function piece<P extends object>(component: Component<P>, props: NoInfer<P>): Piece {
  return { component: component as Piece['component'], props };
}

/** The props every labeler takes, and whether the run asks thumbs; a task's entry adds its own. */
export interface LabelerProps extends LabelerCommon {
  /** The run asks thumbs on one sample (`schedule.feedback: "thumbs"`), not comparisons. */
  thumbs: boolean;
}

/** A number in the run's figures besides the common ones, placed after one of them. */
export interface Figure {
  /** Its glossary key (core/analysis/glossary.ts): the explanation its box shows. */
  key: string;
  label: string;
  value: number | undefined;
  after: 'gold' | 'kl';
}

/** What the tab shows for one task. */
export interface TaskView {
  /** The pair labeler, given what every labeler takes. */
  labeler(common: LabelerProps): Piece;
  /** The run's view beside the labeler, or null where it has none yet. */
  main(lab: Lab): Piece | null;
  /** Its figures after the common ones named by `after`, from the last training row. */
  figures(last: MetricRow | undefined): Figure[];
  /** The chart of reward per policy iteration (chart-reward): gold against proxy, or the control task's true return. */
  reward: Chart;
  /** What the figures call the gold reward ("gold reward"; the control task's "true return"). */
  gold: string;
  /** The policy is held to its start by a KL (KL chart and figure); the control task's PPO has no reference policy. */
  kl: boolean;
  /** The reward-model accuracy chart (drawn on 0 to 1). */
  accuracy: Chart;
  /** Its charts after the optimizer's (charts/MethodCharts.svelte). */
  charts(e: Experiment): ChartSpec[];
  /** What a run of it does, after "Pick an experiment and press Start." */
  intro: string;
  /** How the reward-hacking panel draws a sample from its label (absent: the label as text). */
  hackingCell?: Component<{ label: string }>;
}

type Chart = Pick<ChartSpec, 'title' | 'series'>;
type Task = Experiment['task'];
type TaskKind = Task['kind'];
type TaskOfKind<K extends TaskKind> = Extract<Task, { kind: K }>;

/** The run's visuals where they are of the task `kind` (the typed reading of the union, kept here). */
function visualsOf<K extends Visuals['kind']>(v: Visuals | null, kind: K): Extract<Visuals, { kind: K }> | null {
  return v?.kind === kind ? (v as Extract<Visuals, { kind: K }>) : null;
}

const HELD_OUT = { key: 'rm/accuracy', label: 'held-out labels', color: '#80cbc4' };
const AGREEMENT = { key: 'rm/policy_agreement', label: 'agrees with gold on policy samples', color: '#a5d6a7' };
const ACCURACY = 'Reward model accuracy';
/** Gold against proxy per iteration, for the tasks whose gold reward and reward model share a scale. */
const GOLD_VS_PROXY: Chart = {
  title: 'Reward: gold (true) vs proxy (reward model)',
  series: [{ key: 'gold/mean', label: 'gold', color: '#ffd54f' }, { key: 'proxy/mean', label: 'proxy', color: '#7aa2ff' }],
};

/** Grid side of the gold map and of a landscape pair's maps. */
const GRID = 48;
/** The gold reward on the grid, once per landscape (its maps keep one array while the run goes on). */
const goldMaps = new Map<LandscapeName, Float32Array>();
function goldMap(name: LandscapeName): Float32Array {
  let gold = goldMaps.get(name);
  if (!gold) goldMaps.set(name, (gold = goldOf(landscape(name), gridPoints(GRID))));
  return gold;
}

function landscapeView(name: LandscapeName): TaskView {
  const gold = goldMap(name);
  const optimum = goldOptimum(landscape(name));
  return {
    labeler: ({ thumbs: _, ...common }) => piece(PairLabeler, { ...common, gold, grid: GRID, extent: EXTENT }),
    main: (lab) =>
      piece(LandscapeMaps, {
        gold,
        grid: GRID,
        extent: EXTENT,
        optimum,
        visuals: visualsOf(lab.visuals, 'landscape2d'),
        labels: lab.labels,
        probeApi: probeApi(lab),
      }),
    figures: () => [{ key: 'landscape/optimum', label: 'optimum', value: optimum.value, after: 'gold' }],
    reward: GOLD_VS_PROXY,
    gold: 'gold reward',
    kl: true,
    accuracy: { title: ACCURACY, series: [HELD_OUT, AGREEMENT] },
    charts: () => [],
    intro:
      'A policy proposes points of the plane; labelers compare pairs of them; a reward model learns their preference; the policy climbs the reward model, held near where it started by a KL penalty. The gold map on the left is the hidden truth the labelers follow; the map beside it is what the reward model learned. Where the two part ways, the policy can game the reward model.',
  };
}

/** The red team's probe calls of the open run's worker (null before a run). */
function probeApi(lab: Lab): ProbeApi | null {
  const api = lab.remote;
  if (!api || !lab.runId) return null;
  return {
    probe: (x, y) => api.probe(x, y),
    add: (x, y) => api.addProbe(x, y),
    ...attackApi(lab)!,
  };
}

/** The red team's attack calls of the open run's worker (null before a run). */
function attackApi(lab: Lab): AttackApi | null {
  const api = lab.remote;
  if (!api || !lab.runId) return null;
  return { attack: (budget, seed) => api.attack(budget, seed), labelFinds: (finds) => api.labelFinds(finds) };
}

/** What the GPT tasks' views (text, pixels) share: β beside the KL, gold against proxy, held-out accuracy. */
const GPT_TASK = {
  figures: (last: MetricRow | undefined): Figure[] => [
    { key: 'objective/kl_coef', label: 'KL coefficient β', value: last?.['objective/kl_coef'], after: 'kl' },
    // A length-controlled reward model's rows say what it found.
    ...(last?.['rm/length_coef'] === undefined ? [] : [{ key: 'rm/length_coef', label: 'length coefficient w', value: last['rm/length_coef'], after: 'kl' as const }]),
  ],
  reward: GOLD_VS_PROXY,
  gold: 'gold reward',
  kl: true,
  accuracy: { title: ACCURACY, series: [HELD_OUT] },
} satisfies Partial<TaskView>;

/** One line per text gold reward on what it prefers, to guide a first-time labeler. */
const GOALS: Record<TaskOfKind<'text'>['gold']['kind'], string> = {
  sentiment: 'The lab\'s gold reward prefers cheerful words; you may prefer otherwise.',
  syllables: 'The lab\'s gold reward prefers a line (prompt and completion) of the target syllable count.',
  length: 'The lab\'s gold reward prefers completions of the target length.',
  keyword: 'The lab\'s gold reward prefers completions containing its keyword.',
};

function textView(task: TaskOfKind<'text'>): TaskView {
  const goal = GOALS[task.gold.kind];
  return {
    labeler: ({ thumbs, ...common }) => (thumbs ? piece(TextThumbLabeler, { ...common, goal }) : piece(TextPairLabeler, { ...common, goal })),
    main: (lab) =>
      lab.runId
        ? piece(TextRunView, {
            samples: visualsOf(lab.visuals, 'text')?.samples ?? [],
            step: lab.position?.iteration ?? 0,
            inspect: (prompt: string, completion: string) => lab.remote?.inspectText(prompt, completion) ?? Promise.resolve(null),
            attackApi: attackApi(lab),
          })
        : null,
    ...GPT_TASK,
    charts: (e) => [
      // Best-of-n's sweep trains no policy: no entropy to chart. SimPO and ORPO train one with no KL coefficient: no β.
      ...(algorithmOf(e.optimizer).sweepsN
        ? []
        : algorithmOf(e.optimizer).klCoef(e.optimizer) === undefined
          ? [{ testid: 'chart-entropy', title: 'Entropy (nats/char)', series: [{ key: 'objective/entropy', label: 'entropy', color: '#ce93d8' }] }]
          : [{ testid: 'chart-entropy', title: 'Entropy (nats/char) and KL coefficient β', series: [{ key: 'objective/entropy', label: 'entropy', color: '#ce93d8' }, { key: 'objective/kl_coef', label: 'β', color: '#bcaaa4' }] }]),
      {
        testid: 'chart-length',
        title: 'Completion length (characters)',
        series: [
          { key: 'text/length', label: 'mean length', color: '#90caf9' },
          // Where the algorithm logs the lengths by the sign of the advantage (the length bias Dr. GRPO removes).
          ...(algorithmOf(e.optimizer).lengthsByAdvantage
            ? [
                { key: 'completions/mean_length_pos_adv', label: 'advantage > 0', color: '#a5d6a7' },
                { key: 'completions/mean_length_neg_adv', label: 'advantage < 0', color: '#ef9a9a' },
              ]
            : []),
        ],
      },
    ],
    intro:
      'A tiny character-level language model, pretrained in the lab on short sentences, completes prompts; labelers compare two completions of the same prompt; a reward model (the same small GPT with a scalar head) learns their preference; PPO pulls the model toward it, while a per-token KL penalty to the starting model keeps it from drifting into text that only the reward model likes.',
  };
}

/** One line per pixels gold reward on what it prefers. */
const PIXEL_GOALS: Record<TaskOfKind<'pixels'>['gold']['kind'], string> = {
  symmetry: 'The lab\'s gold reward prefers pictures whose left and right halves mirror each other.',
  colour: 'The lab\'s gold reward prefers pictures with more of one colour.',
  contrast: 'The lab\'s gold reward prefers pictures with strong light–dark contrast between neighbouring pixels.',
  template: 'The lab\'s gold reward prefers pictures that look like the class asked for.',
};

function pixelsView(task: TaskOfKind<'pixels'>): TaskView {
  const goal = PIXEL_GOALS[task.gold.kind];
  const colour = task.gold.kind === 'colour' ? task.gold.colour : task.bias?.kind === 'colour' ? task.bias.colour : null;
  return {
    labeler: ({ thumbs: _, ...common }) => piece(PixelPairLabeler, { ...common, goal }),
    main: (lab) => (lab.runId ? piece(PixelGallery, { samples: visualsOf(lab.visuals, 'pixels')?.samples ?? [], step: lab.position?.iteration ?? 0 }) : null),
    ...GPT_TASK,
    charts: (e) => [
      ...(algorithmOf(e.optimizer).sweepsN ? [] : [{ testid: 'chart-entropy', title: 'Entropy (nats/pixel)', series: [{ key: 'objective/entropy', label: 'entropy', color: '#ce93d8' }] }]),
      {
        testid: 'chart-pixels',
        title: colour ? `Brightness and share of ${colour}` : 'Brightness (mean luminance)',
        series: [
          { key: 'pixels/brightness', label: 'brightness', color: '#fff1e8' },
          ...(colour ? [{ key: `pixels/share_${colour}`, label: `share of ${colour}`, color: '#ff004d' }] : []),
        ],
      },
    ],
    intro:
      'A small GPT, pretrained in the lab on generated pixel art, draws 10 × 10 pictures of a face, a house, a tree or a symbol, pixel by pixel; labelers compare two pictures of the same class; a reward model (the same GPT with a scalar head) learns their preference; PPO or another optimizer pulls the painter toward it, held near its start by a KL penalty. Watch the pictures change, and whether the gold reward follows the proxy.',
    hackingCell: HackingPicture,
  };
}

const CONTROL: TaskView = {
  labeler: ({ thumbs: _, ...common }) => piece(ClipPairLabeler, common),
  main: (lab) =>
    lab.runId
      ? piece(ControlView, { visuals: visualsOf(lab.visuals, 'control'), rows: lab.metrics, line: TRUE_RETURN_LINE[lab.experiment?.name ?? ''] ?? null, attackApi: attackApi(lab) })
      : null,
  figures: () => [],
  // The environment's return and the reward model's per-step reward are of different scales: two axes.
  reward: {
    title: 'True return per policy iteration (left) and proxy reward (right)',
    series: [
      { key: 'env/true_return', label: 'true return', color: '#ffd54f' },
      { key: 'proxy/mean', label: 'proxy (reward model)', color: '#7aa2ff', right: true },
    ],
  },
  gold: 'true return',
  kl: false,
  accuracy: { title: 'Reward model accuracy on held-out segment pairs', series: [{ ...HELD_OUT, label: 'held-out segment pairs' }] },
  charts: () => [],
  intro:
    'A policy acts in a small simulated world; labelers watch two short clips of it and pick the better one; a reward model over (state, action) learns what they meant; PPO trains the policy on it. The charts set the true return (the environment\'s own score, hidden from training) against the comparisons used and against policy iterations.',
};

const VIEWS: { [K in TaskKind]: (task: TaskOfKind<K>) => TaskView } = {
  landscape2d: (task) => landscapeView(task.landscape),
  text: textView,
  pixels: pixelsView,
  control: () => CONTROL,
};

/** The view of a task; before any experiment is known, the landscape's (its one-hill gold map). */
export function viewOf(task: Task | undefined): TaskView {
  return task ? (VIEWS[task.kind] as (t: Task) => TaskView)(task) : landscapeView('one-hill');
}
