// Lesson links: a lesson as its author wrote it, compressed into the URL fragment the way share links are
//   https://…/#lesson=v1.<base64url of zlib(JSON)>
// with the same length cap (MAX_LINK_CHARS) and the same distrust: alphabet, Adler-32, a cap on the inflated size,
// then parseLesson on every field. Every failure is a LinkError whose message says what to do.
import { strFromU8, strToU8, unzlibSync, zlibSync } from 'fflate';
import { adler32, base64url, fromBase64url, LinkError, MAX_LINK_CHARS } from '../share/link';
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
  if (fragment.length > MAX_LINK_CHARS) {
    throw new LinkError(`This lesson link is ${fragment.length} characters long; the lab opens links up to ${MAX_LINK_CHARS}. Ask for the lesson file instead.`);
  }
  if (!isLessonFragment(fragment)) throw new LinkError('This is not an RLHF Lab lesson link (it should contain "#lesson=").');
  const body = fragment.slice(LESSON_PREFIX.length);
  if (!body.startsWith(VERSION_TAG)) {
    throw new LinkError('This lesson link is of an unknown version: it was made by a newer lab, or it was cut. Copy it again in full.');
  }
  const data = body.slice(VERSION_TAG.length);
  if (!/^[A-Za-z0-9_-]+$/.test(data) || data.length % 4 === 1) {
    throw new LinkError('This lesson link is garbled (it has characters or a length a lab link never has). Copy it again in full.');
  }
  let json: string;
  try {
    const z = fromBase64url(data);
    if (z.length < 6) throw new Error('too short');
    const raw = unzlibSync(z);
    if (raw.length > MAX_INFLATED) throw new Error('too large');
    const stored = ((z[z.length - 4] << 24) | (z[z.length - 3] << 16) | (z[z.length - 2] << 8) | z[z.length - 1]) >>> 0;
    if (stored !== adler32(raw)) throw new Error('checksum');
    json = strFromU8(raw);
  } catch {
    throw new LinkError('This lesson link is damaged: its data does not check out (a character was changed, or it was cut). Copy it again in full.');
  }
  let data2: unknown;
  try {
    data2 = JSON.parse(json);
  } catch {
    throw new LinkError('This lesson link is damaged: its contents are not readable. Copy it again in full.');
  }
  try {
    return parseLesson(data2);
  } catch (e) {
    if (e instanceof LessonError) throw new LinkError(`This lesson link holds a lesson that is not valid: ${e.problems.join('; ')}. Ask its author for a new one.`);
    throw e;
  }
}
