// The keyboard shortcuts, as the key handlers read them: the labeling keys are answer_keys.ts's own map, P is the key
// Controls.svelte reads, ? and Escape are the overlay's (ShortcutsDialog.svelte). The `?` overlay lists these.
import { STRENGTHS, type Answer } from '../../core/feedback/labelers';
import { KEYS, THUMB_KEYS } from '../labeling/answer_keys';

/** Pauses a training run, or resumes a paused one (training/Controls.svelte). */
export const PAUSE_KEY = 'p';
/** Opens the list of shortcuts. */
export const HELP_KEY = '?';

export interface Shortcut {
  keys: string[];
  does: string;
}

/** A key as printed on the keyboard. */
export function keyName(key: string): string {
  const names: Record<string, string> = { ArrowLeft: '←', ArrowRight: '→', ArrowDown: '↓', ArrowUp: '↑', ' ': 'Space', Escape: 'Esc' };
  return names[key] ?? key.toUpperCase();
}

const ANSWERS: Record<Answer, string> = { a: 'A is better', b: 'B is better', tie: 'a tie', skip: 'skip this pair', up: 'thumb up', down: 'thumb down' };

/** The keys of a key map by the answer they give, each key name once. */
function byAnswer(keys: Record<string, Answer>, skip: string): Shortcut[] {
  const by = new Map<Answer, string[]>();
  for (const [key, answer] of Object.entries(keys)) by.set(answer, [...new Set([...(by.get(answer) ?? []), keyName(key)])]);
  // Arrows before digits (an object lists its digit keys first).
  return [...by].map(([answer, names]) => ({ keys: names.sort((x, y) => +/^\d$/.test(x) - +/^\d$/.test(y)), does: answer === 'skip' ? skip : ANSWERS[answer] }));
}

/** The shortcuts by where they work. */
export function shortcuts(): { where: string; keys: Shortcut[] }[] {
  return [
    { where: 'Comparing a pair', keys: byAnswer(KEYS, ANSWERS.skip) },
    {
      where: 'Comparing a pair: how much better, before A or B (text; the reward model\'s margin)',
      keys: STRENGTHS.map((s, i) => ({ keys: [`Shift+${i + 1}`], does: s })),
    },
    { where: 'Rating one completion (thumbs)', keys: byAnswer(THUMB_KEYS, 'skip this completion') },
    { where: 'A run', keys: [{ keys: [keyName(PAUSE_KEY)], does: 'pause the run, or resume a paused one' }] },
    {
      where: 'Anywhere',
      keys: [
        { keys: [HELP_KEY], does: 'show this list' },
        { keys: [keyName('Escape')], does: 'close this list; cancel a rename on the Runs page' },
      ],
    },
  ];
}

/** Typing in a form field is not a shortcut. */
export function typing(e: KeyboardEvent): boolean {
  const t = e.target as HTMLElement | null;
  return !!t && (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA' || t.isContentEditable);
}
