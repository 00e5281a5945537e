// A class's labels, pooled: many students' export bundles and preference files merged into one set of comparisons
// that keeps who answered each one, and the agreement between them on the items two or more labeled
// (analysis/agreement.ts). An item is a prompt and an unordered pair of completions (points, clips), so the same pair
// shown as A/B to one student and B/A to another is one item; an answer is "first" or "second" of the pair in a fixed
// order, or "tie". A bundle also says which side sat in position A, so each labeler's position bias can be read.
import type { Experiment } from '../experiment/parse';
import { isThumb, type Label } from './labelers';
import type { Preference } from './preferences_io';
import { goldOfSamples, preferenceText, type LabHost } from '../tasks/registry';
import { agreement, type Agreement, type Rating } from '../analysis/agreement';
import type { ReadBundle, ReadPreferences } from '../checkpoint/import';

/** One file a class handed in: an export bundle's experiment and labels, or a preference file's pairs. */
export type ClassSource =
  | {
      name: string;
      kind: 'bundle';
      experiment: Experiment;
      labels: readonly Label[];
      /** The side the hidden gold reward prefers, label by label (goldAnswers), where it was worked out. */
      gold?: readonly GoldAnswer[];
    }
  | { name: string; kind: 'preferences'; preferences: readonly Preference[] };

export type GoldAnswer = 'a' | 'b' | 'tie';

/** The side the task's hidden gold reward prefers for each label (a tie where both sides score the same). */
export async function goldAnswers(e: Experiment, labels: readonly Label[], host: LabHost = {}): Promise<GoldAnswer[]> {
  const g = await goldOfSamples(e, labels.flatMap((l) => [{ prompt: l.prompt ?? '', sample: l.a }, { prompt: l.prompt ?? '', sample: l.b }]), host);
  return labels.map((_, i) => (g[2 * i] > g[2 * i + 1] ? 'a' : g[2 * i] < g[2 * i + 1] ? 'b' : 'tie'));
}

/** A checked file (checkpoint/import.ts readImport) as a class's source: a bundle's labels, or a file's pairs. */
export function classSourceOf(read: ReadBundle | ReadPreferences, name: string): ClassSource {
  return 'record' in read
    ? { name, kind: 'bundle', experiment: read.record.experiment, labels: read.record.labels }
    : { name, kind: 'preferences', preferences: read.file.preferences };
}

/** One answer of the merged class. */
export interface ClassAnswer {
  rater: string;
  source: string;
  prompt: string;
  /** The pair's two sides in a fixed order (by their text). */
  first: string;
  second: string;
  value: 'first' | 'second' | 'tie';
  /** Which position the chosen side was shown in (bundles only; null where the file does not say). */
  position: 'a' | 'b' | 'tie' | null;
}

export interface RaterSummary {
  rater: string;
  source: string;
  answers: number;
  /** The share of decisive answers that chose the side shown as A (0.5: no bias), where the file says positions. */
  position_a: number | null;
  /** On items others also labeled: how often this rater's answer is the majority answer of the others. */
  with_others: { share: number | null; items: number };
  /** How often a decisive answer picks the side the hidden gold reward prefers (bundles, where gold was worked out). */
  with_gold: { share: number | null; items: number };
}

export interface ClassMerge {
  answers: ClassAnswer[];
  raters: RaterSummary[];
  agreement: Agreement;
}

/** The file's name without folders or extension: a student's name, by convention of what they hand in. */
const stem = (name: string) => name.replace(/^.*[\\/]/, '').replace(/\.(rlhf-lab\.zip|zip|jsonl|json)$/i, '') || name;

/** A bundle's human labels are the student's (named by the file); its simulated labelers keep their own names beside it. */
const raterOf = (source: string, labeler: string | undefined) => (!labeler || labeler === 'human' ? stem(source) : `${stem(source)}:${labeler}`);

function answerOf(rater: string, source: string, prompt: string, x: string, y: string, picked: 'x' | 'y' | 'tie', position: ClassAnswer['position']): ClassAnswer {
  const swap = y < x;
  const [first, second] = swap ? [y, x] : [x, y];
  const value = picked === 'tie' ? 'tie' : (picked === 'x') !== swap ? 'first' : 'second';
  return { rater, source, prompt, first, second, value, position };
}

export function mergeClass(sources: readonly ClassSource[]): ClassMerge {
  const answers: ClassAnswer[] = [];
  const goldHits = new Map<string, { hits: number; items: number }>();
  for (const s of sources) {
    if (s.kind === 'bundle') {
      for (const [i, l] of s.labels.entries()) {
        const g = s.gold?.[i];
        if (g && g !== 'tie' && (l.answer === 'a' || l.answer === 'b')) {
          const key = raterOf(s.name, l.labeler);
          const h = goldHits.get(key) ?? { hits: 0, items: 0 };
          h.items++;
          if (l.answer === g) h.hits++;
          goldHits.set(key, h);
        }
        if (l.answer === 'skip' || isThumb(l.answer)) continue;
        // The task's own words for the two sides, in the order they were shown (A, B).
        const t = preferenceText(s.experiment, l, l.a, l.b);
        answers.push(answerOf(raterOf(s.name, l.labeler), s.name, t.prompt, t.chosen, t.rejected, l.answer === 'tie' ? 'tie' : l.answer === 'a' ? 'x' : 'y', l.answer));
      }
    } else {
      for (const p of s.preferences) answers.push(answerOf(raterOf(s.name, p.labeler), s.name, p.prompt, p.chosen, p.rejected, 'x', null));
    }
  }
  const itemOf = (a: ClassAnswer) => JSON.stringify([a.prompt, a.first, a.second]);
  const ratings: Rating[] = answers.map((a) => ({ item: itemOf(a), rater: a.rater, value: a.value }));

  // Each rater against the majority of the others on shared items (items where the others tie are left out).
  const byItem = new Map<string, Map<string, string>>();
  for (const r of ratings) byItem.set(r.item, (byItem.get(r.item) ?? new Map()).set(r.rater, r.value));
  const raters = [...new Map(answers.map((a) => [a.rater, a.source])).entries()].map(([rater, source]): RaterSummary => {
    const own = answers.filter((a) => a.rater === rater);
    const positioned = own.filter((a) => a.position === 'a' || a.position === 'b');
    let agree = 0;
    let items = 0;
    for (const values of byItem.values()) {
      const mine = values.get(rater);
      if (mine === undefined || values.size < 2) continue;
      const counts = new Map<string, number>();
      for (const [who, v] of values) if (who !== rater) counts.set(v, (counts.get(v) ?? 0) + 1);
      const top = Math.max(...counts.values());
      const majority = [...counts].filter(([, c]) => c === top);
      if (majority.length !== 1) continue;
      items++;
      if (majority[0][0] === mine) agree++;
    }
    return {
      rater,
      source,
      answers: own.length,
      position_a: positioned.length ? positioned.filter((a) => a.position === 'a').length / positioned.length : null,
      with_others: { share: items ? agree / items : null, items },
      with_gold: { share: goldHits.get(rater)?.items ? goldHits.get(rater)!.hits / goldHits.get(rater)!.items : null, items: goldHits.get(rater)?.items ?? 0 },
    };
  });
  return { answers, raters: raters.sort((a, b) => a.rater.localeCompare(b.rater)), agreement: agreement(ratings) };
}

/** The merged class's decisive answers in TRL's layout, each with who gave it (`labeler`) and from which file. */
export function classPreferencesJsonl(m: ClassMerge): string {
  const lines = m.answers
    .filter((a) => a.value !== 'tie')
    .map((a) => {
      const [chosen, rejected] = a.value === 'first' ? [a.first, a.second] : [a.second, a.first];
      return JSON.stringify({ prompt: a.prompt, chosen, rejected, labeler: a.rater, source: a.source });
    });
  return lines.length ? lines.join('\n') + '\n' : '';
}

/**
 * Where every file is an export bundle of one task (the same `task` block): the first bundle's experiment and every
 * student's labels, each under its labeler's class name (as agreement names them), numbered anew as one first round.
 * Otherwise, why not: pooled training and a reward model per labeler need the task's own samples, which only bundles carry.
 */
export function classBundles(sources: readonly ClassSource[]): { experiment: Experiment; labels: Label[] } | { reason: string } {
  const bundles = sources.filter((s) => s.kind === 'bundle');
  if (!bundles.length) return { reason: 'no export bundle was added: preference files carry text only, not the samples a reward model is fit on' };
  if (bundles.length !== sources.length) return { reason: 'preference files carry text only; remove them to fit reward models on the bundles' };
  const first = bundles[0].experiment;
  const other = bundles.find((b) => JSON.stringify(b.experiment.task) !== JSON.stringify(first.task));
  if (other) return { reason: `${other.name} is a run of another task than ${bundles[0].name}; a class's bundles must share one task` };
  const labels = bundles.flatMap((b) => b.labels.map((l) => ({ ...l, labeler: raterOf(b.name, l.labeler) })));
  return { experiment: first, labels: labels.map((l, id) => ({ ...l, id, round: 0 })) };
}
