// The share link the tab was opened with: what it will run, the educator's locks and hidden panels, and its error.
// Opening a link stores nothing; only pressing Run (or a link that says autostart) starts a run.
import { decodeLink, LinkError, type SharedExperiment } from '../../core/share/link';
import type { PanelName } from '../../core/share/params';
import type { Lab } from '../lab.svelte';

export class Share {
  link = $state.raw<SharedExperiment | null>(null);
  error = $state<string | null>(null);
  started = $state(false);

  constructor(private readonly lab: Lab) {}

  get locks(): Set<string> {
    return new Set(this.link?.lock ?? []);
  }

  get hidden(): PanelName[] {
    const h: PanelName[] = [...(this.link?.hide ?? [])];
    if (this.locks.has('experiment')) h.push('experiment-picker');
    return h;
  }

  /** A fragment that arrived before the lab knew its presets: opened once it does (openPending). */
  private pending: string | null = null;

  /**
   * Reads a "#share=…" fragment; a bad one sets `error` and changes nothing else. Its experiment is set beside the
   * presets, so it waits until the worker has sent them: only then can a name it shares with a preset be told apart.
   */
  open(fragment: string): void {
    if (!this.lab.ready) {
      this.pending = fragment;
      return;
    }
    this.pending = null;
    let shared: SharedExperiment;
    try {
      shared = decodeLink(fragment);
    } catch (e) {
      this.error = e instanceof LinkError ? e.message : `This share link could not be read (${(e as Error).message}). Copy it again in full.`;
      this.link = null;
      return;
    }
    // A link's experiment may share a preset's name: the preset itself where they are equal, else kept apart by name.
    const clash = this.lab.presets.find((p) => p.name === shared.experiment.name);
    if (clash && JSON.stringify(clash) !== JSON.stringify(shared.experiment)) {
      shared = { ...shared, experiment: { ...shared.experiment, name: `${shared.experiment.name.slice(0, 73)} (link)` } };
    }
    this.error = null;
    this.link = shared;
    this.started = false;
    const name = shared.experiment.name;
    const others = this.lab.opened.filter((o) => o.name !== name);
    this.lab.opened = this.lab.presets.some((p) => p.name === name) ? others : [...others, shared.experiment];
    this.lab.selected = shared.experiment.name;
    this.lab.edits = {};
    this.lab.startLabels = shared.labels;
  }

  /** Opens the fragment that arrived before the lab was ready. */
  openPending(): void {
    if (this.pending !== null && this.lab.ready) this.open(this.pending);
  }

  async run(): Promise<void> {
    const link = this.link;
    if (!link || !this.lab.ready) return;
    this.lab.selected = link.experiment.name;
    this.lab.startLabels = link.labels;
    this.started = true;
    await this.lab.start();
  }

  dismiss(): void {
    this.error = null;
  }
}
