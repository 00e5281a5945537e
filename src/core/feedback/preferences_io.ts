// Preferences in and out, in the layout TRL and Hugging Face datasets use: one JSON object per line with
// `prompt`, `chosen` and `rejected` texts (plus, from the lab, who answered and when). On the way in, the Anthropic
// HH layout (only `chosen` and `rejected`, each the whole conversation) is split into the shared prompt and the
// two final replies. Thumbs (KTO's unpaired feedback) go out and come in in TRL's unpaired layout: `prompt`,
// `completion` and `label` (true: desirable). A paired line may carry TRL's `margin` (how strongly the chosen side is
// preferred, RewardTrainer's margin). Everything read is validated; a bad file gets line-numbered problems and
// changes nothing.
import * as v from 'valibot';
import type { Experiment } from '../experiment/parse';
import { isThumb, type Label } from './labelers';
import { preferenceText } from '../tasks/registry';
import { POINT_BOUND } from '../tasks/landscape2d/spec';

export interface Preference {
  prompt: string;
  chosen: string;
  rejected: string;
  /** TRL's `margin`: how far the chosen side must lead in reward (the labeler's strength of preference). */
  margin?: number;
  labeler?: string;
  /** ISO 8601 */
  time?: string;
}

/** A thumb in TRL's unpaired layout: `label` true for a desirable completion, false for an undesirable one. */
export interface Thumb {
  prompt: string;
  completion: string;
  label: boolean;
  labeler?: string;
  /** ISO 8601 */
  time?: string;
}

/** A thumbs label as TRL's prompt/completion/label, or null for any other label. */
export function thumbOf(experiment: Experiment, label: Label): Thumb | null {
  if (!isThumb(label.answer)) return null;
  const { prompt, chosen } = preferenceText(experiment, label, label.a, label.a);
  return { prompt, completion: chosen, label: label.answer === 'up', labeler: label.labeler, time: new Date(label.time).toISOString() };
}

/** A label as TRL's prompt/chosen/rejected (each task says how, tasks/registry.ts); null for ties and skips, which have no chosen side. */
export function preferenceOf(experiment: Experiment, label: Label): Preference | null {
  if (label.answer !== 'a' && label.answer !== 'b') return null;
  const [chosen, rejected] = label.answer === 'a' ? [label.a, label.b] : [label.b, label.a];
  const margin = label.margin ? { margin: label.margin } : {};
  return { ...preferenceText(experiment, label, chosen, rejected), ...margin, labeler: label.labeler, time: new Date(label.time).toISOString() };
}

/** preferences.jsonl: one line per decisive label or thumb (in the unpaired layout), in label order. */
export function preferencesJsonl(experiment: Experiment, labels: readonly Label[]): string {
  const lines: string[] = [];
  for (const l of labels) {
    const p = preferenceOf(experiment, l) ?? thumbOf(experiment, l);
    if (p) lines.push(JSON.stringify({ ...p, round: l.round, id: l.id }));
  }
  return lines.length ? lines.join('\n') + '\n' : '';
}

// ---- reading --------------------------------------------------------------------------------------------------

export class PreferenceFileError extends Error {
  override name = 'PreferenceFileError';
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file} is not a valid preference file, nothing was imported:\n  - ${problems.join('\n  - ')}`);
  }
}

export const MAX_PREFERENCE_LINES = 200_000;
export const MAX_TEXT = 100_000;

const text = (max = MAX_TEXT) => v.pipe(v.string(), v.maxLength(max));
/** Extra columns (ids, scores, sources) are common in published datasets and are ignored. */
const labeler = v.optional(v.pipe(v.string(), v.maxLength(200)));
const time = v.optional(v.union([v.pipe(v.string(), v.maxLength(64)), v.pipe(v.number(), v.finite())]));
const Line = v.looseObject({
  prompt: v.optional(text()),
  chosen: text(),
  rejected: text(),
  margin: v.optional(v.pipe(v.number(), v.finite(), v.minValue(0), v.maxValue(1e6))),
  labeler,
  time,
});
/** TRL's unpaired layout (KTOTrainer): one completion and whether it is desirable. */
const UnpairedLine = v.looseObject({ prompt: text(), completion: text(), label: v.boolean(), labeler, time });
const COLUMNS = ['prompt', 'chosen', 'rejected', 'margin', 'completion', 'label', 'labeler', 'time'];

const ASSISTANT = '\n\nAssistant:';

/** Anthropic HH: the shared conversation up to and including the last "\n\nAssistant:" both texts have in common. */
export function splitHH(chosen: string, rejected: string): { prompt: string; chosen: string; rejected: string } {
  let common = 0;
  const max = Math.min(chosen.length, rejected.length);
  while (common < max && chosen.charCodeAt(common) === rejected.charCodeAt(common)) common++;
  const cut = chosen.lastIndexOf(ASSISTANT, common - ASSISTANT.length);
  if (cut < 0 || cut + ASSISTANT.length > common) return { prompt: '', chosen, rejected };
  const end = cut + ASSISTANT.length;
  return { prompt: chosen.slice(0, end), chosen: chosen.slice(end), rejected: rejected.slice(end) };
}

function describeIssue(issue: v.BaseIssue<unknown>): string {
  const key = issue.path?.map((p) => String(p.key)).join('.') ?? '';
  if (issue.kind === 'schema' && issue.input === undefined) return `${key}: missing`;
  if (issue.type === 'max_length') return `${key}: longer than ${issue.requirement} characters`;
  if (Array.isArray(issue.input) && (key === 'chosen' || key === 'rejected')) {
    return `${key}: a list of messages (conversational layout) is not supported; give the texts as strings`;
  }
  return `${key || 'the line'}: expected ${issue.expected}, got ${issue.received}`;
}

export interface PreferenceFile {
  preferences: Preference[];
  /** The lines in TRL's unpaired layout (a file holds pairs or thumbs, not both). */
  thumbs: Thumb[];
  /** 'trl' when lines carry a prompt, 'hh' when the prompt was split out of full conversations, 'unpaired' for thumbs. */
  layout: 'trl' | 'hh' | 'mixed' | 'unpaired';
  ignoredColumns: string[];
}

/** Parses preference JSONL (TRL or HH layout). Throws PreferenceFileError listing up to 8 problems by line. */
export function parsePreferencesJsonl(content: string, file = 'the file'): PreferenceFile {
  const problems: string[] = [];
  const fail = (p: string) => {
    if (problems.length < 8) problems.push(p);
    else if (problems.length === 8) problems.push('… and more; fix these first');
  };
  const trimmed = content.trimStart();
  if (trimmed.startsWith('[')) {
    throw new PreferenceFileError(file, [
      'this is one JSON array; the layout is JSON Lines, one {"prompt", "chosen", "rejected"} object per line',
    ]);
  }
  const lines = content.split(/\r?\n/);
  if (lines.length > MAX_PREFERENCE_LINES + 1) {
    throw new PreferenceFileError(file, [`${lines.length} lines; at most ${MAX_PREFERENCE_LINES} pairs are read at once, split the file`]);
  }
  const preferences: Preference[] = [];
  const thumbs: Thumb[] = [];
  const ignored = new Set<string>();
  let trl = 0;
  let hh = 0;
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let data: unknown;
    try {
      data = JSON.parse(line);
    } catch (e) {
      return fail(`line ${i + 1}: not valid JSON (${(e as Error).message})`);
    }
    if (!data || typeof data !== 'object' || Array.isArray(data)) return fail(`line ${i + 1}: expected a JSON object`);
    for (const k of Object.keys(data)) if (!COLUMNS.includes(k)) ignored.add(k);
    const unpaired = 'completion' in data || 'label' in data;
    if (unpaired && ('chosen' in data || 'rejected' in data)) {
      return fail(`line ${i + 1}: has both chosen/rejected (paired) and completion/label (unpaired) columns; give one layout per line`);
    }
    if (unpaired) {
      const u = v.safeParse(UnpairedLine, data);
      if (!u.success) return fail(`line ${i + 1}: ${u.issues.slice(0, 3).map(describeIssue).join('; ')}`);
      const when = dateOf(u.output.time);
      if (when === null) return fail(`line ${i + 1}: time: ${JSON.stringify(u.output.time)} is not a date`);
      const { prompt, completion, label, labeler } = u.output;
      return void thumbs.push({ prompt, completion, label, labeler, time: when });
    }
    const r = v.safeParse(Line, data);
    if (!r.success) return fail(`line ${i + 1}: ${r.issues.slice(0, 3).map(describeIssue).join('; ')}`);
    const o = r.output;
    const p = o.prompt === undefined ? (hh++, splitHH(o.chosen, o.rejected)) : (trl++, { prompt: o.prompt, chosen: o.chosen, rejected: o.rejected });
    if (p.chosen === p.rejected) return fail(`line ${i + 1}: chosen and rejected are the same text, so the pair says nothing`);
    const when = dateOf(o.time);
    if (when === null) return fail(`line ${i + 1}: time: ${JSON.stringify(o.time)} is not a date`);
    preferences.push({ ...p, ...(o.margin === undefined ? {} : { margin: o.margin }), labeler: o.labeler, time: when });
  });
  if (!problems.length && preferences.length === 0 && thumbs.length === 0) fail('no preference pairs: the file is empty');
  if (preferences.length && thumbs.length) {
    fail(`${preferences.length} paired lines (chosen/rejected) and ${thumbs.length} unpaired ones (completion/label): a file holds one layout; split it`);
  }
  if (problems.length) throw new PreferenceFileError(file, problems);
  const layout = thumbs.length ? 'unpaired' : hh && trl ? 'mixed' : hh ? 'hh' : 'trl';
  return { preferences, thumbs, layout, ignoredColumns: [...ignored].sort() };
}

/** An ISO 8601 date from a line's time (absent: undefined), or null when it is not a date. */
function dateOf(t: string | number | undefined): string | undefined | null {
  if (t === undefined) return undefined;
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

const POINT = /^\s*\[\s*(-?[\d.eE+-]+)\s*,\s*(-?[\d.eE+-]+)\s*\]\s*$/;

function parsePoint(s: string): [number, number] | null {
  const m = POINT.exec(s);
  if (!m) return null;
  const p: [number, number] = [Number(m[1]), Number(m[2])];
  return p.every((x) => Number.isFinite(x) && Math.abs(x) <= POINT_BOUND) ? p : null;
}

/**
 * Landscape labels from preferences whose texts are points ("[x,y]", as the lab exports them), or null when any is
 * not: then the file holds text preferences for a text task.
 */
export function landscapeLabels(prefs: readonly Preference[], now = Date.now()): Label[] | null {
  const out: Label[] = [];
  for (const [i, p] of prefs.entries()) {
    const a = parsePoint(p.chosen);
    const b = parsePoint(p.rejected);
    if (p.prompt !== '' || !a || !b) return null;
    const time = p.time ? Date.parse(p.time) : now;
    out.push({ id: i, a, b, answer: 'a', ...(p.margin ? { margin: p.margin } : {}), labeler: `imported:${p.labeler ?? 'unknown'}`.slice(0, 200), round: 0, time });
  }
  return out;
}

/** Landscape thumbs from unpaired lines whose completions are points, or null when any is not. */
export function landscapeThumbs(thumbs: readonly Thumb[], now = Date.now()): Label[] | null {
  const out: Label[] = [];
  for (const [i, t] of thumbs.entries()) {
    const a = parsePoint(t.completion);
    if (t.prompt !== '' || !a) return null;
    const time = t.time ? Date.parse(t.time) : now;
    out.push({ id: i, a, b: a, answer: t.label ? 'up' : 'down', labeler: `imported:${t.labeler ?? 'unknown'}`.slice(0, 200), round: 0, time });
  }
  return out;
}
