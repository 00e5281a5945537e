// Runs a lesson's steps in this process and evaluates its checks, as the Lessons page does in the tab: the helper of
// lessons_builtin.test.ts (plane and control runs, cpu) and lessons_text.test.ts (text runs, wasm). Steps of other
// task kinds, and checks that read them, are left to the other file. Runs with the same settings are run once.
import { expect } from 'vitest';
import { Runner } from '../../src/core/runner';
import { MemoryStore } from '../../src/core/checkpoint/store';
import type { MetricRow } from '../../src/core/checkpoint/record';
import type { Experiment } from '../../src/core/experiment/parse';
import type { Lesson } from '../../src/core/lessons/lesson';
import { evaluateCheck, stepsRead, type RunRows } from '../../src/core/lessons/checks';
import { publicAssets } from '../../src/cli/fs_assets';

const cache = new Map<string, MetricRow[]>();

async function rowsOf(e: Experiment, backend: string): Promise<MetricRow[]> {
  const key = JSON.stringify({ ...e, name: '' });
  let rows = cache.get(key);
  if (!rows) {
    const r = await Runner.create(e, { store: new MemoryStore(), runId: 'lesson', backend, assets: publicAssets });
    await r.run();
    expect(r.status).toBe('done');
    rows = r.metrics;
    r.dispose();
    cache.set(key, rows);
  }
  return rows;
}

/** Runs the lesson's steps of these task kinds and requires each check on them to hold; returns how many were read. */
export async function verifyLesson(lesson: Lesson, kinds: string[], backend: string): Promise<number> {
  const runs: RunRows = {};
  let checked = 0;
  for (const step of lesson.steps) {
    const mine = step.experiment && kinds.includes(step.experiment.task.kind);
    if (mine) runs[step.id] = await rowsOf(step.experiment!, backend);
    if (!step.check || (step.experiment && !mine) || stepsRead(step.check).some((id) => !runs[id])) continue;
    const verdict = evaluateCheck(step.check, { ...runs, '': step.experiment ? runs[step.id] : undefined });
    expect(verdict.passed, `${lesson.id}/${step.id}: ${verdict.readings.map((r) => r.text).join('; ')}`).toBe(true);
    checked++;
  }
  return checked;
}
