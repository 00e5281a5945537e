// The Class page's state: the files a class handed in (checked by the worker, nothing stored), their labels pooled
// with each answer's labeler, and the agreement figures (feedback/class_merge.ts, the code `rlhf-lab class merge` runs).
import type { Lab } from '../lab.svelte';
import { classPreferencesJsonl, mergeClass, type ClassMerge, type ClassSource } from '../../core/feedback/class_merge';

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
    const url = URL.createObjectURL(new Blob([text], { type }));
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
}
