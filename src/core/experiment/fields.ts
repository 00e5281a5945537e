// Number fields of the Experiment spec: finite numbers and integers within bounds. Every schema piece (the tasks'
// in tasks/registry.ts, the algorithms' beside their trainers) builds its fields from these two.
import * as v from 'valibot';

export const num = (min: number, max = Infinity) => v.pipe(v.number(), v.finite(), v.minValue(min), v.maxValue(max));
export const int = (min: number, max = Number.MAX_SAFE_INTEGER) => v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));

// ---- how a refused value and its place are named in messages (experiment files, lessons) --------------------

/** A refused value as a message shows it: a string quoted and cut at 40 characters, containers by their kind. */
export function shownValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

/**
 * Where a valibot issue is, as a field path ("steps[2].check.metric"), or `whole` at the top. Each key is named as far as
 * 40 characters: a file with a key of megabytes gets a message of one line.
 */
export function issueField(issue: v.BaseIssue<unknown>, whole: string): { field: string; path: string } {
  const key = (k: unknown) => (String(k).length > 40 ? `${String(k).slice(0, 40)}…` : String(k));
  const path = issue.path?.map((p) => (typeof p.key === 'number' ? `[${p.key}]` : `.${key(p.key)}`)).join('') ?? '';
  return { field: path ? path.replace(/^\./, '') : whole, path };
}
