// The Class page's state: the files a class handed in (checked by the worker, nothing stored), their labels pooled
// with each answer's labeler, and the agreement figures (feedback/class_merge.ts, the code `rlhf-lab class merge` runs).
import type { Lab } from '../lab.svelte';
import { proxy } from 'comlink';
import { classBundles, classPreferencesJsonl, mergeClass, type ClassMerge, type ClassSource } from '../../core/feedback/class_merge';
import type { LabelGroup, WhosePreferences } from '../../core/feedback/whose_preferences';
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
  /** The bundles' experiment and labels (each under its labeler's class name), or why there are none to fit on. */
  bundles = $derived(classBundles(this.sources));
  /** The group an educator put each labeler in, by labeler (a labeler left out is a group of their own). */
  groupOf = $state<Record<string, string>>({});
  /** The reward models per group and pooled, once fit for the files as they are now. */
  whose = $state.raw<WhosePreferences | null>(null);
  fitting = $state.raw<{ done: number; total: number } | null>(null);
  whoseError = $state<string | null>(null);

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
      if (sources !== this.sources) this.whose = null;
      this.sources = sources;
      this.errors = errors;
      this.busy = false;
    }
  }

  /** Where the files are bundles of one task: their experiment (named "… (class)") and labels, to train one policy on them. */
  get pooled(): { experiment: Experiment; labels: Label[] } | null {
    const b = this.bundles;
    if ('reason' in b) return null;
    return { experiment: { ...b.experiment, name: `${b.experiment.name.slice(0, 72)} (class)` }, labels: b.labels };
  }

  /** The labels in their groups: each labeler's group as the educator named it, else the labeler alone (computed once per change). */
  groups = $derived.by((): LabelGroup[] => {
    const b = this.bundles;
    if ('reason' in b) return [];
    const by = new Map<string, Label[]>();
    for (const l of b.labels) {
      const g = this.groupOf[l.labeler]?.trim() || l.labeler;
      by.set(g, [...(by.get(g) ?? []), l]);
    }
    return [...by].map(([name, labels]) => ({ name, labels }));
  });

  /** Fits a reward model per group and one pooled on the bundles' labels (in the worker), with progress. */
  async fitGroups(seed = 1): Promise<void> {
    const api = this.lab.remote;
    const b = this.bundles;
    if (!api || 'reason' in b || this.fitting) return;
    this.whoseError = null;
    this.fitting = { done: 0, total: this.groups.length + 1 };
    try {
      this.whose = await api.classWhose(b.experiment, this.groups, seed, proxy((done: number, total: number) => (this.fitting = { done, total })));
    } catch (e) {
      this.whose = null;
      this.whoseError = `The reward models could not be fit: ${(e as Error).message.replace(/^Error: /, '')}.`;
    } finally {
      this.fitting = null;
    }
  }

  /** Selects the pooled experiment in the lab with the pooled labels as its first round's comparisons. */
  usePooled(): string | null {
    const p = this.pooled;
    if (!p) return null;
    this.lab.opened = [...this.lab.opened.filter((o) => o.name !== p.experiment.name), p.experiment];
    this.lab.selected = p.experiment.name;
    this.lab.startLabels = p.labels;
    return p.experiment.name;
  }

  remove(name: string): void {
    this.whose = null;
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
