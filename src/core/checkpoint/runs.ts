// The runs a store holds, and what the runs page does with them: list, rename, duplicate, delete, and named
// snapshots (kept outside the rotation of the last KEEP checkpoints until the user deletes them).
// Every write that must land together is one setMany, so a closed tab never leaves a run half renamed or copied.
import { KEY_PREFIX, keys, type Store } from './store';
import { changesFromPreset, type ParamChange } from '../experiment/presets';
import { labelCounts } from '../feedback/labelers';
import {
  IntegrityError,
  hashRecord,
  isPointer,
  loadCheckpoint,
  saveCheckpoint,
  verifyRecord,
  type CheckpointRecord,
  type LatestPointer,
  type MetricRow,
  type Position,
} from './record';

export interface SnapshotInfo {
  n: number;
  name: string;
  createdAt: number;
  position: Position;
}

export interface RunInfo {
  runId: string;
  /** The user's name for the run (starts as the experiment's name). */
  name: string;
  experimentName: string;
  updatedAt: number;
  position: Position | null;
  labels: number;
  /**
   * The last row of the RL curve, for the list's figures: the over-optimization lab's best-of-n rows (`overopt/bon`
   * = 1), which come after training, are not the run's policy and are left out.
   */
  last: MetricRow | null;
  /** Where its experiment differs from the preset of its name (`path`, run's value, preset's); null: not a preset. */
  changes: ParamChange[] | null;
  /** Its experiment, to compare two runs' parameters (null where the run is damaged). */
  experiment: CheckpointRecord['experiment'] | null;
  checkpoints: number;
  snapshots: SnapshotInfo[];
  /** Why the run cannot be opened, where its stored entries are damaged (it can still be deleted). */
  damaged?: string;
}

/** A named snapshot as stored: the record as it was when the user named it. */
export interface SnapshotEntry {
  n: number;
  name: string;
  createdAt: number;
  record: CheckpointRecord;
}

const RUN_PREFIX = `${KEY_PREFIX}run:`;
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export class RunError extends Error {
  override name = 'RunError';
}

/** A fresh run id from a name: readable, and unique even for two made in the same millisecond. */
export function newRunId(name: string, now = Date.now()): string {
  const slug = name.replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, 40) || 'run';
  return `${slug}-${now.toString(36)}${Math.floor(Math.random() * 36 ** 3).toString(36).padStart(3, '0')}`;
}

export function validRunName(name: string): string {
  const t = name.trim();
  if (!t) throw new RunError('A run needs a name: type at least one character.');
  if (t.length > 80) throw new RunError(`A run name is at most 80 characters (this one has ${t.length}).`);
  return t;
}

async function runKeys(store: Store, runId: string): Promise<string[]> {
  const own = new RegExp(`^${escape(RUN_PREFIX + runId)}:(latest|ckpt:\\d+|snap:\\d+)$`);
  return (await store.keys()).filter((k) => own.test(k));
}

async function snapshotEntries(store: Store, runId: string): Promise<SnapshotEntry[]> {
  const own = new RegExp(`^${escape(RUN_PREFIX + runId)}:snap:\\d+$`);
  const found = (await store.keys()).filter((k) => own.test(k));
  const out: SnapshotEntry[] = [];
  for (const k of found) {
    const e = (await store.get(k)) as SnapshotEntry | undefined;
    if (e && typeof e.name === 'string' && e.record) out.push(e);
  }
  return out.sort((a, b) => a.n - b.n);
}

/** The list must show even a run whose stored experiment is odd (an old schema): no changes then, not an error. */
function safeChanges(e: CheckpointRecord['experiment']): ParamChange[] | null {
  try {
    return changesFromPreset(e);
  } catch {
    return null;
  }
}

/** Every run in the store, newest first. Reads the newest record of each without verifying it (the list only). */
export async function listRuns(store: Store): Promise<RunInfo[]> {
  const ids = (await store.keys())
    .filter((k) => k.startsWith(RUN_PREFIX) && k.endsWith(':latest'))
    .map((k) => k.slice(RUN_PREFIX.length, -':latest'.length));
  const runs: RunInfo[] = [];
  for (const runId of ids) {
    const pointer = await store.get(keys.latest(runId));
    if (pointer === undefined) continue;
    const damaged = (why: string): RunInfo => ({ runId, name: runId, experimentName: '', updatedAt: 0, position: null, labels: 0, last: null, changes: null, experiment: null, checkpoints: 0, snapshots: [], damaged: why });
    if (!isPointer(pointer)) {
      runs.push(damaged('its list of checkpoints is damaged'));
      continue;
    }
    const newest = (await store.get(keys.checkpoint(runId, pointer.n))) as CheckpointRecord | undefined;
    if (!newest || typeof newest !== 'object') {
      runs.push({ ...damaged(`its newest checkpoint (#${pointer.n}) is missing`), name: pointer.name, updatedAt: pointer.updatedAt });
      continue;
    }
    const snaps = await snapshotEntries(store, runId);
    runs.push({
      runId,
      name: pointer.name,
      experimentName: newest?.experiment?.name ?? pointer.name,
      updatedAt: pointer.updatedAt,
      position: newest?.position ?? null,
      labels: Array.isArray(newest?.labels) ? labelCounts(newest.labels).decided : 0,
      last: Array.isArray(newest?.metrics) ? ([...newest.metrics].reverse().find((r) => r['overopt/bon'] !== 1) ?? null) : null,
      changes: newest?.experiment ? safeChanges(newest.experiment) : null,
      experiment: newest?.experiment ?? null,
      checkpoints: pointer.kept.length,
      snapshots: snaps.map(({ n, name, createdAt, record }) => ({ n, name, createdAt, position: record.position })),
    });
  }
  return runs.sort((a, b) => b.updatedAt - a.updatedAt);
}

async function pointerOf(store: Store, runId: string): Promise<LatestPointer> {
  const pointer = await store.get(keys.latest(runId));
  if (pointer === undefined) throw new RunError(`There is no run "${runId}" in this browser's storage (was it deleted in another tab?).`);
  if (!isPointer(pointer)) throw new RunError(`The run "${runId}" is damaged (its list of checkpoints cannot be read); it can only be deleted.`);
  return pointer;
}

export async function renameRun(store: Store, runId: string, name: string): Promise<void> {
  const pointer = await pointerOf(store, runId);
  await store.setMany([[keys.latest(runId), { ...pointer, name: validRunName(name) }]]);
}

/**
 * Writes `record` as checkpoint #0 of a new run named `name` (the record gets the new run id and a new hash),
 * without touching the run the tab has open. Used by duplicate and import.
 */
export async function writeNewRun(store: Store, record: CheckpointRecord, name: string, now = Date.now()): Promise<string> {
  const runId = newRunId(record.experiment.name, now);
  const { sha256: _old, ...rest } = record;
  const copy = { ...rest, runId };
  const full: CheckpointRecord = { ...copy, sha256: await hashRecord(copy) };
  const pointer: LatestPointer = { n: 0, kept: [0], name: validRunName(name), updatedAt: now };
  await store.setMany([
    [keys.checkpoint(runId, 0), full],
    [keys.latest(runId), pointer],
  ]);
  return runId;
}

/** A copy of a run's newest good checkpoint as a new run ("<name> (copy)"); returns the new id. */
export async function duplicateRun(store: Store, runId: string, name?: string): Promise<string> {
  const pointer = await pointerOf(store, runId);
  const loaded = await loadCheckpoint(store, runId);
  if (!loaded) throw new RunError(`Run "${pointer.name}" has no checkpoint to copy.`);
  return writeNewRun(store, loaded.record, name ?? `${pointer.name} (copy)`.slice(0, 80));
}

/** Removes a run: its checkpoints, snapshots and pointer (one delMany); forgets it as the last run if it was. */
export async function deleteRun(store: Store, runId: string): Promise<void> {
  const ks = await runKeys(store, runId);
  if ((await store.get(keys.lastRun)) === runId) ks.push(keys.lastRun);
  if (ks.length) await store.delMany(ks);
}

/** Names the run's newest good checkpoint; the snapshot stays until deleted. */
export async function saveSnapshot(store: Store, runId: string, name: string, now = Date.now()): Promise<SnapshotInfo> {
  const label = validRunName(name);
  const loaded = await loadCheckpoint(store, runId);
  if (!loaded) throw new RunError('This run has no checkpoint yet to keep as a snapshot.');
  const existing = await snapshotEntries(store, runId);
  const n = existing.length ? existing[existing.length - 1].n + 1 : 0;
  const entry: SnapshotEntry = { n, name: label, createdAt: now, record: loaded.record };
  await store.setMany([[keys.snapshot(runId, n), entry]]);
  return { n, name: label, createdAt: now, position: loaded.record.position };
}

export async function deleteSnapshot(store: Store, runId: string, n: number): Promise<void> {
  await store.delMany([keys.snapshot(runId, n)]);
}

/**
 * Rolls a run back to a snapshot: the snapshot's record (verified) becomes the run's newest checkpoint, so the
 * checkpoints written since stay in the rotation until newer ones push them out.
 */
export async function restoreSnapshot(store: Store, runId: string, n: number, now = Date.now()): Promise<void> {
  const entry = (await store.get(keys.snapshot(runId, n))) as SnapshotEntry | undefined;
  if (!entry) throw new RunError(`Snapshot #${n} of this run no longer exists.`);
  let record: CheckpointRecord;
  try {
    record = await verifyRecord(entry.record);
  } catch (e) {
    throw new IntegrityError(`Snapshot "${entry.name}" cannot be restored: ${(e as Error).message}.`);
  }
  const { sha256: _h, ...rest } = record;
  await saveCheckpoint(store, { ...rest, runId, createdAt: now });
}

/** The metrics of a run's newest good checkpoint (the runs page's overlay chart). */
export async function runMetrics(store: Store, runId: string): Promise<MetricRow[]> {
  const loaded = await loadCheckpoint(store, runId);
  return loaded?.record.metrics ?? [];
}

/**
 * Two runs' rows on one step axis for the runs page's overlay, keys prefixed "A:" and "B:". Only the RL curves: the
 * best-of-n rows an over-optimization run adds after training carry its last step and overwrote it (the curve
 * dropped vertically there).
 */
export function overlayRows(a: readonly MetricRow[], b: readonly MetricRow[]): MetricRow[] {
  const byStep = new Map<number, MetricRow>();
  for (const [tag, rows] of [['A', a], ['B', b]] as const) {
    for (const r of rows) {
      if (r['overopt/bon'] === 1) continue;
      const row = byStep.get(r.step) ?? { step: r.step };
      for (const [k, v] of Object.entries(r)) if (k !== 'step') row[`${tag}:${k}`] = v;
      byStep.set(r.step, row);
    }
  }
  return [...byStep.values()].sort((x, y) => x.step - y.step);
}
