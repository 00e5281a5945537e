// Where checkpoints live. The core only sees this small interface: IndexedDB in the tab (src/worker),
// files in the CLI (src/cli), a Map in tests. `setMany` must be atomic: all entries land or none do.
//
// Key names carry a version. Do not change them without a migration that moves the old keys.
export interface Store {
  get(key: string): Promise<unknown>;
  setMany(entries: [string, unknown][]): Promise<void>;
  delMany(keys: string[]): Promise<void>;
  keys(): Promise<string[]>;
}

/**
 * A store's write refused for want of space (the tab's IndexedDB quota, the CLI's full disk); what was stored before stays.
 * The message is for the user: what happened and what to do. The runner recognizes it by its type, shows the message
 * and trains on (earlier checkpoints stay); any other error ends the run.
 */
export class StorageFullError extends Error {
  override name = 'StorageFullError';
}

export const KEY_PREFIX = 'rlhf-lab:v1:';
export const keys = {
  checkpoint: (runId: string, n: number) => `${KEY_PREFIX}run:${runId}:ckpt:${n}`,
  latest: (runId: string) => `${KEY_PREFIX}run:${runId}:latest`,
  /** A checkpoint the user named (runs page); kept until deleted, outside the last-KEEP rotation. */
  snapshot: (runId: string, n: number) => `${KEY_PREFIX}run:${runId}:snap:${n}`,
  /** The run the tab had open last, reopened on reload. */
  lastRun: `${KEY_PREFIX}last-run`,
  /** A student's progress through a lesson (src/core/lessons/progress.ts; its schema is stored inside). */
  lesson: (lessonId: string) => `${KEY_PREFIX}lesson:${lessonId}`,
};

export class MemoryStore implements Store {
  readonly map = new Map<string, unknown>();
  async get(key: string) {
    const v = this.map.get(key);
    return v === undefined ? undefined : structuredClone(v);
  }
  async setMany(entries: [string, unknown][]) {
    const copies = entries.map(([k, v]) => [k, structuredClone(v)] as const);
    for (const [k, v] of copies) this.map.set(k, v);
  }
  async delMany(ks: string[]) {
    for (const k of ks) this.map.delete(k);
  }
  async keys() {
    return [...this.map.keys()];
  }
}
