// A checkpoint is one record holding everything needed to resume a run (nanoGPT's "one dict"): the experiment,
// where the run stood, every model's weights, optimizer state, generator state, labels and metrics.
// A record and its run's `latest` pointer are written in one atomic setMany; a read verifies the record's
// SHA-256 and falls back to the previous kept checkpoint when it does not match.
import type { Experiment } from '../experiment/parse';
import type { Label } from '../feedback/labelers';
import type { AdamState } from '../optim';
import { readWeights, type Params, type Weights } from '../models/params';
import type { RngState } from '../rng';
import { keys, type Store } from './store';
import { migrate, type RawRecord } from './migrations';
import { tf } from '../tf';
import pkg from '../../../package.json';

/** The record schema this code writes; older records are migrated on read (migrations.ts). */
export const SCHEMA = 3;
/** How many checkpoints of a run are kept (older ones are deleted after a successful write). */
export const KEEP = 3;

export type Stage = 'label' | 'reward' | 'policy' | 'done';
export type MetricRow = Record<string, number>;

export interface Position {
  round: number;
  stage: Stage;
  /** Steps done within the stage (labels asked, reward-model steps, or policy iterations). */
  stageStep: number;
  /** Policy iterations done over the whole run: the `step` of metrics rows. */
  iteration: number;
}

export interface CheckpointRecord {
  schema: number;
  runId: string;
  experiment: Experiment;
  position: Position;
  models: Record<string, { weights: Weights; spec: Record<string, unknown> }>;
  optimizers: Record<string, AdamState>;
  rng: RngState;
  labels: Label[];
  metrics: MetricRow[];
  backend: string;
  /** Which lab and tfjs wrote the record (schema 2). */
  versions: Versions;
  createdAt: number;
  sha256: string;
}

export interface Versions {
  lab: string;
  tfjs: string;
}

/** The versions of this build, stamped on every record it writes. */
export function currentVersions(): Versions {
  return { lab: pkg.version, tfjs: tf.version.tfjs };
}

export interface LatestPointer {
  n: number;
  kept: number[];
  name: string;
  updatedAt: number;
}

/** Bytes that identify a record: its JSON with typed arrays replaced by indices, then the arrays' raw bytes. */
function canonicalBytes(value: unknown): Uint8Array {
  const arrays: Uint8Array[] = [];
  const json = JSON.stringify(value, (_k, v) => {
    if (ArrayBuffer.isView(v)) {
      const view = v as Float32Array;
      arrays.push(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
      return { $bytes: arrays.length - 1 };
    }
    return v;
  });
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(head.length + arrays.reduce((s, a) => s + a.length, 0));
  out.set(head, 0);
  let o = head.length;
  for (const a of arrays) {
    out.set(a, o);
    o += a.length;
  }
  return out;
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

export async function hashRecord(record: Omit<CheckpointRecord, 'sha256'> & { sha256?: string }): Promise<string> {
  const { sha256: _ignored, ...rest } = record;
  return sha256Hex(canonicalBytes(rest));
}

export async function saveCheckpoint(
  store: Store,
  record: Omit<CheckpointRecord, 'sha256'>,
): Promise<CheckpointRecord> {
  const full: CheckpointRecord = { ...record, sha256: await hashRecord(record) };
  const stored = await store.get(keys.latest(record.runId));
  // A damaged pointer is replaced by this checkpoint's: the run goes on from it.
  const prev = isPointer(stored) ? stored : undefined;
  const n = prev ? prev.n + 1 : 0;
  const kept = [...(prev?.kept ?? []), n].slice(-KEEP);
  // The name is the user's (runs page rename); a run starts with its experiment's name.
  const pointer: LatestPointer = { n, kept, name: prev?.name ?? record.experiment.name, updatedAt: record.createdAt };
  await store.setMany([
    [keys.checkpoint(record.runId, n), full],
    [keys.latest(record.runId), pointer],
    [keys.lastRun, record.runId],
  ]);
  const dropped = (prev?.kept ?? []).filter((k) => !kept.includes(k));
  if (dropped.length) await store.delMany(dropped.map((k) => keys.checkpoint(record.runId, k)));
  return full;
}

export class IntegrityError extends Error {
  override name = 'IntegrityError';
}

/**
 * A stored record made ready to use: its SHA-256 verified as stored, then migrated to SCHEMA (and re-hashed, so the
 * result verifies as a record of this schema). Throws IntegrityError or SchemaError (migrations.ts) with the reason.
 */
export async function verifyRecord(stored: unknown): Promise<CheckpointRecord> {
  if (!stored || typeof stored !== 'object' || typeof (stored as RawRecord).schema !== 'number') {
    throw new IntegrityError('the checkpoint is missing or is not a checkpoint record');
  }
  const raw = stored as RawRecord & { sha256?: unknown };
  const hash = await hashRecord(raw as unknown as CheckpointRecord).catch(() => '');
  if (raw.sha256 !== hash) throw new IntegrityError('the checkpoint does not match its SHA-256 (it was changed or damaged)');
  if (raw.schema === SCHEMA) return raw as unknown as CheckpointRecord;
  const up = migrate(raw, SCHEMA) as unknown as Omit<CheckpointRecord, 'sha256'>;
  return { ...up, sha256: await hashRecord(up) };
}

export interface Loaded {
  record: CheckpointRecord;
  /** Set when the newest checkpoint was unreadable and an older one was loaded instead. */
  notice?: string;
}

/** A stored `latest` pointer as it must be: anything else (edited, half-written by other code) is damaged. */
export function isPointer(v: unknown): v is LatestPointer {
  const p = v as LatestPointer;
  return (
    !!p && typeof p === 'object' && Number.isInteger(p.n) && Array.isArray(p.kept) && p.kept.every(Number.isInteger) &&
    typeof p.name === 'string' && typeof p.updatedAt === 'number'
  );
}

/** The newest checkpoint of a run that verifies (older schemas migrated), or null when the run has none. */
export async function loadCheckpoint(store: Store, runId: string): Promise<Loaded | null> {
  const pointer = await store.get(keys.latest(runId));
  if (pointer === undefined) return null;
  if (!isPointer(pointer)) {
    throw new IntegrityError(`The run ${runId} cannot be opened: its list of checkpoints is damaged (${JSON.stringify(pointer)?.slice(0, 80)}); delete it from the Runs page.`);
  }
  const bad: number[] = [];
  const reasons: string[] = [];
  for (const n of [...pointer.kept].reverse()) {
    try {
      const record = await verifyRecord(await store.get(keys.checkpoint(runId, n)));
      const notice = bad.length
        ? `The newest checkpoint of this run (#${bad[0]}) could not be used (${reasons[0]}); ` +
          `the run was restored from checkpoint #${n}.`
        : undefined;
      return { record, notice };
    } catch (e) {
      bad.push(n);
      reasons.push((e as Error).message);
    }
  }
  throw new Error(
    `Every kept checkpoint of run ${runId} (#${pointer.kept.join(', #')}) failed its integrity check ` +
      `(${[...new Set(reasons)].join('; ')}); nothing was loaded.`,
  );
}

/** The last finite value of a metric in the rows, or null where it has none. */
export function lastMetric(rows: readonly MetricRow[], key: string): number | null {
  for (let i = rows.length - 1; i >= 0; i--) {
    const v = rows[i][key];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return null;
}

/** A run's models and optimizers read back as a record holds them (weights as arrays, specs as plain copies). */
export async function readModels(
  models: Record<string, { params: Params; spec: Record<string, unknown> }>,
  optimizers: Record<string, { state(): Promise<AdamState> }>,
): Promise<Pick<CheckpointRecord, 'models' | 'optimizers'>> {
  const out: CheckpointRecord['models'] = {};
  for (const [name, m] of Object.entries(models)) out[name] = { weights: await readWeights(m.params), spec: structuredClone(m.spec) };
  const states: Record<string, AdamState> = {};
  for (const [name, o] of Object.entries(optimizers)) states[name] = await o.state();
  return { models: out, optimizers: states };
}

/** A record's models as the weights, specs and optimizer states a task's lab restores from. */
export function modelStates(record: CheckpointRecord): {
  weights: Record<string, Weights>;
  specs: Record<string, Record<string, unknown>>;
  optimizers?: Record<string, AdamState>;
} {
  const weights: Record<string, Weights> = {};
  const specs: Record<string, Record<string, unknown>> = {};
  for (const [k, m] of Object.entries(record.models)) {
    weights[k] = m.weights;
    specs[k] = m.spec;
  }
  return { weights, specs, optimizers: record.optimizers };
}

/** The first model weight of a record that holds a value that is not finite (NaN, ±Infinity), or null. */
export function nonFiniteWeights(record: Pick<CheckpointRecord, 'models'>): { model: string; weight: string } | null {
  for (const [model, m] of Object.entries(record.models)) {
    for (const [weight, t] of Object.entries(m.weights)) if (!t.data.every(Number.isFinite)) return { model, weight };
  }
  return null;
}
