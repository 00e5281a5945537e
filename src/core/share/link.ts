// Share links: an experiment and its seed (and optionally a few hundred labels, and an educator's locks and hidden
// panels) compressed into the URL fragment, so a link opens a ready run and no server sees it.
//   https://…/#share=v1.<base64url of zlib(JSON)>
// Decoding trusts nothing: a length cap, the alphabet, zlib's Adler-32 checksum (garbled links), a cap on the
// inflated size, then valibot on every field. Every failure is a LinkError whose message says what to do.
import * as v from 'valibot';
import { POINT_BOUND } from '../tasks/landscape2d/spec';
import { strFromU8, strToU8, unzlibSync, zlibSync } from 'fflate';
import { ExperimentError, parseExperiment, type Experiment } from '../experiment/parse';
import type { Answer, Label } from '../feedback/labelers';
import { LOCKABLE, PANELS, type PanelName } from './params';

export const LINK_PREFIX = '#share=';
const VERSION_TAG = 'v1.';
/** Longest fragment the lab makes or opens (300 landscape labels fit): longer links get cut by mail and chat apps. */
export const MAX_LINK_CHARS = 8192;
/** Labels a link may carry ("a few hundred"). */
export const MAX_LINK_LABELS = 500;
const MAX_INFLATED = 512 * 1024;

export interface ShareOptions {
  /** Start the run when the link opens, without a click. */
  autostart?: boolean;
  /** Parameter paths (LOCKABLE) the student cannot change, or "experiment" to forbid picking another one. */
  lock?: string[];
  /** Panels (PANELS) hidden from the student. */
  hide?: PanelName[];
  /** Labels to start the run with (landscape comparisons). */
  labels?: Label[];
}

export interface SharedExperiment extends Required<Omit<ShareOptions, 'labels'>> {
  experiment: Experiment;
  labels: Label[];
}

export class LinkError extends Error {
  override name = 'LinkError';
}

const ANSWER_CODE: Record<Answer, number> = { a: 0, b: 1, tie: 2, skip: 3, up: 4, down: 5 };
const CODE_ANSWER: Answer[] = ['a', 'b', 'tie', 'skip', 'up', 'down'];
const r4 = (x: number) => Math.round(x * 1e4) / 1e4;

export function base64url(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function fromBase64url(s: string): Uint8Array {
  const b = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4));
  const out = new Uint8Array(b.length);
  for (let i = 0; i < b.length; i++) out[i] = b.charCodeAt(i);
  return out;
}

/** Adler-32 (RFC 1950), which zlib stores at the end of the stream and fflate does not check. */
export function adler32(data: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (let i = 0; i < data.length; i += 5552) {
    const end = Math.min(i + 5552, data.length);
    for (let j = i; j < end; j++) {
      a += data[j];
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

function pointLabel(l: Label): number[] {
  if (!Array.isArray(l.a) || !Array.isArray(l.b)) {
    throw new LinkError('A link carries landscape labels only; to share a text run with its labels, export it and send the file.');
  }
  return [r4(l.a[0]), r4(l.a[1]), r4(l.b[0]), r4(l.b[1]), ANSWER_CODE[l.answer]];
}

/** The fragment (starting "#share=") of a link to `experiment` with the given options. Throws LinkError past the cap. */
export function encodeLink(experiment: Experiment, opts: ShareOptions = {}): string {
  const labels = opts.labels ?? [];
  if (labels.length > MAX_LINK_LABELS) {
    throw new LinkError(`A link carries at most ${MAX_LINK_LABELS} labels (this run has ${labels.length}); share without labels, or export the run.`);
  }
  const payload = {
    experiment,
    ...(opts.autostart ? { autostart: true } : {}),
    ...(opts.lock?.length ? { lock: opts.lock } : {}),
    ...(opts.hide?.length ? { hide: opts.hide } : {}),
    ...(labels.length ? { labels: labels.map(pointLabel) } : {}),
  };
  const fragment = LINK_PREFIX + VERSION_TAG + base64url(zlibSync(strToU8(JSON.stringify(payload)), { level: 9 }));
  if (fragment.length > MAX_LINK_CHARS) {
    throw new LinkError(
      `This link would be ${fragment.length} characters long; the lab opens links up to ${MAX_LINK_CHARS}. ` +
        'Share it with fewer labels, or export the run and send the file.',
    );
  }
  return fragment;
}

/**
 * How many of `labels` (the first ones, in order) a link with these options can carry: at most MAX_LINK_LABELS, and
 * as many as keep it within MAX_LINK_CHARS. Zero where the experiment alone does not fit or the labels are not
 * landscape points. The link builder offers this count, never more.
 */
export function labelsThatFit(experiment: Experiment, opts: Omit<ShareOptions, 'labels'>, labels: readonly Label[]): number {
  const fits = (k: number) => {
    try {
      encodeLink(experiment, { ...opts, labels: labels.slice(0, k) });
      return true;
    } catch {
      return false;
    }
  };
  let hi = Math.min(labels.length, MAX_LINK_LABELS);
  if (fits(hi)) return hi;
  let lo = 0; // fits(lo) is assumed, fits(hi) is false: the compressed length grows with k
  if (!fits(0)) return 0;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (fits(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

const LabelTuple = v.strictTuple([
  v.pipe(v.number(), v.finite(), v.minValue(-POINT_BOUND), v.maxValue(POINT_BOUND)),
  v.pipe(v.number(), v.finite(), v.minValue(-POINT_BOUND), v.maxValue(POINT_BOUND)),
  v.pipe(v.number(), v.finite(), v.minValue(-POINT_BOUND), v.maxValue(POINT_BOUND)),
  v.pipe(v.number(), v.finite(), v.minValue(-POINT_BOUND), v.maxValue(POINT_BOUND)),
  v.picklist([0, 1, 2, 3, 4, 5]),
]);

const Payload = v.strictObject({
  experiment: v.unknown(),
  autostart: v.optional(v.boolean()),
  lock: v.optional(v.pipe(v.array(v.picklist(['experiment', ...LOCKABLE.map((p) => p.path)])), v.maxLength(64))),
  hide: v.optional(v.pipe(v.array(v.picklist(PANELS.map((p) => p.name))), v.maxLength(16))),
  labels: v.optional(v.pipe(v.array(LabelTuple), v.maxLength(MAX_LINK_LABELS))),
});

const is = (s: string) => s.startsWith(LINK_PREFIX);
/** True when a URL fragment is meant as a share link (then decodeLink decides whether it is a good one). */
export const isShareFragment = is;

/**
 * The JSON a lab fragment (`prefix` + "v1." + base64url of zlib) carries, distrusted step by step: the length cap, the
 * prefix and version, the alphabet, a cap on the inflated size, the Adler-32 of zlib, then JSON. Share and lesson links
 * read theirs here; every failure is a LinkError naming `what` ("share link", "lesson link") and what to do (ask for
 * the `file` instead, copy it again).
 */
export function unpackFragment(fragment: string, prefix: string, what: string, file: string, maxInflated: number): unknown {
  if (fragment.length > MAX_LINK_CHARS) {
    throw new LinkError(`This ${what} is ${fragment.length} characters long; the lab opens links up to ${MAX_LINK_CHARS}. Ask for the ${file} instead.`);
  }
  if (!fragment.startsWith(prefix)) throw new LinkError(`This is not an RLHF Lab ${what} (it should contain "${prefix}").`);
  const body = fragment.slice(prefix.length);
  if (!body.startsWith(VERSION_TAG)) {
    throw new LinkError(`This ${what} is of an unknown version: it was made by a newer lab, or it was cut. Copy it again in full.`);
  }
  const data = body.slice(VERSION_TAG.length);
  if (!/^[A-Za-z0-9_-]+$/.test(data) || data.length % 4 === 1) {
    throw new LinkError(`This ${what} is garbled (it has characters or a length a lab link never has). Copy it again in full.`);
  }
  let json: string;
  try {
    const z = fromBase64url(data);
    if (z.length < 6) throw new Error('too short');
    const raw = unzlibSync(z);
    if (raw.length > maxInflated) throw new Error('too large');
    const stored = ((z[z.length - 4] << 24) | (z[z.length - 3] << 16) | (z[z.length - 2] << 8) | z[z.length - 1]) >>> 0;
    if (stored !== adler32(raw)) throw new Error('checksum');
    json = strFromU8(raw);
  } catch {
    throw new LinkError(`This ${what} is damaged: its data does not check out (a character was changed, or it was cut). Copy it again in full.`);
  }
  try {
    return JSON.parse(json);
  } catch {
    throw new LinkError(`This ${what} is damaged: its contents are not readable. Copy it again in full.`);
  }
}

/** Reads a share fragment ("#share=v1.…"); throws LinkError with what was wrong. */
export function decodeLink(fragment: string, now = Date.now()): SharedExperiment {
  const payload = unpackFragment(fragment, LINK_PREFIX, 'share link', 'experiment file', MAX_INFLATED);
  const r = v.safeParse(Payload, payload);
  if (!r.success) {
    const i = r.issues[0];
    const where = i.path?.map((p) => String(p.key)).join('.') || 'the link';
    throw new LinkError(`This share link is not valid: ${where}: expected ${i.expected}, got ${i.received}. Ask its author for a new one.`);
  }
  let experiment: Experiment;
  try {
    experiment = parseExperiment(r.output.experiment);
  } catch (e) {
    throw new LinkError(`This share link holds an experiment that is not valid: ${(e as ExperimentError).problems?.join('; ') ?? (e as Error).message}`);
  }
  const labels: Label[] = (r.output.labels ?? []).map(([ax, ay, bx, by, c], id) => ({
    id,
    a: [ax, ay],
    b: [bx, by],
    answer: CODE_ANSWER[c],
    labeler: 'shared',
    round: 0,
    time: now,
  }));
  return {
    experiment,
    autostart: r.output.autostart ?? false,
    lock: [...new Set(r.output.lock ?? [])],
    hide: [...new Set(r.output.hide ?? [])],
    labels,
  };
}
