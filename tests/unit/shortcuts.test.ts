// The `?` overlay's list (ui/help/shortcuts.ts) says what the handlers do: every labeling key of answer_keys.ts is
// listed under the answer it gives, and the pause key is the one Controls.svelte reads.
import { describe, expect, it } from 'vitest';
import { KEYS, answerForKey } from '../../src/ui/labeling/answer_keys';
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
