// Every built-in lesson's checks pass on the runs its steps start (seed 1, cpu backend, in this process), so a
// student who runs a lesson sees the verdict its text promises. Text steps are lessons_text.test.ts's (wasm).
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { tf } from '../../src/core/tf';
import { BUILTIN_LESSONS } from '../../src/core/lessons/builtin';
import { parseLessonJson } from '../../src/core/lessons/lesson';
import { decodeLesson, encodeLesson } from '../../src/core/lessons/link';
import { ROOT } from './cli_run';
import { verifyLesson } from './lesson_runs';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

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
      expect(await verifyLesson(lesson, ['landscape2d', 'control'], 'cpu')).toBeGreaterThan(0);
    }, 300_000);
  }
});
