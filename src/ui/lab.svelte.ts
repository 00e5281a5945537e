// The page's view of the lab: state mirrored from the worker, and the calls the UI makes.
// The UI never imports tfjs; it talks to the worker through this class only.
import { proxy, wrap, type Remote } from 'comlink';
import type { InitResult, LabApi, LabUpdate } from '../worker/lab.worker';
import type { BackendChoice } from '../core/backend_names';
import { ExperimentError, applyOverrides, parseExperimentJson, type Experiment } from '../core/experiment/parse';
import type { PendingPair, RunStatus, Visuals } from '../core/runner';
import type { MetricRow, Position } from '../core/checkpoint/record';
import type { Answer, Label } from '../core/feedback/labelers';
import { StageProgress, stageTotal } from '../core/progress';
import { algorithmOf } from '../core/algos/registry';

export class Lab {
  ready = $state(false);
  /** The worker or the backend failed to start: nothing can run. */
  fatal = $state<string | null>(null);
  backend = $state.raw<BackendChoice | null>(null);
  backendError = $state<string | null>(null);
  presets = $state.raw<Experiment[]>([]);
  selected = $state('landscape-hello');

  runId = $state<string | null>(null);
  experiment = $state.raw<Experiment | null>(null);
  status = $state<RunStatus | 'none'>('none');
  position = $state.raw<Position | null>(null);
  pendingPair = $state.raw<PendingPair | null>(null);
  metrics = $state.raw<MetricRow[]>([]);
  labels = $state.raw<Label[]>([]);
  visuals = $state.raw<Visuals | null>(null);
  /** A new run is being set up (the text task loads its base model and samples first). */
  starting = $state(false);
  lastCheckpointAt = $state(0);
  error = $state<string | null>(null);
  notices = $state<string[]>([]);
  restored = $state(false);
  /** The current stage's pace, fed by every update (the status line reads its estimate once a second). */
  readonly progress = new StageProgress();

  private api: Remote<LabApi> | null = null;
  /** The worker, for the runs page, export, import and share links (src/ui/runs, src/ui/share). */
  get remote(): Remote<LabApi> | null {
    return this.api;
  }

  /** Parameter changes from the Parameters panel, as `--set` paths and values, applied when a run starts. */
  edits = $state.raw<Record<string, number>>({});
  /** Labels the next run starts with (from a share link or an imported preference file). */
  startLabels = $state.raw<Label[]>([]);
  private persistAsked = false;

  /**
   * Asks the browser to keep this origin's storage (navigator.storage.persist is window-only), once, when the first run
   * starts: its first checkpoint is saved right then. Asked at the click rather than from a later update because
   * Chromium's answer costs the main thread a long task, which belongs with the click, not in the middle of training.
   */
  private askPersistence(): void {
    if (this.persistAsked || typeof navigator === 'undefined' || !navigator.storage?.persist) return;
    this.persistAsked = true;
    void navigator.storage
      .persisted()
      .then((already) => already || navigator.storage.persist())
      .catch(() => false);
  }

  async connect(requestedBackend: string | null, requestedThreads: string | null = null): Promise<void> {
    try {
      const worker = new Worker(new URL('../worker/lab.worker.ts', import.meta.url), { type: 'module' });
      worker.addEventListener('error', (e) => {
        this.fatal = `The training worker failed: ${e.message || 'unknown error'}. Reload the page to try again.`;
      });
      this.api = wrap<LabApi>(worker);
      const init: InitResult = await this.api.init(requestedBackend, proxy((u: LabUpdate) => this.apply(u)), requestedThreads);
      this.backend = init.backend;
      this.backendError = init.backendError;
      this.presets = init.presets;
      if (init.notices.length) this.notices = [...this.notices, ...init.notices];
      if (init.restored) {
        this.restored = true;
        this.selected = init.restored.experiment.name;
        this.apply(init.restored);
      }
      this.ready = true;
    } catch (e) {
      this.fatal = `The lab could not start: ${(e as Error).message}`;
    }
  }

  /** Shows an update the worker returned (a run opened from the runs page). */
  show(u: LabUpdate): void {
    this.restored = u.status === 'paused';
    this.selected = u.experiment.name;
    if (!this.choices.some((c) => c.experiment.name === u.experiment.name)) this.opened = [...this.opened, u.experiment];
    this.apply(u);
  }

  /** The open run was deleted: the tab has no run. */
  closeRun(): void {
    this.runId = null;
    this.status = 'none';
    this.position = null;
    this.pendingPair = null;
    this.metrics = [];
    this.labels = [];
    this.visuals = null;
    this.lastCheckpointAt = 0;
  }

  private apply(u: LabUpdate): void {
    if (u.runId !== this.runId) {
      this.metrics = [];
      this.labels = [];
    }
    this.runId = u.runId;
    if (u.metricsFrom > this.metrics.length || u.labelsFrom > this.labels.length) {
      // Rows before this update never reached us: ask for all of them rather than show a gap.
      void this.api?.resync();
      u = { ...u, metricsFrom: this.metrics.length, metrics: [], labelsFrom: this.labels.length, labels: [] };
    }
    this.experiment = u.experiment;
    this.status = u.status;
    this.position = u.position;
    this.pendingPair = u.pendingPair;
    if (u.metrics.length || u.metricsFrom < this.metrics.length) {
      this.metrics = [...this.metrics.slice(0, u.metricsFrom), ...u.metrics];
    }
    if (u.labels.length || u.labelsFrom < this.labels.length) {
      this.labels = [...this.labels.slice(0, u.labelsFrom), ...u.labels];
    }
    this.visuals = u.visuals;
    this.observeProgress(u);
    this.lastCheckpointAt = u.lastCheckpointAt;
    this.error = u.error;
    // A notice that repeats (a full disk refuses every save) is shown once until dismissed.
    const fresh = [...new Set(u.notices)].filter((n) => !this.notices.includes(n));
    if (fresh.length) this.notices = [...this.notices, ...fresh];
  }

  /** Times the stage's steps while the run moves; a pause, a stop or the end forgets them (standing still is no pace). */
  private observeProgress(u: LabUpdate): void {
    if (u.status !== 'running' && u.status !== 'waiting-for-labels') return this.progress.clear();
    const p = u.position;
    const total = stageTotal(u.experiment, p.stage, algorithmOf(u.experiment.optimizer).usesRewardModel);
    this.progress.observe(`${u.runId}/${p.round}/${p.stage}`, p.stageStep, total, Date.now());
  }

  /** Experiments opened from files this session, offered beside the presets. */
  opened = $state.raw<Experiment[]>([]);
  fileError = $state<string | null>(null);

  get choices(): { experiment: Experiment; fromFile: boolean }[] {
    return [
      ...this.presets.map((experiment) => ({ experiment, fromFile: false })),
      ...this.opened.map((experiment) => ({ experiment, fromFile: true })),
    ];
  }

  get preset(): Experiment | undefined {
    return this.choices.find((c) => c.experiment.name === this.selected)?.experiment;
  }

  /** Reads an experiment file; a bad one is reported and changes nothing. */
  openFile(name: string, text: string): void {
    try {
      const e = parseExperimentJson(text);
      this.opened = [...this.opened.filter((o) => o.name !== e.name), e];
      this.selected = e.name;
      this.fileError = null;
    } catch (err) {
      const problems = err instanceof ExperimentError ? err.problems : [(err as Error).message];
      this.fileError = `${name} is not a valid experiment, nothing was changed: ${problems.join('; ')}`;
    }
  }

  /** Starts the selected experiment with the Parameters panel's edits; the new run's id, or null where it did not start. */
  async start(): Promise<string | null> {
    const p = this.preset;
    if (!this.api || !p) return null;
    this.restored = false;
    this.error = null;
    this.askPersistence();
    this.starting = true;
    try {
      const edits = Object.entries(this.edits).map(([k, v]) => `${k}=${v}`);
      const runId = await this.api.start(edits.length ? applyOverrides(p, edits) : p, this.startLabels);
      this.startLabels = [];
      return runId;
    } catch (e) {
      this.error = `The run could not start: ${(e as Error).message}`;
      return null;
    } finally {
      this.starting = false;
    }
  }

  pause = () => this.api?.pause();
  resume = () => {
    this.restored = false;
    return this.api?.resume();
  };
  stop = () => this.api?.stop();
  finishLabeling = () => this.api?.finishLabeling();

  /** The person's answer to the pending pair, with the margin of their strength of preference where they gave one. */
  async answer(a: Answer, margin?: number): Promise<void> {
    if (!this.api || !this.pendingPair) return;
    this.pendingPair = null; // until the worker sends the next pair
    await this.api.submitLabel(a, margin);
  }

  dismissNotice(i: number): void {
    this.notices = this.notices.filter((_, k) => k !== i);
  }
}
