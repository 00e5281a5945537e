// The `?` overlay's list (ui/help/shortcuts.ts) says what the handlers do: every labeling key of answer_keys.ts is
// listed under the answer it gives, and the pause key is the one Controls.svelte reads.
import { describe, expect, it } from 'vitest';
import { KEYS, answerForKey, marginOf, strengthForKey } from '../../src/ui/labeling/answer_keys';
import { keyName, PAUSE_KEY, shortcuts } from '../../src/ui/help/shortcuts';

const press = (key: string) => answerForKey({ key, target: null, ctrlKey: false, metaKey: false, altKey: false } as unknown as KeyboardEvent);

describe('the shortcut list', () => {
  it('lists each labeling key with the answer it gives', () => {
    const labeling = shortcuts()[0].keys;
    expect(labeling.map((s) => s.does)).toEqual(['A is better', 'B is better', 'a tie', 'skip this pair']);
    const listed = labeling.flatMap((s) => s.keys);
    expect(listed.sort()).toEqual(Object.keys(KEYS).map(keyName).sort());
    expect(labeling[0].keys).toEqual(['←', '1']);
    expect(press('ArrowLeft')).toBe('a');
    expect(press('1')).toBe('a');
    expect(labeling[3].keys).toEqual(['Space']);
    expect(press(' ')).toBe('skip');
  });

  it('names the pause key and the overlay keys', () => {
    const all = shortcuts().flatMap((g) => g.keys);
    expect(all.find((s) => s.does.startsWith('pause'))?.keys).toEqual([keyName(PAUSE_KEY)]);
    expect(keyName(PAUSE_KEY)).toBe('P');
    expect(all.some((s) => s.keys.includes('?'))).toBe(true);
    expect(all.some((s) => s.keys.includes('Esc'))).toBe(true);
  });
});

describe('thumbs and strength keys', () => {
  const key = (k: string, more: Partial<KeyboardEvent> = {}) =>
    ({ key: k, code: '', target: null, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, ...more }) as unknown as KeyboardEvent;

  it('thumbs: ↑ U + up, ↓ D − down, Space skip; a pair\'s keys answer nothing there, and the list shows each key once', () => {
    for (const k of ['ArrowUp', 'u', 'U', '+']) expect(answerForKey(key(k), true)).toBe('up');
    for (const k of ['ArrowDown', 'd', 'D', '-']) expect(answerForKey(key(k), true)).toBe('down');
    expect(answerForKey(key(' '), true)).toBe('skip');
    for (const k of ['ArrowLeft', '1', '2']) expect(answerForKey(key(k), true)).toBeNull();
    expect(answerForKey(key('ArrowDown'))).toBe('tie'); // in a pair ↓ stays the tie
    const thumbs = shortcuts().find((g) => g.where.startsWith('Rating one completion'))!.keys;
    expect(thumbs.map((s) => [s.does, s.keys])).toEqual([
      ['thumb up', ['↑', 'U', '+']],
      ['thumb down', ['↓', 'D', '-']],
      ['skip this completion', ['Space']],
    ]);
  });

  it('Shift+1 … 4 by key position set a strength, not an answer; its margin goes with A or B only', () => {
    // Shift+1 prints "!" on a US layout and other characters elsewhere: the key's position (code) is what counts.
    expect(strengthForKey(key('!', { shiftKey: true, code: 'Digit1' }))).toBe(1);
    expect(strengthForKey(key('$', { shiftKey: true, code: 'Digit4' }))).toBe(4);
    expect(strengthForKey(key('%', { shiftKey: true, code: 'Digit5' }))).toBeNull();
    expect(strengthForKey(key('1', { code: 'Digit1' }))).toBeNull();
    expect(answerForKey(key('!', { shiftKey: true, code: 'Digit1' }))).toBeNull();
    expect(answerForKey(key('1', { code: 'Digit1' }))).toBe('a');
    expect(marginOf('a', 4)).toBe(1);
    expect(marginOf('b', 2)).toBeCloseTo(1 / 3, 12);
    expect(marginOf('tie', 4)).toBeUndefined();
    expect(marginOf('a', null)).toBeUndefined();
  });
});
