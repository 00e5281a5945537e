// The built-in lessons' text steps, run shortened as the lessons give them (seed 1, wasm backend as the CLI's text
// runs use, with the relaxed SIMD the CLI and Chromium give the lab's wasm kernels; the tab may train on WebGPU,
// whose numbers differ a little): every check on them holds.
import { beforeAll, describe, expect, it } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import { tf } from '../../src/core/tf';
import { BUILTIN_LESSONS } from '../../src/core/lessons/builtin';
import { verifyLesson } from './lesson_runs';

beforeAll(async () => {
  setFlagsFromString('--experimental-wasm-relaxed-simd'); // as bin/rlhf-lab.js sets it
  await import('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
  await tf.ready();
});

const withText = BUILTIN_LESSONS.filter((l) => l.steps.some((s) => s.experiment?.task.kind === 'text'));

describe('built-in lessons on text', () => {
  it('exist (the labelers lesson has a biased text labeler)', () => {
    expect(withText.map((l) => l.id)).toEqual(['noisy-labelers']);
  });
  for (const lesson of withText) {
    it(`${lesson.id}: every check on its text runs passes`, async () => {
      expect(await verifyLesson(lesson, ['text'], 'wasm')).toBeGreaterThan(0);
    }, 300_000);
  }
});
