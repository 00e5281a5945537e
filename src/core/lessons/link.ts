// Lesson links: a lesson as its author wrote it, compressed into the URL fragment the way share links are
//   https://…/#lesson=v1.<base64url of zlib(JSON)>
// with the same length cap (MAX_LINK_CHARS) and the same distrust: alphabet, Adler-32, a cap on the inflated size,
// then parseLesson on every field. Every failure is a LinkError whose message says what to do.
import { strToU8, zlibSync } from 'fflate';
import { base64url, LinkError, MAX_LINK_CHARS, unpackFragment } from '../share/link';
import { LessonError, lessonSource, parseLesson, type Lesson } from './lesson';

export const LESSON_PREFIX = '#lesson=';
const VERSION_TAG = 'v1.';
const MAX_INFLATED = 256 * 1024;

/** True when a URL fragment is meant as a lesson link (then decodeLesson decides whether it is a good one). */
export const isLessonFragment = (s: string) => s.startsWith(LESSON_PREFIX);

/** The fragment ("#lesson=v1.…") of a link to the lesson. Throws LinkError past the cap. */
export function encodeLesson(lesson: Lesson): string {
  const fragment = LESSON_PREFIX + VERSION_TAG + base64url(zlibSync(strToU8(JSON.stringify(lessonSource(lesson))), { level: 9 }));
  if (fragment.length > MAX_LINK_CHARS) {
    throw new LinkError(
      `This lesson's link would be ${fragment.length} characters long; the lab opens links up to ${MAX_LINK_CHARS}. ` +
        'Shorten its text, use presets instead of whole experiments, or share the lesson as a file.',
    );
  }
  return fragment;
}

/** Reads a lesson fragment ("#lesson=v1.…"); throws LinkError with what was wrong. */
export function decodeLesson(fragment: string): Lesson {
  const data = unpackFragment(fragment, LESSON_PREFIX, 'lesson link', 'lesson file', MAX_INFLATED);
  try {
    return parseLesson(data);
  } catch (e) {
    if (e instanceof LessonError) throw new LinkError(`This lesson link holds a lesson that is not valid: ${e.problems.join('; ')}. Ask its author for a new one.`);
    throw e;
  }
}
