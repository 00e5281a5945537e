// The lab's worker: owns TensorFlow.js, the runner and IndexedDB; the page talks to it through comlink.
// `const api = {...}; export type LabApi = typeof api; expose(api)` (Squoosh's pattern): the UI imports the type only.
import { expose } from 'comlink';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { tf } from '../core/tf';
import { useLabWebgpuDevice } from '../core/kernels';
import { chooseWasmThreads, startWasmThreads } from './wasm_threads';
import { parseBackendName, selectBackend, type BackendChoice } from '../core/backend';
import { PRESETS } from '../core/experiment/presets';
import { parseExperiment, type Experiment } from '../core/experiment/parse';
import { DivergenceError, Runner, type Assets, type PendingPair, type RunStatus, type Visuals } from '../core/runner';
import { keys } from '../core/checkpoint/store';
import type { MetricRow, Position } from '../core/checkpoint/record';
import type { Answer, Label } from '../core/feedback/labelers';
import { IdbStore, writes } from './idb_store';
import { redteamApi } from './redteam_api';
import { classroomApi } from './classroom_api';
import * as runs from '../core/checkpoint/runs';
import { loadCheckpoint } from '../core/checkpoint/record';
import { exportBundle, bundleFileName } from '../core/checkpoint/export';
import { readImport, type BundleSummary, type PreferenceSummary } from '../core/checkpoint/import';
import { writeNewRun } from '../core/checkpoint/runs';

useLabWebgpuDevice(WebGPUBackend as never); // more parameters per in-place Adam dispatch

export type { AttackSummary, ProbeResult } from './redteam_api';

/** What the page is sent: the whole state the first time, then what changed (new rows and labels are appended). */
export interface LabUpdate {
  runId: string;
  experiment: Experiment;
  status: RunStatus;
  position: Position;
  pendingPair: PendingPair | null;
  /** Rows after the first `metricsFrom` ones the page already has. */
  metricsFrom: number;
  metrics: MetricRow[];
  labelsFrom: number;
  labels: Label[];
  visuals: Visuals;
  lastCheckpointAt: number;
  error: string | null;
  notices: string[];
}

export interface InitResult {
  backend: BackendChoice;
  /** Set when ?backend= named no backend; the lab then picked one itself. */
  backendError: string | null;
  presets: Experiment[];
  /** The run the tab had open before a reload, restored paused. */
  restored: LabUpdate | null;
  /** What the tab should say when it could not restore that run, and why (there is no run to carry it). */
  notices: string[];
}

/** The lab's shipped files (the text task's base model and lexicon), fetched from where the page is served. */
const assets: Assets = async (path) => {
  const url = new URL(`${import.meta.env.BASE_URL}${path}`, self.location.origin);
  const res = await fetch(url);
  if (!res.ok) {
    throw new Error(`the lab's file ${url.pathname} could not be loaded (HTTP ${res.status}); reload the page, or check that the lab is served whole`);
  }
  return new Uint8Array(await res.arrayBuffer());
};

/** At most this many updates per second reach the page. */
const UPDATES_PER_SECOND = 10;

const store = new IdbStore();
(self as unknown as { labStoreWrites: typeof writes }).labStoreWrites = writes;
let runner: Runner | null = null;
let listener: ((u: LabUpdate) => void) | null = null;
let sentMetrics = 0;
let sentLabels = 0;
let notices: string[] = [];
let flushTimer: ReturnType<typeof setTimeout> | null = null;
let lastFlush = 0;

async function fullUpdate(r: Runner, from = { metrics: 0, labels: 0 }): Promise<LabUpdate> {
  const update: LabUpdate = {
    runId: r.runId,
    experiment: r.experiment,
    status: r.status,
    position: { ...r.position },
    pendingPair: r.pendingPair,
    metricsFrom: from.metrics,
    metrics: r.metrics.slice(from.metrics),
    labelsFrom: from.labels,
    labels: r.labels.slice(from.labels),
    visuals: await r.visuals(),
    lastCheckpointAt: r.lastCheckpointAt,
    error: r.error,
    notices,
  };
  notices = [];
  return update;
}

let flushing = false;

async function flush(): Promise<void> {
  flushTimer = null;
  const r = runner;
  if (!r || !listener) return;
  flushing = true;
  lastFlush = performance.now();
  try {
    const update = await fullUpdate(r, { metrics: sentMetrics, labels: sentLabels });
    sentMetrics = update.metricsFrom + update.metrics.length;
    sentLabels = update.labelsFrom + update.labels.length;
    if (r === runner) listener?.(update);
  } finally {
    flushing = false;
  }
}

function scheduleFlush(): void {
  if (flushTimer !== null) return;
  if (flushing) {
    // One update at a time, so the rows they carry arrive in order.
    flushTimer = setTimeout(() => {
      flushTimer = null;
      scheduleFlush();
    }, 1000 / UPDATES_PER_SECOND);
    return;
  }
  const wait = Math.max(0, 1000 / UPDATES_PER_SECOND - (performance.now() - lastFlush));
  flushTimer = setTimeout(() => void flush(), wait);
}

function attach(r: Runner): void {
  runner = r;
  sentMetrics = 0;
  sentLabels = 0;
}

function hooks() {
  return {
    onProgress: scheduleFlush,
    onNotice: (m: string) => {
      notices.push(m);
      scheduleFlush();
    },
    onLog: (line: string) => console.info(`[lab] ${line}`),
  };
}

function drive(r: Runner): void {
  r.run().catch(async (e) => {
    console.error(e);
    if (e instanceof DivergenceError && r === runner) await reopenFinite(r, e);
    scheduleFlush();
  });
}

/**
 * Nothing of a diverged run was saved after its last finite checkpoint, so that checkpoint is the newest stored: the
 * run is reopened there, paused, and its charts, samples and export are those of finite weights again.
 */
async function reopenFinite(r: Runner, e: DivergenceError): Promise<void> {
  try {
    await closeRunner(false);
    const found = await Runner.restore(store, r.runId, { backend: tf.getBackend(), assets, hooks: hooks() });
    if (!found) throw new Error('the run has no stored checkpoint');
    attach(found.runner);
    const p = found.runner.position;
    notices.push(
      `${e.message} The run is back at that checkpoint (round ${p.round + 1}, ${p.stage} stage, step ${p.iteration}), paused; ` +
        'resuming repeats the same settings, so to go on with a lower rate set it under Parameters and start a new run.',
    );
  } catch (err) {
    notices.push(`${e.message} Its last finite checkpoint could not be reopened (${(err as Error).message}); reload the page to try again.`);
  }
}

/** A lost GPU (driver reset, tab in the background too long) ends training; what is stored stays as it was. */
function watchDeviceLoss(): void {
  const device = (tf.backend() as unknown as { device?: GPUDevice }).device;
  void device?.lost.then((info) => {
    runner?.stop();
    notices.push(
      `The GPU was lost (${info.message || info.reason}), so training stopped. Your run is saved up to its last ` +
        'checkpoint: reload the page to continue it, on the GPU if it is back or on another backend.',
    );
    scheduleFlush();
  });
}

/** Stops the open run (saving where it stood when `save`) and lets it go; the tab then has no run. */
async function closeRunner(save: boolean): Promise<void> {
  const r = runner;
  if (!r) return;
  runner = null;
  if (save && r.active) {
    r.stop(); // run() saves a checkpoint as it halts
    for (let waited = 0; r.active && waited < 10_000; waited += 20) await new Promise((res) => setTimeout(res, 20));
  }
  r.stop();
  r.dispose();
}

const api = {
  /** Starts the backend (`?backend=` first if given) and restores the run the tab had open. */
  async init(requestedBackend: string | null, onUpdate: (u: LabUpdate) => void, requestedThreads: string | null = null): Promise<InitResult> {
    listener = onUpdate;
    let backendError: string | null = null;
    let requested = null;
    if (requestedBackend) {
      try {
        requested = parseBackendName(requestedBackend);
      } catch (e) {
        backendError = `${(e as Error).message} The lab picked a backend itself.`;
      }
    }
    let threadsWanted = 1;
    try {
      threadsWanted = chooseWasmThreads(requestedThreads); // before the wasm backend starts
    } catch (e) {
      backendError = [backendError, (e as Error).message].filter(Boolean).join(' ');
    }
    const backend = await selectBackend(requested);
    if (backend.name === 'wasm') {
      try {
        backend.threads = await startWasmThreads(threadsWanted);
      } catch (e) {
        backend.threads = 1;
        backendError = [backendError, `The lab's kernel threads did not start (${(e as Error).message}); training runs on one thread.`].filter(Boolean).join(' ');
      }
    }
    if (backend.name === 'webgpu') {
      tf.env().set('WEBGPU_CPU_FORWARD', false);
      watchDeviceLoss();
    }
    let restored: LabUpdate | null = null;
    const lastRun = (await store.get(keys.lastRun)) as string | undefined;
    if (lastRun) {
      try {
        const found = await Runner.restore(store, lastRun, { backend: backend.name, assets, hooks: hooks() });
        if (found) {
          attach(found.runner);
          if (found.notice) notices.push(found.notice);
          restored = await fullUpdate(found.runner);
          sentMetrics = restored.metrics.length;
          sentLabels = restored.labels.length;
        }
      } catch (e) {
        notices.push(`The last run could not be restored: ${(e as Error).message}`);
      }
    }
    const unsent = notices;
    notices = [];
    return { backend, backendError, presets: PRESETS, restored, notices: unsent };
  },

  /**
   * Validates the experiment and starts a new run (the previous run stays saved); its state arrives as updates.
   * `labels` (from a share link or an imported preference file) join the first round's comparisons.
   */
  async start(input: unknown, labels: Label[] = []): Promise<string> {
    const experiment = parseExperiment(input);
    if (runner) {
      runner.stop();
      runner.dispose();
    }
    const runId = `${experiment.name}-${Date.now().toString(36)}`;
    const r = await Runner.create(experiment, { store, runId, backend: tf.getBackend(), assets, hooks: hooks() });
    r.labels.push(...labels.map((l, id) => ({ ...l, id, round: 0 })));
    attach(r);
    await r.checkpoint();
    drive(r);
    return runId;
  },

  /** The page lost track of the rows (an update arrived out of order): send everything again. */
  resync(): void {
    sentMetrics = 0;
    sentLabels = 0;
    scheduleFlush();
  },

  pause(): void {
    runner?.pause();
  },

  /** Continues a paused run, or a run restored after a reload. */
  resume(): void {
    const r = runner;
    if (!r) return;
    if (r.active) r.resume();
    else drive(r);
  },

  stop(): void {
    runner?.stop();
  },

  submitLabel(answer: Answer, margin?: number): boolean {
    return runner?.submitLabel(answer, margin) ?? false;
  },

  finishLabeling(): boolean {
    return runner?.finishLabeling() ?? false;
  },

  ...redteamApi({ runner: () => runner, changed: scheduleFlush }),

  // ---- runs page: list, open, rename, duplicate, delete, snapshots, export, import, storage -------------------

  listRuns: () => runs.listRuns(store),
  runMetrics: (runId: string) => runs.runMetrics(store, runId),
  renameRun: (runId: string, name: string) => runs.renameRun(store, runId, name),
  duplicateRun: (runId: string) => runs.duplicateRun(store, runId),
  saveSnapshot: (runId: string, name: string) => runs.saveSnapshot(store, runId, name),
  deleteSnapshot: (runId: string, n: number) => runs.deleteSnapshot(store, runId, n),

  /** Opens a stored run in the tab, paused, in place of the current one (which stays saved). */
  async openRun(runId: string): Promise<LabUpdate> {
    if (runner?.runId === runId) return fullUpdate(runner);
    await closeRunner(true);
    const found = await Runner.restore(store, runId, { backend: tf.getBackend(), assets, hooks: hooks() });
    if (!found) throw new Error('This run has no checkpoint any more (was it deleted in another tab?).');
    attach(found.runner);
    await store.setMany([[keys.lastRun, runId]]);
    if (found.notice) notices.push(found.notice);
    const u = await fullUpdate(found.runner);
    sentMetrics = u.metrics.length;
    sentLabels = u.labels.length;
    return u;
  },

  /** Deletes a run; true when it was the one open (the tab then has no run). */
  async deleteRun(runId: string): Promise<boolean> {
    const open = runner?.runId === runId;
    if (open) await closeRunner(false);
    await runs.deleteRun(store, runId);
    return open;
  },

  /** Rolls a run back to a named snapshot; an open run is reopened there, paused. */
  async restoreSnapshot(runId: string, n: number): Promise<LabUpdate | null> {
    const open = runner?.runId === runId;
    if (open) await closeRunner(false);
    await runs.restoreSnapshot(store, runId, n);
    return open ? api.openRun(runId) : null;
  },

  /** The export zip of a run (the open one is saved first when it is not training), built here, not in the page. */
  async exportRun(runId: string): Promise<{ fileName: string; bytes: Uint8Array }> {
    if (runner?.runId === runId && !runner.active) await runner.checkpoint();
    const loaded = await loadCheckpoint(store, runId);
    if (!loaded) throw new Error('This run has no checkpoint to export yet.');
    const name = ((await runs.listRuns(store)).find((r) => r.runId === runId)?.name ?? loaded.record.experiment.name);
    return { fileName: bundleFileName(name), bytes: await exportBundle(loaded.record, name) };
  },

  /**
   * Checks a file the user chose. A bundle becomes a new run; a preference file changes nothing stored and comes back
   * with its labels (landscape points) for the next run. A bad file throws an ImportError that says why.
   */
  async importFile(
    fileName: string,
    bytes: Uint8Array,
  ): Promise<{ kind: 'bundle'; runId: string; summary: BundleSummary } | { kind: 'preferences'; summary: PreferenceSummary; labels: Label[] | null }> {
    const read = await readImport(bytes, fileName);
    if ('record' in read) {
      const runId = await writeNewRun(store, read.record, `${read.summary.name} (imported)`.slice(0, 80));
      return { kind: 'bundle', runId, summary: read.summary };
    }
    return { kind: 'preferences', summary: read.summary, labels: read.labels };
  },

  // ---- the arena, a class's files and lessons (classroom_api.ts) ---------------------------------------------
  ...classroomApi(store, assets),

  /** Bytes used and available to this origin (navigator.storage.estimate), and whether storage is persistent. */
  async storage(): Promise<{ usage: number; quota: number; persisted: boolean | null }> {
    const s = self.navigator.storage as StorageManager | undefined; // absent in some browsers' workers
    if (!s?.estimate) return { usage: 0, quota: 0, persisted: null };
    const { usage = 0, quota = 0 } = await s.estimate();
    return { usage, quota, persisted: s.persisted ? await s.persisted() : null };
  },
};

export type LabApi = typeof api;
expose(api);
