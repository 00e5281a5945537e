// The Lessons page's state: the built-in lessons and those opened from a link or a file, the one open, and the
// student's progress (kept in IndexedDB through the worker). A step's run starts in the lab like any other; when the
// lab shows that run finished, its check is read from the run's rows (and earlier steps' runs, fetched by id).
import { BUILTIN_LESSONS } from '../../core/lessons/builtin';
import { evaluateCheck, stepsRead, type RunRows } from '../../core/lessons/checks';
import { LessonError, parseLessonJson, type Lesson, type LessonStep } from '../../core/lessons/lesson';
import { decodeLesson } from '../../core/lessons/link';
import { LinkError } from '../../core/share/link';
import { emptyProgress, type LessonProgress, type StepProgress } from '../../core/lessons/progress';
import type { Lab } from '../lab.svelte';

export class Lessons {
  /** Lessons opened from links or files this session, beside the built-in ones. */
  opened = $state.raw<Lesson[]>([]);
  openId = $state<string | null>(null);
  progress = $state.raw<Record<string, LessonProgress>>({});
  error = $state<string | null>(null);
  /** The step whose run is starting, while it starts. */
  starting = $state<string | null>(null);
  private loaded = false;

  constructor(private readonly lab: Lab) {}

  get all(): { lesson: Lesson; builtin: boolean }[] {
    const mine = new Set(this.opened.map((l) => l.id));
    return [
      ...this.opened.map((lesson) => ({ lesson, builtin: false })),
      ...BUILTIN_LESSONS.filter((l) => !mine.has(l.id)).map((lesson) => ({ lesson, builtin: true })),
    ];
  }

  get open(): Lesson | null {
    return this.all.find((x) => x.lesson.id === this.openId)?.lesson ?? null;
  }

  stepOf(lessonId: string, stepId: string): StepProgress {
    return this.progress[lessonId]?.steps[stepId] ?? {};
  }

  /** Reads the stored progress of every lesson shown (once the worker is up, and for each lesson opened later). */
  async load(): Promise<void> {
    const api = this.lab.remote;
    if (!api) return;
    this.loaded = true;
    const stored = await api.lessonProgress(this.all.map((x) => x.lesson.id));
    this.progress = { ...stored, ...this.progress };
  }

  /** Reads a "#lesson=…" fragment; a bad one sets `error` and changes nothing else. */
  openFragment(fragment: string): void {
    try {
      this.add(decodeLesson(fragment));
    } catch (e) {
      this.error = e instanceof LinkError ? e.message : `This lesson link could not be read (${(e as Error).message}). Copy it again in full.`;
    }
  }

  /** Reads a lesson file; a bad one is reported and changes nothing. */
  openFile(name: string, text: string): void {
    try {
      this.add(parseLessonJson(text));
    } catch (e) {
      const problems = e instanceof LessonError ? e.problems : [(e as Error).message];
      this.error = `${name} is not a valid lesson, nothing was changed: ${problems.join('; ')}`;
    }
  }

  private add(l: Lesson): void {
    this.opened = [...this.opened.filter((o) => o.id !== l.id), l];
    this.openId = l.id;
    this.error = null;
    if (this.loaded) void this.load();
  }

  private async save(lessonId: string, stepId: string, change: StepProgress): Promise<void> {
    const before = this.progress[lessonId] ?? emptyProgress(lessonId);
    const p: LessonProgress = { ...before, steps: { ...before.steps, [stepId]: { ...before.steps[stepId], ...change } }, updatedAt: Date.now() };
    this.progress = { ...this.progress, [lessonId]: p };
    try {
      await this.lab.remote?.saveLessonProgress(p);
    } catch (e) {
      this.error = `Your progress could not be saved: ${(e as Error).message}`;
    }
  }

  predict(lesson: Lesson, step: LessonStep, choice: number): Promise<void> {
    return this.save(lesson.id, step.id, { prediction: choice });
  }

  /** Starts the step's run in the lab (its experiment offered beside the presets under the lesson's name). */
  async start(lesson: Lesson, step: LessonStep): Promise<void> {
    const e = step.experiment;
    if (!e || !this.lab.ready) return;
    this.starting = step.id;
    try {
      this.lab.opened = [...this.lab.opened.filter((o) => o.name !== e.name), e];
      this.lab.selected = e.name;
      this.lab.edits = {};
      this.lab.startLabels = [];
      const runId = await this.lab.start();
      if (runId) await this.save(lesson.id, step.id, { runId, verdict: undefined, done: false });
      else this.error = this.lab.error;
    } finally {
      this.starting = null;
    }
  }

  /** The rows of the earlier steps' runs a check reads, from the worker (the lab holds only the open run's). */
  private async earlierRows(lesson: Lesson, step: LessonStep): Promise<RunRows> {
    const rows: RunRows = {};
    for (const id of step.check ? stepsRead(step.check) : []) {
      const runId = this.stepOf(lesson.id, id).runId;
      if (runId && this.stepOf(lesson.id, id).done) rows[id] = (await this.lab.remote?.runMetrics(runId)) ?? undefined;
    }
    return rows;
  }

  /** The step's run is the lab's and has finished: read its check and mark the step done. */
  async finish(lesson: Lesson, step: LessonStep): Promise<void> {
    const own = this.lab.metrics;
    const verdict = step.check ? evaluateCheck(step.check, { ...(await this.earlierRows(lesson, step)), '': own }) : undefined;
    await this.save(lesson.id, step.id, { verdict, done: true });
  }

  /** A step without a run: read its check on earlier steps' runs (or mark it read). */
  async complete(lesson: Lesson, step: LessonStep): Promise<void> {
    const verdict = step.check ? evaluateCheck(step.check, await this.earlierRows(lesson, step)) : undefined;
    await this.save(lesson.id, step.id, { verdict, done: true });
  }

  async reset(lesson: Lesson): Promise<void> {
    const p = emptyProgress(lesson.id);
    this.progress = { ...this.progress, [lesson.id]: p };
    await this.lab.remote?.saveLessonProgress({ ...p, updatedAt: Date.now() });
  }
}
