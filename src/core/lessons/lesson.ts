// A lesson, version 1: data an educator writes (JSON), validated here with messages that name the field, e.g.
// "steps[2].check.metric: unknown metric key". Its text fields are plain text with a little Markdown (paragraphs,
// "- " lists, **bold**, `code`), shown as text and never as HTML (textBlocks below). Each step may start a run (a
// preset, a full experiment, or a share link's, with `--set`-style overrides), ask a "predict, then run" question
// whose answer shows once the run finished, and check the run's metric rows (checks.ts).
import * as v from 'valibot';
import { issueField, shownValue } from '../experiment/fields';
import { applyOverrides, ExperimentError, type Experiment } from '../experiment/parse';
import { preset } from '../experiment/presets';
import { decodeLink, LinkError } from '../share/link';
import { AT, METRIC_KEYS, OPS, stepsRead, type Check } from './checks';

const Id = v.pipe(v.string(), v.regex(/^[a-z0-9][a-z0-9-]{0,59}$/, 'an id of lowercase letters, digits and dashes (at most 60)'));
const Line = (max: number) => v.pipe(v.string(), v.minLength(1), v.maxLength(max));
const Metric = v.picklist(METRIC_KEYS, 'a metric key the lab logs (README: "Writing a lesson")');

const Ref = {
  metric: Metric,
  at: v.picklist(AT),
  /** An earlier step whose run is read instead of this step's. */
  step: v.optional(Id),
  /** Only this round's rows (0 is the first). */
  round: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(1000))),
};
const MetricRefSpec = v.strictObject(Ref);
const CompareSpec = v.strictObject({
  kind: v.literal('compare'),
  ...Ref,
  op: v.picklist(OPS),
  than: v.union([v.pipe(v.number(), v.finite()), MetricRefSpec]),
});
const DivergeSpec = v.strictObject({
  kind: v.literal('diverge'),
  rising: Metric,
  falling: Metric,
  last: v.optional(v.pipe(v.number(), v.integer(), v.minValue(2), v.maxValue(100_000))),
  step: v.optional(Id),
});
const SimpleSpec = v.variant('kind', [CompareSpec, DivergeSpec]);
const CheckSpec = v.variant('kind', [
  CompareSpec,
  DivergeSpec,
  v.strictObject({ kind: v.literal('all'), checks: v.pipe(v.array(SimpleSpec), v.minLength(1), v.maxLength(8)) }),
]);

const Sets = v.optional(v.pipe(v.array(v.pipe(v.string(), v.maxLength(2000))), v.maxLength(32)), []);
const RunSpec = v.union([
  v.strictObject({ preset: Line(80), set: Sets }),
  v.strictObject({ experiment: v.record(v.string(), v.unknown()), set: Sets }),
  v.strictObject({ link: v.pipe(v.string(), v.startsWith('#share=')), set: Sets }),
]);

const QuestionSpec = v.strictObject({
  prompt: Line(1000),
  choices: v.pipe(v.array(Line(300)), v.minLength(2), v.maxLength(6)),
  /** Index of the right choice in `choices`. */
  answer: v.pipe(v.number(), v.integer(), v.minValue(0)),
  /** Shown with the answer, once the run finished. */
  explanation: Line(3000),
});

const StepSpec = v.strictObject({
  id: Id,
  title: Line(120),
  text: v.pipe(v.string(), v.maxLength(6000)),
  run: v.optional(RunSpec),
  question: v.optional(QuestionSpec),
  check: v.optional(CheckSpec),
});

export const LessonSpec = v.strictObject({
  version: v.literal(1),
  id: Id,
  title: Line(120),
  summary: v.pipe(v.string(), v.maxLength(2000)),
  /** About how long the lesson takes in class, runs included. */
  minutes: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(600))),
  steps: v.pipe(v.array(StepSpec), v.minLength(1), v.maxLength(16)),
});

type StepInput = v.InferOutput<typeof StepSpec>;
export type LessonRun = v.InferOutput<typeof RunSpec>;
export type LessonQuestion = v.InferOutput<typeof QuestionSpec>;
export interface LessonStep extends Omit<StepInput, 'check'> {
  check?: Check;
  /** The run's experiment, resolved and validated (preset or link, overrides applied), named after the lesson. */
  experiment?: Experiment;
}
export interface Lesson extends Omit<v.InferOutput<typeof LessonSpec>, 'steps'> {
  steps: LessonStep[];
}

export class LessonError extends Error {
  constructor(readonly problems: string[]) {
    super(`The lesson is not valid:\n  - ${problems.join('\n  - ')}`);
    this.name = 'LessonError';
  }
}

function problem(issue: v.BaseIssue<unknown>): string {
  const { field, path } = issueField(issue, '(the lesson)');
  if (issue.kind === 'schema' && issue.input === undefined && path) return `${field}: missing (this field is required)`;
  if (issue.kind === 'schema' && issue.expected === 'never') return `${field}: unknown key (remove it, or check its spelling)`;
  if (issue.type === 'picklist' && /metric key/.test(issue.message)) return `${field}: unknown metric key ${shownValue(issue.input)}`;
  if (issue.type === 'union' && issue.issues?.length) {
    // A union names its closest branch's first problem, which says more than "expected (A | B)".
    // Its branches' paths start where the union's ends.
    const deepest = [...issue.issues].sort((a, b) => (b.path?.length ?? 0) - (a.path?.length ?? 0))[0];
    if (deepest.path?.length) return problem({ ...deepest, path: [...(issue.path ?? []), ...deepest.path] as typeof deepest.path });
  }
  if (issue.type === 'check' || issue.type === 'regex') return `${field}: expected ${issue.message.startsWith('Invalid') ? issue.expected : issue.message}, got ${shownValue(issue.input)}`;
  if (issue.kind === 'schema') return `${field}: expected ${issue.expected}, got ${shownValue(issue.input)}`;
  return `${field}: expected ${issue.expected ?? issue.type} (${issue.type.replace(/_/g, ' ')}), got ${shownValue(issue.input)}`;
}

/** The experiment a step's run starts: its preset, experiment or link's, with its overrides, named for the lesson. */
function resolveRun(run: LessonRun, name: string, at: string): { experiment?: Experiment; problems: string[] } {
  let base: unknown;
  if ('preset' in run) {
    base = preset(run.preset);
    if (!base) return { problems: [`${at}.preset: no preset named ${shownValue(run.preset)} (rlhf-lab presets lists them)`] };
  } else if ('link' in run) {
    try {
      base = decodeLink(run.link).experiment;
    } catch (e) {
      return { problems: [`${at}.link: ${e instanceof LinkError ? e.message : (e as Error).message}`] };
    }
  } else {
    base = run.experiment;
  }
  try {
    // Named for the lesson, so its runs are told apart on the Runs page and never clash with a preset's name.
    return { experiment: applyOverrides(base, [...run.set, `name=${JSON.stringify(name)}`]), problems: [] };
  } catch (e) {
    const problems = e instanceof ExperimentError ? e.problems : [(e as Error).message];
    // An override's problem starts "--set …"; any other is the experiment's own (or, for a preset or link, the set's).
    const where = (p: string) => ('experiment' in run && !p.startsWith('--set') ? '.experiment' : '.set');
    return { problems: problems.map((p) => `${at}${where(p)}: ${p}`) };
  }
}

/** Validates untrusted input (a file, a link, a built-in lesson) into a Lesson, or throws LessonError. */
export function parseLesson(input: unknown): Lesson {
  const r = v.safeParse(LessonSpec, input);
  if (!r.success) throw new LessonError(r.issues.slice(0, 8).map(problem));
  const problems: string[] = [];
  const seen = new Set<string>();
  const ran = new Set<string>();
  const steps: LessonStep[] = r.output.steps.map((s, i) => {
    const at = `steps[${i}]`;
    if (seen.has(s.id)) problems.push(`${at}.id: ${shownValue(s.id)} is the id of an earlier step; step ids must differ`);
    seen.add(s.id);
    if (s.question && s.question.answer >= s.question.choices.length) {
      problems.push(`${at}.question.answer: ${s.question.answer} is not the index of one of its ${s.question.choices.length} choices (the first is 0)`);
    }
    if (s.question && !s.run) problems.push(`${at}.question: a "predict, then run" question needs a run in its step`);
    if (s.check && !s.run && stepsRead(s.check as Check).length === 0) problems.push(`${at}.check: a check reads a run: give the step a run, or name an earlier step's`);
    for (const other of s.check ? stepsRead(s.check as Check) : []) {
      if (!ran.has(other)) problems.push(`${at}.check: reads step ${shownValue(other)}, which is not an earlier step with a run`);
    }
    let experiment: Experiment | undefined;
    if (s.run) {
      const got = resolveRun(s.run, `${r.output.id}: ${s.id}`.slice(0, 80), `${at}.run`);
      problems.push(...got.problems);
      experiment = got.experiment;
      ran.add(s.id);
    }
    return { ...s, check: s.check as Check | undefined, experiment };
  });
  if (problems.length) throw new LessonError(problems.slice(0, 8));
  return { ...r.output, steps };
}

/** Parses JSON text first, so a syntax error gets a message of its own. */
export function parseLessonJson(text: string): Lesson {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new LessonError([`not valid JSON: ${(e as Error).message}`]);
  }
  return parseLesson(data);
}

/** The lesson as an educator wrote it (the resolved experiments left out): what a link or a file carries. */
export function lessonSource(l: Lesson): unknown {
  return { ...l, steps: l.steps.map(({ experiment: _e, ...s }) => s) };
}

// ---- text: paragraphs, "- " lists, **bold** and `code`, as data the page renders as text -------------------------

export type Span = { text: string; bold?: boolean; code?: boolean };
export type Block = { kind: 'p'; spans: Span[] } | { kind: 'ul'; items: Span[][] };

export function spans(line: string): Span[] {
  const out: Span[] = [];
  const re = /\*\*([^*]+)\*\*|`([^`]+)`/g;
  let last = 0;
  for (let m = re.exec(line); m; m = re.exec(line)) {
    if (m.index > last) out.push({ text: line.slice(last, m.index) });
    out.push(m[1] !== undefined ? { text: m[1], bold: true } : { text: m[2], code: true });
    last = m.index + m[0].length;
  }
  if (last < line.length) out.push({ text: line.slice(last) });
  return out;
}

/** A text field as blocks: paragraphs split at blank lines, runs of "- " lines as a list. Never HTML. */
export function textBlocks(text: string): Block[] {
  const blocks: Block[] = [];
  for (const para of text.split(/\n\s*\n/)) {
    const lines = para.split('\n').map((l) => l.trim()).filter(Boolean);
    let prose: string[] = [];
    let items: Span[][] = [];
    const flush = () => {
      if (prose.length) blocks.push({ kind: 'p', spans: spans(prose.join(' ')) });
      if (items.length) blocks.push({ kind: 'ul', items });
      prose = [];
      items = [];
    };
    for (const l of lines) {
      if (/^[-*] /.test(l)) {
        if (prose.length) flush();
        items.push(spans(l.slice(2)));
      } else {
        if (items.length) flush();
        prose.push(l);
      }
    }
    flush();
  }
  return blocks;
}
