// The runs page's state: the stored runs, storage use, the two runs being compared, import results, errors.
// Every operation goes to the worker (which owns IndexedDB); the page only shows what comes back.
import type { Lab } from '../lab.svelte';
import { overlayRows, type RunInfo } from '../../core/checkpoint/runs';
import type { MetricRow } from '../../core/checkpoint/record';
import type { BundleSummary, PreferenceSummary } from '../../core/checkpoint/import';
import type { Label } from '../../core/feedback/labelers';
import { readSweepFile, type SweepFile } from '../../core/analysis/sweep';
import { download } from '../download';
import { experimentChanges, type ParamChange } from '../../core/experiment/presets';

/** A sweep.json larger than this is refused before it is read. */
const MAX_SWEEP_BYTES = 64 * 1024 * 1024;

export interface Storage {
  usage: number;
  quota: number;
  persisted: boolean | null;
}

/** Worker errors arrive as Error objects through comlink; show their message without the "Error: " noise. */
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

export class Runs {
  list = $state.raw<RunInfo[]>([]);
  storage = $state.raw<Storage | null>(null);
  error = $state<string | null>(null);
  info = $state<string | null>(null);
  busy = $state(false);
  /** Up to two run ids whose metrics are overlaid. */
  compare = $state.raw<string[]>([]);
  compared = $state.raw<Record<string, MetricRow[]>>({});
  imported = $state.raw<{ summary: PreferenceSummary; labels: Label[] | null } | null>(null);
  /** A sweep opened from `rlhf-lab sweep`'s sweep.json (read in the page: it holds figures, no weights). */
  sweep = $state.raw<SweepFile | null>(null);

  constructor(private readonly lab: Lab) {}

  private async task<T>(f: () => Promise<T>, done?: string): Promise<T | undefined> {
    this.busy = true;
    this.error = null;
    this.info = null;
    try {
      const out = await f();
      if (done) this.info = done;
      return out;
    } catch (e) {
      this.error = message(e);
      return undefined;
    } finally {
      this.busy = false;
      await this.refresh();
    }
  }

  async refresh(): Promise<void> {
    const api = this.lab.remote;
    if (!api) return;
    try {
      this.list = await api.listRuns();
      this.storage = await api.storage();
      this.compare = this.compare.filter((id) => this.list.some((r) => r.runId === id));
    } catch (e) {
      this.error = message(e);
    }
  }

  open = (runId: string) =>
    this.task(async () => {
      const u = await this.lab.remote!.openRun(runId);
      this.lab.show(u);
      location.hash = '';
    });

  rename = (runId: string, name: string) => this.task(() => this.lab.remote!.renameRun(runId, name), 'Renamed.');
  duplicate = (runId: string) => this.task(() => this.lab.remote!.duplicateRun(runId), 'Duplicated.');
  snapshot = (runId: string, name: string) => this.task(() => this.lab.remote!.saveSnapshot(runId, name), `Snapshot "${name}" kept.`);
  deleteSnapshot = (runId: string, n: number) => this.task(() => this.lab.remote!.deleteSnapshot(runId, n), 'Snapshot deleted.');

  restoreSnapshot = (runId: string, n: number) =>
    this.task(async () => {
      const u = await this.lab.remote!.restoreSnapshot(runId, n);
      if (u) this.lab.show(u);
    }, 'The run was rolled back to the snapshot (its newer checkpoints stay until newer saves replace them).');

  remove = (runId: string) =>
    this.task(async () => {
      if (await this.lab.remote!.deleteRun(runId)) this.lab.closeRun();
    }, 'Deleted.');

  async exportRun(runId: string): Promise<void> {
    await this.task(async () => {
      const { fileName, bytes } = await this.lab.remote!.exportRun(runId);
      download(fileName, bytes, 'application/zip');
      return fileName;
    }, 'Exported: the zip is in your downloads.');
  }

  async importFile(file: File): Promise<void> {
    this.imported = null;
    await this.task(async () => {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const r = await this.lab.remote!.importFile(file.name, bytes);
      if (r.kind === 'bundle') {
        this.info = `Imported ${file.name} as a new run, "${r.summary.name} (imported)": ${r.summary.labels} labels, ${r.summary.metrics} metric rows.`;
        return;
      }
      this.imported = { summary: r.summary, labels: r.labels };
      this.info = `${file.name}: ${r.summary.thumbs ? `${r.summary.thumbs} thumbs` : `${r.summary.pairs} preference pairs`}, valid. Nothing was stored.`;
    });
  }

  async openSweep(file: File): Promise<void> {
    this.error = null;
    this.info = null;
    try {
      if (file.size > MAX_SWEEP_BYTES) throw new Error(`${file.name} is larger than ${MAX_SWEEP_BYTES >> 20} MB; a sweep.json is far smaller`);
      const sweep = readSweepFile(await file.text(), file.name);
      this.sweep = sweep;
      this.info = `${file.name}: a sweep of ${sweep.experiment}, ${sweep.cells.length} settings × ${sweep.seeds.length} seeds.`;
    } catch (e) {
      this.error = `${message(e)}. Nothing was changed.`;
    }
  }

  /** The imported landscape labels join the next run's first round. */
  useImportedLabels(): void {
    if (!this.imported?.labels) return;
    this.lab.startLabels = this.imported.labels;
    this.info = `The next run you start will begin with these ${this.imported.labels.length} labels.`;
  }

  async toggleCompare(runId: string): Promise<void> {
    const on = this.compare.includes(runId);
    this.compare = on ? this.compare.filter((x) => x !== runId) : [...this.compare, runId].slice(-2);
    for (const id of this.compare) {
      if (!this.compared[id]) {
        try {
          this.compared = { ...this.compared, [id]: await this.lab.remote!.runMetrics(id) };
        } catch (e) {
          this.error = message(e);
        }
      }
    }
  }

  /** Rows of both compared runs on one step axis, keys prefixed "A:" and "B:" (overlayRows: the RL curves only). */
  get overlay(): MetricRow[] {
    const [a, b] = this.compare.map((id) => this.compared[id] ?? []);
    return overlayRows(a ?? [], b ?? []);
  }
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

const show = (v: unknown) => (v === undefined ? 'unset' : typeof v === 'string' ? v : JSON.stringify(v));

/** "optimizer.kl_coef 0.5 (preset 0.02)": a changed parameter as the runs table shows it. */
export function changeText(c: ParamChange): string {
  return `${c.path} ${show(c.value)} (preset ${show(c.base)})`;
}

/** Where two compared runs' experiments differ: "optimizer.kl_coef 0.02 vs 0.5, seed 1 vs 2"; null: one is unknown. */
export function differences(a: RunInfo | undefined, b: RunInfo | undefined): string | null {
  if (!a?.experiment || !b?.experiment) return null;
  return experimentChanges(a.experiment, b.experiment)
    .map((c) => `${c.path} ${show(c.value)} vs ${show(c.base)}`)
    .join(', ');
}
