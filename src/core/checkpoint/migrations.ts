// Checkpoint records carry the schema version they were written with, and a record of an older schema is brought up
// to date on read, one numbered step at a time (tldraw's and idb's pattern). Records already in someone's IndexedDB
// never change in place: a read verifies the stored record's SHA-256 first, then migrates a copy.
//
// To change the record: bump SCHEMA in record.ts, add MIGRATIONS[old] that turns an `old` record into an `old + 1`
// one, and add tests/fixtures/checkpoint-schema<old>.json, a record written by the code before the change.
// Never edit or delete a migration once released: somebody's stored run depends on it.

/** A stored record of some schema, before migration: only `schema` is known to exist. */
export type RawRecord = Record<string, unknown> & { schema: number };

export interface Migration {
  /** What changed, in one line (shown by tests and kept as documentation). */
  why: string;
  up(record: RawRecord): RawRecord;
}

/** MIGRATIONS[n] turns a schema-n record into a schema-(n+1) record. */
export const MIGRATIONS: Record<number, Migration> = {
  1: {
    why: 'schema 2 records which lab and tfjs versions wrote them, for the Reward Report and reproducibility',
    up: (r) => ({ ...r, schema: 2, versions: { lab: 'unknown (written before schema 2)', tfjs: 'unknown' } }),
  },
};

export class SchemaError extends Error {
  override name = 'SchemaError';
}

/** Brings a record from its schema up to `target`; throws SchemaError for a newer schema or a gap in the chain. */
export function migrate(record: RawRecord, target: number): RawRecord {
  const from = record.schema;
  if (!Number.isInteger(from) || from < 1) {
    throw new SchemaError(`the checkpoint has no valid schema version (got ${JSON.stringify(from)})`);
  }
  if (from > target) {
    throw new SchemaError(
      `the checkpoint was written by a newer version of the lab (schema ${from}; this one reads up to ${target}): ` +
        'update the lab to open it',
    );
  }
  let r = record;
  for (let n = from; n < target; n++) {
    const m = MIGRATIONS[n];
    if (!m) throw new SchemaError(`no migration from checkpoint schema ${n} to ${n + 1}`);
    r = m.up(r);
    if (r.schema !== n + 1) throw new SchemaError(`migration ${n} produced schema ${r.schema}, not ${n + 1}`);
  }
  return r;
}
