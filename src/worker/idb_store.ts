// The tab's checkpoint store: IndexedDB through idb-keyval. setMany is one IndexedDB transaction, so a
// checkpoint and its run's `latest` pointer land together or not at all.
//
// Database and store names carry a version: do not change them without a migration.
import { createStore, delMany, get, keys, setMany, type UseStore } from 'idb-keyval';
import { StorageFullError, type Store } from '../core/checkpoint/store';

/** QuotaExceededError arrives bare, or wrapped as the cause of a transaction's AbortError. */
export function isQuotaError(e: unknown): boolean {
  for (let x: unknown = e, depth = 0; x && depth < 4; depth++) {
    const err = x as { name?: string; message?: string; cause?: unknown; error?: unknown };
    if (err.name === 'QuotaExceededError' || /quota/i.test(err.message ?? '')) return true;
    x = err.cause ?? err.error;
  }
  return false;
}

/** Writes begun and finished, for diagnostics: the e2e test ends the worker while begun > done (a write in flight). */
export const writes = { begun: 0, done: 0 };

export class IdbStore implements Store {
  private readonly db: UseStore;

  constructor(dbName = 'rlhf-lab-v1', storeName = 'kv') {
    this.db = createStore(dbName, storeName);
  }

  get(key: string): Promise<unknown> {
    return get(key, this.db);
  }

  async setMany(entries: [string, unknown][]): Promise<void> {
    writes.begun++;
    try {
      await setMany(entries, this.db);
      writes.done++;
    } catch (e) {
      writes.done++;
      if (isQuotaError(e)) {
        throw new StorageFullError(
          'Browser storage is full, so this checkpoint was not saved; every earlier checkpoint is intact and training ' +
            'goes on. To free space: export the runs you want to keep (Runs page → Export), then delete old runs there.',
        );
      }
      throw e;
    }
  }

  delMany(ks: string[]): Promise<void> {
    return delMany(ks, this.db);
  }

  async keys(): Promise<string[]> {
    return (await keys(this.db)).map(String);
  }
}
