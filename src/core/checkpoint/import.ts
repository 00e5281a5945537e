// Reading what a user hands the lab: an export bundle (zip) or a preference file (JSONL, TRL or Anthropic HH
// layout). Everything is validated before anything is stored; a bad file gets an ImportError that names what was
// wrong and what to do, and the store is left as it was. The tab (worker) and `rlhf-lab import` share this code.
import * as v from 'valibot';
import { strFromU8, unzipSync } from 'fflate';
import { BUNDLE_FORMAT, BUNDLE_VERSION, BundleError, unpackRecord, type Manifest } from './export';
import { readSafetensors, SafetensorsError } from './safetensors';
import { nonFiniteWeights, verifyRecord, type CheckpointRecord } from './record';
import { writeNewRun } from './runs';
import { ExperimentError, parseExperiment } from '../experiment/parse';
import { parsePreferencesJsonl, PreferenceFileError, landscapeLabels, landscapeThumbs, type PreferenceFile } from '../feedback/preferences_io';
import { ANSWERS, type Label } from '../feedback/labelers';
import type { Store } from './store';
import { taskOf } from '../tasks/registry';

export class ImportError extends Error {
  override name = 'ImportError';
}

/** Limits on what is unpacked, so a hostile zip cannot exhaust memory. */
export const MAX_IMPORT_BYTES = 256 * 1024 * 1024;
const MAX_FILES = 512;

const finite = v.pipe(v.number(), v.finite());
const nonNeg = v.pipe(v.number(), v.integer(), v.minValue(0));
const WeightsSchema = v.record(
  v.string(),
  v.strictObject({ shape: v.pipe(v.array(nonNeg), v.maxLength(8)), data: v.instance(Float32Array) }),
);
const Point = v.tuple([finite, finite]);
const numbers = v.pipe(v.array(finite), v.maxLength(100_000));
const SegmentSchema = v.strictObject({ env: v.picklist(['cartpole', 'reacher']), obs: numbers, act: numbers, reward: numbers });
const RecordSchema = v.object({
  schema: v.number(),
  runId: v.pipe(v.string(), v.maxLength(200)),
  experiment: v.unknown(),
  position: v.strictObject({
    round: nonNeg,
    stage: v.picklist(['label', 'reward', 'policy', 'done']),
    stageStep: nonNeg,
    iteration: nonNeg,
  }),
  models: v.record(v.string(), v.object({ weights: WeightsSchema, spec: v.record(v.string(), v.unknown()) })),
  optimizers: v.record(v.string(), v.object({ t: nonNeg, m: WeightsSchema, v: WeightsSchema })),
  rng: v.tuple([finite, finite, finite, finite]),
  labels: v.pipe(
    v.array(
      v.object({
        id: nonNeg,
        prompt: v.optional(v.pipe(v.string(), v.maxLength(10_000))),
        a: v.union([Point, v.pipe(v.string(), v.maxLength(10_000)), SegmentSchema]),
        b: v.union([Point, v.pipe(v.string(), v.maxLength(10_000)), SegmentSchema]),
        answer: v.picklist(ANSWERS),
        margin: v.optional(v.pipe(v.number(), v.finite(), v.minValue(0), v.maxValue(1e6))),
        labeler: v.pipe(v.string(), v.maxLength(200)),
        round: nonNeg,
        time: finite,
      }),
    ),
    v.maxLength(1_000_000),
  ),
  metrics: v.array(v.record(v.string(), v.union([v.number(), v.null()]))),
  backend: v.string(),
  versions: v.object({ lab: v.string(), tfjs: v.string() }),
  createdAt: finite,
  sha256: v.string(),
});

const path = (issue: v.BaseIssue<unknown>) => issue.path?.map((p) => String(p.key)).join('.') ?? '(the record)';

/** Checks a verified, migrated record beyond its hash: shapes match data, the experiment is valid, the models exist. */
function checkRecord(record: unknown): CheckpointRecord {
  const r = v.safeParse(RecordSchema, record);
  if (!r.success) {
    const i = r.issues[0];
    throw new ImportError(`The bundle's checkpoint is malformed at ${path(i)}: expected ${i.expected}, got ${i.received}.`);
  }
  const rec = record as CheckpointRecord;
  try {
    rec.experiment = parseExperiment(rec.experiment);
  } catch (e) {
    throw new ImportError(`The bundle's experiment is not valid: ${(e as ExperimentError).problems?.join('; ') ?? (e as Error).message}`);
  }
  const task = taskOf(rec.experiment.task);
  for (const m of task.models) {
    if (!rec.models[m]) throw new ImportError(`The bundle's checkpoint has no "${m}" model, which a ${rec.experiment.task.kind} run needs.`);
  }
  // Each comparison's sides must be what the task compares (a point within bounds, a completion, a segment).
  rec.labels.forEach((l, i) => {
    for (const side of ['a', 'b'] as const) {
      const r = v.safeParse(task.sample, l[side]);
      if (!r.success) {
        throw new ImportError(`The bundle's label ${i} (id ${l.id}) has a side "${side}" that is not a ${task.name} sample (expected ${r.issues[0].expected}, got ${r.issues[0].received}).`);
      }
    }
  });
  for (const [name, m] of Object.entries(rec.models)) {
    for (const [k, w] of Object.entries(m.weights)) {
      const count = w.shape.reduce((a, b) => a * b, 1);
      if (count !== w.data.length) throw new ImportError(`The bundle's ${name}.${k} has shape [${w.shape}] but ${w.data.length} values.`);
    }
  }
  // The lab never saves weights that are not finite (a diverged run keeps its last finite checkpoint): nor does it take them in.
  const bad = nonFiniteWeights(rec);
  if (bad) throw new ImportError(`The bundle's ${bad.model}.${bad.weight} holds values that are not finite (NaN or ±Infinity), which no checkpoint of the lab has; nothing was imported.`);
  return rec;
}

export interface BundleSummary {
  kind: 'bundle';
  name: string;
  experiment: string;
  task: string;
  lab: string;
  labels: number;
  metrics: number;
  position: CheckpointRecord['position'];
  models: { name: string; parameters: number }[];
  files: string[];
}

export interface ReadBundle {
  record: CheckpointRecord;
  summary: BundleSummary;
}

const isZip = (b: Uint8Array) => b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04;

/** Unpacks and checks an export bundle; throws ImportError saying what is wrong. */
export async function readBundle(bytes: Uint8Array, file = 'the file'): Promise<ReadBundle> {
  if (bytes.length > MAX_IMPORT_BYTES) throw new ImportError(`${file} is larger than ${MAX_IMPORT_BYTES >> 20} MB; the lab imports smaller bundles.`);
  if (!isZip(bytes)) throw new ImportError(`${file} is not a zip file, so not an RLHF Lab export bundle.`);
  let files: Record<string, Uint8Array>;
  try {
    let total = 0;
    let count = 0;
    files = unzipSync(bytes, {
      filter: (f) => {
        total += f.originalSize;
        count += 1;
        if (total > MAX_IMPORT_BYTES || count > MAX_FILES) throw new ImportError(`${file} unpacks to more than ${MAX_IMPORT_BYTES >> 20} MB or ${MAX_FILES} files.`);
        return f.name === 'manifest.json' || f.name.startsWith('checkpoint/') || (f.name.startsWith('models/') && f.name.endsWith('.safetensors'));
      },
    });
  } catch (e) {
    if (e instanceof ImportError) throw e;
    throw new ImportError(`${file} is a damaged zip (${(e as Error).message}); export the run again.`);
  }
  const text = (name: string) => {
    const b = files[name];
    if (!b) throw new ImportError(`${file} has no ${name}: it is not an RLHF Lab export bundle (or it was repacked without it).`);
    try {
      return strFromU8(b);
    } catch {
      throw new ImportError(`${file}: ${name} is not UTF-8 text.`);
    }
  };
  let manifest: Manifest;
  try {
    manifest = JSON.parse(text('manifest.json'));
  } catch (e) {
    if (e instanceof ImportError) throw e;
    throw new ImportError(`${file}: manifest.json is not valid JSON.`);
  }
  if (!manifest || manifest.format !== BUNDLE_FORMAT) throw new ImportError(`${file}: manifest.json does not describe an RLHF Lab bundle.`);
  if (typeof manifest.version !== 'number' || manifest.version > BUNDLE_VERSION) {
    throw new ImportError(`${file} was written by a newer lab (bundle version ${manifest.version}); update the lab to import it.`);
  }
  let raw: unknown;
  try {
    raw = unpackRecord(text('checkpoint/record.json'), files['checkpoint/arrays.bin'] ?? new Uint8Array());
  } catch (e) {
    if (e instanceof ImportError) throw e;
    throw new ImportError(`${file}: the checkpoint cannot be read (${(e as Error).message}).`);
  }
  let record: CheckpointRecord;
  try {
    record = checkRecord(await verifyRecord(raw));
  } catch (e) {
    if (e instanceof ImportError) throw e;
    throw new ImportError(`${file}: ${(e as Error).message}; the bundle was changed after it was exported, so nothing was imported.`);
  }
  // The safetensors files are what other tools read: they must hold the checkpoint's weights exactly.
  for (const [model, m] of Object.entries(record.models)) {
    const st = files[`models/${model}.safetensors`];
    if (!st) continue;
    let tensors;
    try {
      tensors = readSafetensors(st).tensors;
    } catch (e) {
      throw new ImportError(`${file}: models/${model}.safetensors is malformed (${(e as SafetensorsError).message}).`);
    }
    for (const [k, w] of Object.entries(m.weights)) {
      const t = tensors[k];
      if (!t || t.data.length !== w.data.length || t.data.some((x, i) => !Object.is(x, w.data[i]))) {
        throw new ImportError(`${file}: models/${model}.safetensors differs from the checkpoint at ${k}: the bundle was edited.`);
      }
    }
  }
  const summary: BundleSummary = {
    kind: 'bundle',
    name: typeof manifest.name === 'string' && manifest.name.trim() ? manifest.name.slice(0, 80) : record.experiment.name,
    experiment: record.experiment.name,
    task: record.experiment.task.kind,
    lab: record.versions.lab,
    labels: record.labels.length,
    metrics: record.metrics.length,
    position: record.position,
    models: Object.entries(record.models).map(([name, m]) => ({
      name,
      parameters: Object.values(m.weights).reduce((s, w) => s + w.data.length, 0),
    })),
    files: Object.keys(files).sort(),
  };
  return { record, summary };
}

export interface PreferenceSummary {
  kind: 'preferences';
  file: string;
  pairs: number;
  /** Lines in TRL's unpaired layout (thumbs up or down). */
  thumbs: number;
  layout: PreferenceFile['layout'];
  ignoredColumns: string[];
  /** Set when every pair is a landscape point pair (as the lab exports them). */
  landscapeLabels: number | null;
  /** The first few pairs, to show (as text). */
  preview: { prompt: string; chosen: string; rejected: string }[];
  /** The first few thumbs, to show (as text). */
  thumbPreview: { prompt: string; completion: string; label: boolean }[];
}

export interface ReadPreferences {
  file: PreferenceFile;
  labels: Label[] | null;
  summary: PreferenceSummary;
}

export function readPreferences(bytes: Uint8Array, file = 'the file'): ReadPreferences {
  if (bytes.length > MAX_IMPORT_BYTES) throw new ImportError(`${file} is larger than ${MAX_IMPORT_BYTES >> 20} MB; split it.`);
  let content: string;
  try {
    content = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ImportError(`${file} is not UTF-8 text, so not a JSONL preference file.`);
  }
  let parsed: PreferenceFile;
  try {
    parsed = parsePreferencesJsonl(content, file);
  } catch (e) {
    if (e instanceof PreferenceFileError) throw new ImportError(e.message);
    throw e;
  }
  const labels = parsed.thumbs.length ? landscapeThumbs(parsed.thumbs) : landscapeLabels(parsed.preferences);
  const clip = (s: string) => (s.length > 300 ? `${s.slice(0, 300)}…` : s);
  return {
    file: parsed,
    labels,
    summary: {
      kind: 'preferences',
      file,
      pairs: parsed.preferences.length,
      thumbs: parsed.thumbs.length,
      layout: parsed.layout,
      ignoredColumns: parsed.ignoredColumns,
      landscapeLabels: labels ? labels.length : null,
      preview: parsed.preferences.slice(0, 5).map((p) => ({ prompt: clip(p.prompt), chosen: clip(p.chosen), rejected: clip(p.rejected) })),
      thumbPreview: parsed.thumbs.slice(0, 5).map((t) => ({ prompt: clip(t.prompt), completion: clip(t.completion), label: t.label })),
    },
  };
}

/** Reads either kind of file, told apart by its first bytes (a zip starts with "PK"). */
export async function readImport(bytes: Uint8Array, file = 'the file'): Promise<ReadBundle | ReadPreferences> {
  return isZip(bytes) ? readBundle(bytes, file) : readPreferences(bytes, file);
}

/** Imports a bundle as a new run in the store (nothing is written unless the whole bundle checks out). */
export async function importBundle(store: Store, bytes: Uint8Array, file = 'the file', now = Date.now()): Promise<{ runId: string; summary: BundleSummary }> {
  const { record, summary } = await readBundle(bytes, file);
  const runId = await writeNewRun(store, record, `${summary.name} (imported)`.slice(0, 80), now);
  return { runId, summary };
}

export { BundleError };
