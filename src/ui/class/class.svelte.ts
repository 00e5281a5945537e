// The Class page's state: the files a class handed in (checked by the worker, nothing stored), their labels pooled
// with each answer's labeler, and the agreement figures (feedback/class_merge.ts, the code `rlhf-lab class merge` runs).
import type { Lab } from '../lab.svelte';
import { classPreferencesJsonl, mergeClass, type ClassMerge, type ClassSource } from '../../core/feedback/class_merge';
import type { Experiment } from '../../core/experiment/parse';
import type { Label } from '../../core/feedback/labelers';
import { download } from '../download';

/** Files larger than this are refused before they are read (the import cap). */
const MAX_FILE_BYTES = 256 * 1024 * 1024;

export class ClassRoom {
  sources = $state.raw<ClassSource[]>([]);
  errors = $state.raw<string[]>([]);
  busy = $state(false);
  merged = $derived<ClassMerge | null>(this.sources.length ? mergeClass(this.sources) : null);

  constructor(private readonly lab: Lab) {}

  /** Adds the files (a file of the same name replaces the earlier one); each bad file is named with its reason. */
  async add(files: readonly File[]): Promise<void> {
    const api = this.lab.remote;
    if (!api) return;
    this.busy = true;
    const errors: string[] = [];
    let sources = this.sources;
    try {
      for (const f of files) {
        try {
          if (f.size > MAX_FILE_BYTES) throw new Error(`${f.name} is larger than ${MAX_FILE_BYTES >> 20} MB`);
          const s = await api.readClassFile(f.name, new Uint8Array(await f.arrayBuffer()));
          sources = [...sources.filter((x) => x.name !== s.name), s];
        } catch (e) {
          errors.push(`${(e as Error).message.replace(/^Error: /, '')} It was left out.`);
        }
      }
    } finally {
      this.sources = sources;
      this.errors = errors;
      this.busy = false;
    }
  }

  /**
   * Where every file is a landscape bundle of one landscape: the first bundle's experiment (named "… (class)") and
   * every student's labels, each under its labeler's name, to train a reward model and a policy on the pooled labels.
   */
  get pooledLandscape(): { experiment: Experiment; labels: Label[] } | null {
    const bundles = this.sources.filter((s) => s.kind === 'bundle');
    if (!bundles.length || bundles.length !== this.sources.length) return null;
    const first = bundles[0].experiment;
    if (first.task.kind !== 'landscape2d' || bundles.some((b) => JSON.stringify(b.experiment.task) !== JSON.stringify(first.task))) return null;
    const merged = this.merged!;
    const labels = bundles.flatMap((b) => b.labels.map((l) => ({ ...l, labeler: merged.answers.find((a) => a.source === b.name)?.rater ?? l.labeler })));
    return { experiment: { ...first, name: `${first.name.slice(0, 72)} (class)` }, labels: labels.map((l, id) => ({ ...l, id, round: 0 })) };
  }

  /** Selects the pooled experiment in the lab with the pooled labels as its first round's comparisons. */
  usePooled(): string | null {
    const p = this.pooledLandscape;
    if (!p) return null;
    this.lab.opened = [...this.lab.opened.filter((o) => o.name !== p.experiment.name), p.experiment];
    this.lab.selected = p.experiment.name;
    this.lab.startLabels = p.labels;
    return p.experiment.name;
  }

  remove(name: string): void {
    this.sources = this.sources.filter((s) => s.name !== name);
  }

  /** preferences.jsonl and agreement.json, as `rlhf-lab class merge` writes them. */
  download(which: 'preferences' | 'agreement'): void {
    const m = this.merged;
    if (!m) return;
    const [name, text, type] =
      which === 'preferences'
        ? ['class-preferences.jsonl', classPreferencesJsonl(m), 'application/jsonl']
        : ['agreement.json', JSON.stringify({ files: this.sources.map((s) => s.name), raters: m.raters, agreement: m.agreement }, null, 2) + '\n', 'application/json'];
    download(name, text, type);
  }
}
