// Thumbs and margins in and out in TRL's layouts: unpaired lines (`prompt`, `completion`, `label` as a boolean) beside
// the paired ones, TRL's `margin` column on paired lines, and clear refusals of what does not fit.
import { describe, expect, it } from 'vitest';
import { landscapeLabels, landscapeThumbs, parsePreferencesJsonl, PreferenceFileError, preferencesJsonl } from '../../src/core/feedback/preferences_io';
import { readPreferences } from '../../src/core/checkpoint/import';
import { preset } from '../../src/core/experiment/presets';
import type { Label } from '../../src/core/feedback/labelers';

const text = preset('text-kto-thumbs-human')!;
const label = (l: Partial<Label>): Label => ({ id: 0, a: '', b: '', answer: 'a', labeler: 'human', round: 0, time: Date.UTC(2026, 0, 2), ...l });
const problemsOf = (content: string) => {
  try {
    parsePreferencesJsonl(content, 'f.jsonl');
  } catch (e) {
    expect(e).toBeInstanceOf(PreferenceFileError);
    return (e as PreferenceFileError).problems;
  }
  throw new Error('the file was accepted');
};

describe('thumbs in TRL\'s unpaired layout', () => {
  it('go out as {prompt, completion, label} lines beside the paired ones, and read back as the same thumbs', () => {
    const labels = [
      label({ id: 0, prompt: 'the movie was', a: ' great fun', b: ' great fun', answer: 'up' }),
      label({ id: 1, prompt: 'it was', a: ' awful', b: ' awful', answer: 'down', labeler: 'simulated:0' }),
      label({ id: 2, prompt: 'it was', a: ' x', b: ' x', answer: 'skip' }),
    ];
    const out = preferencesJsonl(text, labels);
    const lines = out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2); // the skip has nothing to say
    expect(lines[0]).toEqual({ prompt: 'the movie was', completion: ' great fun', label: true, labeler: 'human', time: '2026-01-02T00:00:00.000Z', round: 0, id: 0 });
    expect(lines[1]).toMatchObject({ prompt: 'it was', completion: ' awful', label: false, labeler: 'simulated:0' });
    const back = parsePreferencesJsonl(out);
    expect(back.layout).toBe('unpaired');
    expect(back.preferences).toEqual([]);
    expect(back.thumbs.map((t) => [t.prompt, t.completion, t.label])).toEqual([['the movie was', ' great fun', true], ['it was', ' awful', false]]);
    expect(back.ignoredColumns).toEqual(['id', 'round']);
  });

  it('from a file: counted in the import summary, and landscape points become landscape thumbs', () => {
    const content = '{"prompt": "", "completion": "[0.5,-1]", "label": true}\n{"prompt": "", "completion": "[2,2]", "label": false}\n';
    const read = readPreferences(new TextEncoder().encode(content), 't.jsonl');
    expect(read.summary).toMatchObject({ pairs: 0, thumbs: 2, layout: 'unpaired', landscapeLabels: 2 });
    expect(read.summary.thumbPreview[0]).toEqual({ prompt: '', completion: '[0.5,-1]', label: true });
    const [up, down] = read.labels!;
    expect(up).toMatchObject({ a: [0.5, -1], b: [0.5, -1], answer: 'up', labeler: 'imported:unknown' });
    expect(down.answer).toBe('down');
    // Text completions are no landscape thumbs.
    expect(landscapeThumbs([{ prompt: 'hi', completion: ' there', label: true }])).toBeNull();
  });

  it('refuses a label that is not a boolean, a line with both layouts and a file mixing them, naming the line', () => {
    expect(problemsOf('{"prompt": "p", "completion": " c", "label": "true"}\n')).toEqual(['line 1: label: expected boolean, got "true"']);
    expect(problemsOf('{"prompt": "p", "completion": " c"}\n')).toEqual(['line 1: label: missing']);
    expect(problemsOf('{"prompt": "p", "chosen": " a", "rejected": " b", "completion": " c", "label": true}\n')[0]).toMatch(
      /^line 1: has both chosen\/rejected \(paired\) and completion\/label \(unpaired\) columns/,
    );
    const mixed = problemsOf('{"prompt": "p", "chosen": " a", "rejected": " b"}\n{"prompt": "p", "completion": " c", "label": false}\n');
    expect(mixed).toEqual(['1 paired lines (chosen/rejected) and 1 unpaired ones (completion/label): a file holds one layout; split it']);
  });
});

describe('TRL\'s margin column', () => {
  it('goes out on a label with a margin, reads back, and reaches the landscape labels', () => {
    const e = preset('landscape-hello')!;
    const out = preferencesJsonl(e, [label({ a: [1, 2], b: [0, 0], answer: 'b', margin: 2 / 3 }), label({ id: 1, a: [1, 2], b: [0, 0], answer: 'a' })]);
    const lines = out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ chosen: '[0,0]', rejected: '[1,2]', margin: 2 / 3 });
    expect(lines[1]).not.toHaveProperty('margin');
    const back = parsePreferencesJsonl(out);
    expect(back.preferences[0].margin).toBeCloseTo(2 / 3, 12);
    expect(back.ignoredColumns).not.toContain('margin');
    const labels = landscapeLabels(back.preferences)!;
    expect(labels[0]).toMatchObject({ a: [0, 0], b: [1, 2], answer: 'a', margin: 2 / 3 });
    expect(labels[1]).not.toHaveProperty('margin');
  });

  it('refuses a negative or non-number margin, naming it', () => {
    expect(problemsOf('{"prompt": "p", "chosen": " a", "rejected": " b", "margin": -1}\n')[0]).toMatch(/^line 1: margin: expected >=0/);
    expect(problemsOf('{"prompt": "p", "chosen": " a", "rejected": " b", "margin": "big"}\n')[0]).toMatch(/^line 1: margin: expected number/);
  });
});
