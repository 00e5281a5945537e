// The worker's classroom calls: the arena between stored runs, the files a class hands in (agreement, a reward model
// per group, a challenge's leaderboard) and each lesson's stored progress. lab.worker.ts spreads these into its API.
import type { Experiment } from '../core/experiment/parse';
import type { Assets } from '../core/runner';
import { keys, type Store } from '../core/checkpoint/store';
import * as runs from '../core/checkpoint/runs';
import { readBundle, readImport } from '../core/checkpoint/import';
import { parseChallenge, scoreClass, submissionOf, type ScoreRow } from '../core/redteam/challenge';
import { classSourceOf, goldAnswers, type ClassSource } from '../core/feedback/class_merge';
import { whosePreferences, type LabelGroup, type WhosePreferences } from '../core/feedback/whose_preferences';
import { readProgress, type LessonProgress } from '../core/lessons/progress';
import { ArenaSession, type ArenaPair, type ArenaPlayer } from '../core/arena_session';

export function classroomApi(store: Store, assets: Assets) {
  /** The arena's restored checkpoints, while the Arena page has one open. */
  let arena: ArenaSession | null = null;
  const closeArena = () => {
    arena?.dispose();
    arena = null;
  };
  return {
  /** Restores the newest checkpoints of these runs for an arena (the previous arena is let go). */
  async arenaOpen(runIds: string[]): Promise<ArenaPlayer[]> {
    closeArena();
    const stored = await runs.listRuns(store);
    const chosen = runIds.map((runId) => {
      const r = stored.find((x) => x.runId === runId);
      if (!r) throw new Error(`The run ${runId} is not stored any more (deleted in another tab?).`);
      return { runId, name: r.name };
    });
    arena = await ArenaSession.open(store, chosen, assets);
    return arena.players;
  },

  /** Comparison k of the open arena: two of its runs' samples (completions, pictures) for one prompt or class, sides shuffled. */
  async arenaPair(seed: number, k: number): Promise<ArenaPair> {
    if (!arena) throw new Error('No arena is open: choose its runs first.');
    return arena.pair(seed, k);
  },

  arenaClose(): void {
    closeArena();
  },

  /** Checks a file a class handed in (a bundle or a preference file) and gives back its labels; stores nothing. */
  async readClassFile(fileName: string, bytes: Uint8Array): Promise<ClassSource> {
    const s = classSourceOf(await readImport(bytes, fileName), fileName);
    // A bundle's labels are checked against the task's hidden gold reward (which side it prefers, label by label).
    return s.kind === 'bundle' ? { ...s, gold: await goldAnswers(s.experiment, s.labels, { assets }) } : s;
  },

  /** A reward model per group of a class's labelers beside one on all their labels (feedback/whose_preferences.ts). */
  async classWhose(experiment: Experiment, groups: LabelGroup[], seed: number, onProgress?: (done: number, total: number) => void): Promise<WhosePreferences> {
    return whosePreferences(experiment, groups, { seed, onProgress }, { assets });
  },

  /**
   * Challenge mode (redteam/challenge.ts): the class's exploits.jsonl files re-scored under the challenge's open model
   * (its export bundle) and the hidden gold, ranked. Uses the page's backend; stores nothing.
   */
  async scoreChallenge(challenge: string, bundleName: string, bundle: Uint8Array, files: { name: string; text: string }[]): Promise<ScoreRow[]> {
    let json: unknown;
    try {
      json = JSON.parse(challenge);
    } catch {
      throw new Error('The challenge file is not JSON: use the challenge.json rlhf-lab challenge make writes.');
    }
    const c = parseChallenge(json, 'the challenge file');
    const { record } = await readBundle(bundle, bundleName);
    return scoreClass(c, record, files.map((f) => submissionOf(f.name, f.text)), { assets });
  },

  // ---- lessons page: a student's progress, per lesson ------------------------------------------------------

  /** The stored progress of these lessons (those with none are left out). */
  async lessonProgress(lessonIds: string[]): Promise<Record<string, LessonProgress>> {
    const out: Record<string, LessonProgress> = {};
    for (const id of lessonIds) {
      const p = readProgress(await store.get(keys.lesson(id)), id);
      if (p) out[id] = p;
    }
    return out;
  },

  async saveLessonProgress(progress: LessonProgress): Promise<void> {
    if (!readProgress(progress, progress.lessonId)) throw new Error('not a lesson progress record');
    await store.setMany([[keys.lesson(progress.lessonId), progress]]);
  },
  };
}
