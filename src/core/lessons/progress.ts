// A student's progress through one lesson, kept in the tab's IndexedDB by the worker under keys.lesson(id): per step,
// the prediction chosen, the run started and the check's verdict. `schema` is stored beside the data; a record of
// another schema is read as no progress (there is only version 1).
import type { Verdict } from './checks';
import type { Lesson } from './lesson';

export const PROGRESS_SCHEMA = 1;

export interface StepProgress {
  /** Index of the choice predicted, fixed before the run starts. */
  prediction?: number;
  runId?: string;
  /** The check's verdict on the finished run (steps without a run: on the earlier runs it reads). */
  verdict?: Verdict;
  /** Set when the step is complete: its run finished (and its check was read). */
  done?: boolean;
}

export interface LessonProgress {
  schema: typeof PROGRESS_SCHEMA;
  lessonId: string;
  steps: Record<string, StepProgress>;
  updatedAt: number;
}

export function emptyProgress(lessonId: string): LessonProgress {
  return { schema: PROGRESS_SCHEMA, lessonId, steps: {}, updatedAt: 0 };
}

/** A stored value as progress, or null where it is not one this lab wrote. */
export function readProgress(stored: unknown, lessonId: string): LessonProgress | null {
  const p = stored as Partial<LessonProgress> | undefined;
  if (!p || typeof p !== 'object' || p.schema !== PROGRESS_SCHEMA || p.lessonId !== lessonId || typeof p.steps !== 'object' || !p.steps) return null;
  return p as LessonProgress;
}

/** Steps done out of the lesson's steps. */
export function stepsDone(lesson: Lesson, p: LessonProgress | null | undefined): number {
  return lesson.steps.filter((s) => p?.steps[s.id]?.done).length;
}
