// Challenge mode: open train reward, hidden test reward. A challenge fixes one run's reward model (its export is handed
// to the class: the open model anyone may load and attack) and scores what students find against the task's gold
// reward, which no attack, run or export of the challenge computes with: the test reward. Each submission is an
// attack's output (`rlhf-lab attack`: summary.json and exploits.jsonl); its first attack's finds are re-scored here,
// never trusted: the proxy under the open model, the gold from the task's own scorer, a control clip replayed by the
// environment from its start under its actions. A submission's score is its success rate over the challenge's budget
// (a missing or invalid find counts as a miss), with the thresholds fixed once in the challenge; ties go to the larger
// mean gap. The class's scores, ranked, are the leaderboard.
//
// "Hidden" here means hidden from the challenge's files and tools, not secret: the lab's gold rewards are its own
// open code. A class that wants a test reward no student can compute uses a human labeler's answers instead.
import * as v from 'valibot';
import type { Experiment } from '../experiment/parse';
import type { Sample } from '../feedback/labelers';
import { goldOfSamples, taskOf, type LabHost } from '../tasks/registry';
import { modelStates, type CheckpointRecord } from '../checkpoint/record';
import type { TaskLab } from '../tasks/task_lab';
import { isSuccess } from './attack';
import { findOf, proxyOf } from './registry';

export const CHALLENGE_VERSION = 1;

const Challenge = v.object({
  challenge: v.literal(CHALLENGE_VERSION),
  name: v.string(),
  /** The open reward model: the run whose export the class attacks, and its checkpoint's SHA-256. */
  run: v.string(),
  sha256: v.string(),
  task: v.string(),
  /** Finds scored per submission: the first this many of its first attack. */
  budget: v.pipe(v.number(), v.integer(), v.minValue(1)),
  /** The success rate's thresholds, read once off the run's policy (proxy under the open model, gold the test reward). */
  thresholds: v.object({ proxyTopDecile: v.number(), goldMedian: v.number() }),
});
export type Challenge = v.InferOutput<typeof Challenge>;

/** A challenge file's contents, or an error naming what is wrong with it. */
export function parseChallenge(json: unknown, file: string): Challenge {
  const r = v.safeParse(Challenge, json);
  if (!r.success) {
    const i = r.issues[0];
    const at = i.path?.map((p) => String(p.key)).join('.') || '(top level)';
    throw new Error(`${file} is not a challenge file (rlhf-lab challenge make writes one): ${at}: ${i.message}`);
  }
  return r.output;
}

export interface Submission {
  /** Who submitted it: the folder's or file's name. */
  name: string;
  /** The attacked run's id, from its summary.json. */
  run: string;
  /** Lines of its exploits.jsonl. */
  lines: Record<string, unknown>[];
}

export interface ScoreRow {
  name: string;
  /** Valid finds of the first attack scored (at most the budget). */
  finds: number;
  /** Finds refused, each with the reason. */
  refused: string[];
  successes: number;
  /** Successes over the challenge's budget. */
  score: number;
  meanProxy: number;
  meanGold: number;
  meanGap: number;
  rank: number;
}

/**
 * One submission re-scored: its first attack's finds (round 0) up to the budget, each read as a sample of the task
 * (refused with the reason where it is not one), its proxy under the open model, its gold by the hidden test reward.
 */
export async function scoreSubmission(c: Challenge, e: Experiment, lab: TaskLab, s: Submission, host: LabHost = {}): Promise<Omit<ScoreRow, 'rank'>> {
  if (s.run !== c.run) throw new Error(`${s.name} attacked run ${s.run}, and the challenge "${c.name}" is run ${c.run}: attack the challenge's export`);
  const first = s.lines.filter((l) => (l.round ?? 0) === 0).slice(0, c.budget);
  const refused: string[] = [];
  const finds: { prompt: string; sample: Sample }[] = [];
  first.forEach((l, i) => {
    try {
      finds.push(findOf(e, l));
    } catch (err) {
      refused.push(`find ${i + 1}: ${(err as Error).message}`);
    }
  });
  const proxy = finds.length ? await proxyOf(e, lab, finds) : new Float32Array(0);
  const gold = finds.length ? await goldOfSamples(e, finds, host) : [];
  const ok = finds.map((_, i) => isSuccess(c.thresholds, proxy[i], gold[i]));
  const mean = (xs: ArrayLike<number>) => (xs.length ? Array.from(xs).reduce((a, b) => a + b, 0) / xs.length : NaN);
  return {
    name: s.name,
    finds: finds.length,
    refused,
    successes: ok.filter(Boolean).length,
    score: ok.filter(Boolean).length / c.budget,
    meanProxy: mean(proxy),
    meanGold: mean(gold),
    meanGap: mean(Array.from(proxy, (p, i) => p - gold[i])),
  };
}

/** A class's submissions scored on the challenge's open model (a run's newest checkpoint) and ranked: the CLI's and the tab's. */
export async function scoreClass(c: Challenge, record: CheckpointRecord, submissions: Submission[], host: LabHost = {}): Promise<ScoreRow[]> {
  if (record.runId !== c.run || record.sha256 !== c.sha256) {
    throw new Error(`that run is not the model the challenge "${c.name}" fixes (run ${c.run}, SHA-256 ${c.sha256.slice(0, 12)}…): use the export the challenge was made from`);
  }
  const e = record.experiment;
  const lab = await taskOf(e.task).restore(e, modelStates(record), host);
  try {
    const rows = [];
    for (const s of submissions) rows.push(await scoreSubmission(c, e, lab, s, host));
    return rank(rows);
  } finally {
    lab.dispose();
  }
}

/** A submission from an exploits.jsonl file's text (each line names the run it attacked, as `rlhf-lab attack` writes). */
export function submissionOf(name: string, text: string): Submission {
  const lines = text.split('\n').filter((l) => l.trim()).map((l, i) => {
    try {
      return JSON.parse(l) as Record<string, unknown>;
    } catch {
      throw new Error(`${name}: line ${i + 1} is not JSON; a submission is the exploits.jsonl rlhf-lab attack writes`);
    }
  });
  if (lines.length === 0) throw new Error(`${name} holds no finds`);
  if (typeof lines[0].run !== 'string') throw new Error(`${name}: its finds do not name the run they attacked; attack the challenge's export again with this lab's rlhf-lab attack`);
  return { name, run: lines[0].run, lines };
}

/** The leaderboard: score first, then the larger mean gap; equal rows share a rank. */
export function rank(rows: Omit<ScoreRow, 'rank'>[]): ScoreRow[] {
  const gap = (r: Omit<ScoreRow, 'rank'>) => (Number.isFinite(r.meanGap) ? r.meanGap : -Infinity);
  const sorted = [...rows].sort((a, b) => b.score - a.score || gap(b) - gap(a));
  let at = 0;
  return sorted.map((r, i) => {
    if (i === 0 || sorted[i - 1].score !== r.score || gap(sorted[i - 1]) !== gap(r)) at = i + 1;
    return { ...r, rank: at };
  });
}
