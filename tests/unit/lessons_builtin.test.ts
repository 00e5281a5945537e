// Every built-in lesson's checks pass on the runs its steps start (seed 1, cpu backend, in this process), so a
// student who runs a lesson sees the verdict its text promises. Runs with the same settings are run once.
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/core/tf';
import { Runner } from '../../src/core/runner';
import { MemoryStore } from '../../src/core/checkpoint/store';
import type { MetricRow } from '../../src/core/checkpoint/record';
import type { Experiment } from '../../src/core/experiment/parse';
import { BUILTIN_LESSONS } from '../../src/core/lessons/builtin';
import { evaluateCheck, type RunRows } from '../../src/core/lessons/checks';
import { decodeLesson, encodeLesson } from '../../src/core/lessons/link';
import { parseLessonJson } from '../../src/core/lessons/lesson';
import { readFileSync } from 'node:fs';
import { ROOT } from './cli_run';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const cache = new Map<string, MetricRow[]>();
async function rowsOf(e: Experiment): Promise<MetricRow[]> {
  const key = JSON.stringify({ ...e, name: '' });
  let rows = cache.get(key);
  if (!rows) {
    const r = await Runner.create(e, { store: new MemoryStore(), runId: 'lesson', backend: 'cpu' });
    await r.run();
    expect(r.status).toBe('done');
    rows = r.metrics;
    r.dispose();
    cache.set(key, rows);
  }
  return rows;
}

describe('built-in lessons', () => {
  it('are 6 to 8, with distinct ids, each a link the lab opens', () => {
    expect(BUILTIN_LESSONS.length).toBeGreaterThanOrEqual(6);
    expect(BUILTIN_LESSONS.length).toBeLessThanOrEqual(8);
    expect(new Set(BUILTIN_LESSONS.map((l) => l.id)).size).toBe(BUILTIN_LESSONS.length);
    for (const l of BUILTIN_LESSONS) expect(decodeLesson(encodeLesson(l))).toEqual(l);
  });

  // The README's example lesson (its runs are the KL-leash lesson's, so they are run once).
  const readme = readFileSync(`${ROOT}/README.md`, 'utf8');
  const example = parseLessonJson(/One full lesson[^\n]*\n\n```json\n([\s\S]*?)\n```/.exec(readme)![1]);

  for (const lesson of [...BUILTIN_LESSONS, example]) {
    it(`${lesson.id}: every check passes on its runs`, async () => {
      const runs: RunRows = {};
      let checked = 0;
      for (const step of lesson.steps) {
        if (step.experiment) runs[step.id] = await rowsOf(step.experiment);
        if (!step.check) continue;
        const verdict = evaluateCheck(step.check, { ...runs, '': step.experiment ? runs[step.id] : undefined });
        expect(verdict.passed, `${lesson.id}/${step.id}: ${verdict.readings.map((r) => r.text).join('; ')}`).toBe(true);
        checked++;
      }
      expect(checked).toBeGreaterThan(0);
    }, 300_000);
  }
});
