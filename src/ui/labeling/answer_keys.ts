// The labeling keys, shared by every comparison view: ← / 1 A, → / 2 B, ↓ tie, Space skip; Shift+1 … Shift+4 before
// A or B states how much better (strengthMargin). Rating one sample (thumbs): ↑ / U / + up, ↓ / D / − down, Space skip.
import { strengthMargin, type Answer } from '../../core/feedback/labelers';

export const KEYS: Record<string, Answer> = { ArrowLeft: 'a', '1': 'a', ArrowRight: 'b', '2': 'b', ArrowDown: 'tie', ' ': 'skip' };
export const THUMB_KEYS: Record<string, Answer> = { ArrowUp: 'up', u: 'up', U: 'up', '+': 'up', ArrowDown: 'down', d: 'down', D: 'down', '-': 'down', ' ': 'skip' };

/** Typing in a form field, or a key with Ctrl, Cmd or Alt: not a labeling key. */
function notForUs(e: KeyboardEvent): boolean {
  const t = e.target as HTMLElement | null;
  if (t && (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA')) return true;
  return e.ctrlKey || e.metaKey || e.altKey;
}

/** The answer a key press gives (a pair's, or with `thumbs` a thumb's), or null (other keys, modifiers, or typing in a form field). */
export function answerForKey(e: KeyboardEvent, thumbs = false): Answer | null {
  if (notForUs(e) || (!thumbs && e.shiftKey && /^Digit\d$/.test(e.code))) return null;
  return (thumbs ? THUMB_KEYS : KEYS)[e.key] ?? null;
}

/** The strength of preference Shift+1 … Shift+4 gives (by the key's place, whatever the layout prints on it), or null. */
export function strengthForKey(e: KeyboardEvent): number | null {
  if (notForUs(e) || !e.shiftKey) return null;
  const m = /^Digit([1-4])$/.exec(e.code);
  return m ? Number(m[1]) : null;
}

/** The margin an answer carries: its strength's where the person chose one and the answer prefers a side. */
export function marginOf(answer: Answer, strength: number | null): number | undefined {
  return strength !== null && (answer === 'a' || answer === 'b') ? strengthMargin(strength) : undefined;
}
