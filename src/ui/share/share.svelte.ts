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

  /** Reads a "#share=…" fragment; a bad one sets `error` and changes nothing else. */
  open(fragment: string): void {
    let shared: SharedExperiment;
    try {
      shared = decodeLink(fragment);
    } catch (e) {
      this.error = e instanceof LinkError ? e.message : `This share link could not be read (${(e as Error).message}). Copy it again in full.`;
      this.link = null;
      return;
    }
    // A link's experiment may share a preset's name with other settings: keep both apart in the picker.
    const clash = this.lab.presets.find((p) => p.name === shared.experiment.name);
    if (clash && JSON.stringify(clash) !== JSON.stringify(shared.experiment)) {
      shared = { ...shared, experiment: { ...shared.experiment, name: `${shared.experiment.name} (link)`.slice(0, 80) } };
    }
    this.error = null;
    this.link = shared;
    this.started = false;
    this.lab.opened = [...this.lab.opened.filter((o) => o.name !== shared.experiment.name), shared.experiment];
    this.lab.selected = shared.experiment.name;
    this.lab.edits = {};
    this.lab.startLabels = shared.labels;
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
