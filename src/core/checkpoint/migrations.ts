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
  2: {
    why:
      'schema 3 stores each member of a reward-model ensemble as a model of its own (reward_model, reward_model_1, …) ' +
      'with its own Adam and normalization; schema-2 control records kept every member in one reward_model with m<k>. ' +
      'prefixes and one Adam, and one normalization of the combined score, which each member now starts from',
    up: (r) => ({ ...r, schema: 3, ...splitPrefixedEnsemble(r) }),
  },
};

type StoredWeights = Record<string, { shape: number[]; data: Float32Array }>;
type StoredModel = { weights: StoredWeights; spec: Record<string, unknown> };
type StoredAdam = { t: number; m: StoredWeights; v: StoredWeights };

/** Member k's part of weights whose names carry `m<k>.` prefixes, unprefixed. */
function memberPart(w: StoredWeights, k: number): StoredWeights {
  const prefix = `m${k}.`;
  return Object.fromEntries(Object.entries(w).filter(([name]) => name.startsWith(prefix)).map(([name, x]) => [name.slice(prefix.length), x]));
}

/**
 * A `reward_model` whose every weight is named `m<k>.…` becomes K models `reward_model`, `reward_model_1`, …, each
 * with the stored spec (less its `ensemble` count) and a copy of the stored normalization, and the one Adam state
 * becomes K states with the same step count. Any other record is returned as it was.
 */
function splitPrefixedEnsemble(r: RawRecord): Partial<Pick<RawRecord, 'models' | 'optimizers'>> {
  const models = r.models as Record<string, StoredModel>;
  const optimizers = (r.optimizers ?? {}) as Record<string, StoredAdam>;
  const rm = models?.reward_model;
  const names = rm ? Object.keys(rm.weights) : [];
  if (!rm || names.length === 0 || !names.every((n) => /^m\d+\./.test(n))) return {};
  const K = Math.max(...names.map((n) => Number(n.slice(1, n.indexOf('.'))))) + 1;
  const { ensemble: _, ...spec } = rm.spec;
  const name = (k: number) => (k === 0 ? 'reward_model' : `reward_model_${k}`);
  const outModels: Record<string, StoredModel> = { ...models };
  const outOpts: Record<string, StoredAdam> = { ...optimizers };
  const adam = optimizers.reward_model;
  for (let k = 0; k < K; k++) {
    outModels[name(k)] = { weights: memberPart(rm.weights, k), spec: structuredClone(spec) };
    if (adam) outOpts[name(k)] = { t: adam.t, m: memberPart(adam.m, k), v: memberPart(adam.v, k) };
  }
  return { models: outModels, optimizers: outOpts };
}

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
