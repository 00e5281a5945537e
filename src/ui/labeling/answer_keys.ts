// The labeling keys, shared by every comparison view: ← / 1 A, → / 2 B, ↓ tie, Space skip.
import type { Answer } from '../../core/feedback/labelers';

export const KEYS: Record<string, Answer> = { ArrowLeft: 'a', '1': 'a', ArrowRight: 'b', '2': 'b', ArrowDown: 'tie', ' ': 'skip' };

/** The answer a key press gives, or null (other keys, modifiers, or typing in a form field). */
export function answerForKey(e: KeyboardEvent): Answer | null {
  const t = e.target as HTMLElement | null;
  if (t && (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA')) return null;
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  return KEYS[e.key] ?? null;
}
