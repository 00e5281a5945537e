// Mutation tests of everything a user can hand the lab: share links, export bundles and preference files.
// Each mutant must be either accepted as a valid whole, or refused with the decoder's own error type (a message
// for the user), never a crash; a refused import leaves the store exactly as it was. Counts are printed for the
// issue's fault report.
import type { OptimizerOf } from '../../src/core/experiment/parse';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { strFromU8, strToU8, unzipSync, unzlibSync, zipSync, zlibSync } from 'fflate';
import { decodeLink, encodeLink, LinkError } from '../../src/core/share/link';
import { gallery } from '../../src/core/share/gallery';
import { PRESETS, preset } from '../../src/core/experiment/presets';
import { ExperimentError, parseExperimentJson } from '../../src/core/experiment/parse';
import { Rng } from '../../src/core/rng';
import { MemoryStore } from '../../src/core/checkpoint/store';
import { Runner } from '../../src/core/runner';
import { loadCheckpoint } from '../../src/core/checkpoint/record';
import { buildBundle } from '../../src/core/checkpoint/export';
import { importBundle, readPreferences, ImportError } from '../../src/core/checkpoint/import';
import { preferencesJsonl } from '../../src/core/feedback/preferences_io';
import type { Label } from '../../src/core/feedback/labelers';

const rng = new Rng(20261123);
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const NOISE = [...B64, '%', '=', '.', '#', ' ', 'é', '\u0000', '<', '"', '\\'];
const pick = <T>(xs: readonly T[]) => xs[rng.int(xs.length)];

/** One random edit of a string: replace, delete, insert, duplicate a span, swap, or truncate. */
function mutateString(s: string): string {
  const i = rng.int(s.length);
  switch (rng.int(6)) {
    case 0: return s.slice(0, i) + pick(NOISE) + s.slice(i + 1);
    case 1: return s.slice(0, i) + s.slice(i + 1 + rng.int(8));
    case 2: return s.slice(0, i) + pick(NOISE) + s.slice(i);
    case 3: { const j = Math.min(s.length, i + 1 + rng.int(40)); return s.slice(0, j) + s.slice(i, j) + s.slice(j); }
    case 4: { const j = rng.int(s.length); const a = [...s]; [a[i], a[j]] = [a[j], a[i]]; return a.join(''); }
    default: return s.slice(0, i);
  }
}

function mutateBytes(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(b);
  const kind = rng.int(4);
  if (kind === 3) return out.subarray(0, rng.int(out.length));
  const n = 1 + rng.int(kind === 0 ? 1 : 16);
  for (let k = 0; k < n; k++) {
    const i = rng.int(out.length);
    out[i] = kind === 2 ? 0 : out[i] ^ (1 << rng.int(8));
  }
  return out;
}

/** A random JSON value of the wrong kind, for structural mutations. */
const junk = () => pick<unknown>([null, -1, 1e308, 'x', '<img src=x onerror=alert(1)>', [], {}, true, Number.MAX_SAFE_INTEGER + 2, [1, 2, 3]]);

/** Sets a random leaf or node of a JSON value to junk. */
function mutateJson(value: unknown): unknown {
  const copy = structuredClone(value) as Record<string, unknown>;
  const paths: (string | number)[][] = [];
  const walk = (v: unknown, path: (string | number)[]) => {
    if (path.length) paths.push(path);
    if (v && typeof v === 'object') for (const [k, c] of Object.entries(v)) walk(c, [...path, Array.isArray(v) ? Number(k) : k]);
  };
  walk(copy, []);
  const path = pick(paths);
  let node = copy as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) node = node[k] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (rng.uniform() < 0.2 && !Array.isArray(node)) delete node[last];
  else node[last] = junk();
  return copy;
}

const counts = { links: 0, linksRefused: 0, bundles: 0, bundlesRefused: 0, preferenceFiles: 0, preferenceRefused: 0, losses: 0 };

/**
 * No case may take over 1 GiB: the process's high-water resident memory (getrusage's maxrss, which no later free
 * lowers) is held within 1 GiB of where the suite began, after every test, so a hostile mutant that materialized
 * gigabytes in any one case fails the test it ran in.
 */
const GIB = 2 ** 30;
const startRss = process.memoryUsage().rss;
const peakGrowth = () => process.resourceUsage().maxRSS * 1024 - startRss;
afterEach(() => {
  expect(peakGrowth()).toBeLessThan(GIB);
});

describe('mutated inputs', () => {
  let links: string[];
  beforeAll(() => {
    const ls: Label[] = Array.from({ length: 120 }, (_, id) => ({ id, a: [rng.normal(), rng.normal()], b: [rng.normal(), rng.normal()], answer: pick(['a', 'b', 'tie', 'skip'] as const), labeler: 'human', round: 0, time: 0 }));
    links = [...gallery().map((d) => d.fragment), encodeLink(preset('landscape-noisy')!, { labels: ls, autostart: true, hide: ['charts'] })];
  });

  it('600 mutated share links (character edits and valid-checksum field edits): a LinkError or a valid link, never a crash', () => {
    for (let k = 0; k < 600; k++) {
      const base = pick(links);
      let link: string;
      if (k % 3 === 2) {
        // A well-formed link (checksum fine) whose payload has a field of the wrong kind: valibot's turn.
        const payload = JSON.parse(strFromU8(unzipZlib(base)));
        link = `#share=v1.${Buffer.from(zlibSync(strToU8(JSON.stringify(mutateJson(payload))))).toString('base64url')}`;
      } else {
        link = mutateString(base);
      }
      counts.links++;
      try {
        const got = decodeLink(link);
        // accepted: it must be a whole, valid experiment (a mutation that kept the meaning, e.g. a same-value edit)
        expect(got.experiment.version).toBe(1);
      } catch (e) {
        if (!(e instanceof LinkError)) {
          counts.losses++;
          throw new Error(`link mutant ${k} crashed the decoder: ${(e as Error).stack}`);
        }
        expect(e.message.length).toBeGreaterThan(20);
        counts.linksRefused++;
      }
    }
    expect(counts.linksRefused).toBeGreaterThan(500);
  });

  it('300 mutated experiment files (character edits, junk fields, a key given twice): an ExperimentError with a message, or a valid experiment', () => {
    const files = PRESETS.map((p) => JSON.stringify(p, null, 2));
    let refused = 0;
    for (let k = 0; k < 300; k++) {
      const base = pick(files);
      const text =
        k % 3 === 0 ? mutateString(base) : k % 3 === 1 ? JSON.stringify(mutateJson(JSON.parse(base))) : base.replace(/\n  "seed": (\d+),/, '\n  "seed": $1,\n  "seed": 7,');
      try {
        const e = parseExperimentJson(text);
        expect(e.version).toBe(1);
      } catch (e) {
        if (!(e instanceof ExperimentError)) throw new Error(`experiment file mutant ${k} crashed the parser: ${(e as Error).stack}`);
        expect(e.message.length).toBeGreaterThan(20);
        expect(e.message.length).toBeLessThan(2_000);
        refused++;
      }
    }
    // every third mutant gives "seed" twice, and is refused for it
    expect(refused).toBeGreaterThanOrEqual(100);
  });

  it('300 mutated export bundles and 300 mutated preference files: an ImportError or a valid import; a refusal stores nothing', async () => {
    const e = preset('landscape-hello')!;
    e.schedule = { rounds: 1, labels_per_round: 40, checkpoint_every_s: 3600, rollback: false };
    e.reward_model = { ...e.reward_model, hidden: [8], steps: 20 };
    e.optimizer = { ...(e.optimizer as OptimizerOf<'reinforce'>), iterations: 3, batch_size: 32 };
    const store = new MemoryStore();
    const r = await Runner.create(e, { store, runId: 'base', backend: 'cpu' });
    await r.run();
    r.dispose();
    const record = (await loadCheckpoint(store, 'base'))!.record;
    const bundle = buildBundle(record, 'base', Date.UTC(2026, 0, 1));
    const files = unzipSync(bundle);
    const before = structuredClone(store.map);

    for (let k = 0; k < 300; k++) {
      let bytes: Uint8Array;
      if (k % 3 === 0) {
        bytes = mutateBytes(bundle);
      } else {
        // edit one file inside an intact zip: record.json (structure), manifest, or a safetensors file
        const name = pick(['checkpoint/record.json', 'checkpoint/record.json', 'manifest.json', 'models/policy.safetensors', 'checkpoint/arrays.bin']);
        let data: Uint8Array = files[name];
        if (name.endsWith('.json')) {
          const s = strFromU8(data);
          data = strToU8(k % 3 === 1 ? mutateString(s) : JSON.stringify(mutateJson(JSON.parse(s))));
        } else {
          data = mutateBytes(data);
        }
        bytes = zipSync({ ...files, [name]: data });
      }
      counts.bundles++;
      try {
        const { runId } = await importBundle(store, bytes, `mutant-${k}.zip`);
        // Accepted: the mutation hit what the checkpoint's hash and the safetensors check do not cover (the report,
        // the manifest's name, zip metadata). The imported run must then be the exported one, exactly.
        const got = (await loadCheckpoint(store, runId))!;
        expect(got.notice).toBeUndefined();
        expect(got.record.labels).toEqual(record.labels);
        expect(Array.from(got.record.models.policy.weights.means.data)).toEqual(Array.from(record.models.policy.weights.means.data));
        for (const key of [...store.map.keys()]) if (!before.has(key)) store.map.delete(key);
      } catch (err) {
        if (!(err instanceof ImportError)) {
          counts.losses++;
          throw new Error(`bundle mutant ${k} crashed the importer: ${(err as Error).stack}`);
        }
        counts.bundlesRefused++;
      }
      if (store.map.size !== before.size) {
        counts.losses++;
        throw new Error(`bundle mutant ${k} changed the store`);
      }
    }
    expect(store.map).toEqual(before);
    expect(counts.bundlesRefused).toBeGreaterThan(200);

    const jsonl = preferencesJsonl(record.experiment, record.labels);
    const hh = Array.from({ length: 20 }, (_, i) => JSON.stringify({ chosen: `\n\nHuman: q${i}?\n\nAssistant: good <img src=x onerror=alert(1)>`, rejected: `\n\nHuman: q${i}?\n\nAssistant: bad` })).join('\n');
    for (let k = 0; k < 300; k++) {
      const base = k % 2 ? jsonl : hh;
      const text = k % 4 === 3 ? base.split('\n').map((l, i) => (i === 3 ? JSON.stringify(mutateJson(JSON.parse(l))) : l)).join('\n') : mutateString(base);
      counts.preferenceFiles++;
      try {
        const got = readPreferences(strToU8(text), 'p.jsonl');
        expect(got.summary.pairs).toBeGreaterThan(0);
        for (const p of got.file.preferences) expect(typeof p.chosen).toBe('string');
      } catch (err) {
        if (!(err instanceof ImportError)) {
          counts.losses++;
          throw new Error(`preference mutant ${k} crashed the reader: ${(err as Error).stack}`);
        }
        expect((err as Error).message).toMatch(/p\.jsonl (is not|is larger)/);
        counts.preferenceRefused++;
      }
    }
    expect(counts.preferenceRefused).toBeGreaterThan(100);
    expect(counts.losses).toBe(0);
    console.log(`fault counts: ${JSON.stringify(counts)}; peak memory above the start: ${(peakGrowth() / 2 ** 20).toFixed(0)} MiB`);
  }, 120_000);
});

function unzipZlib(fragment: string): Uint8Array {
  // The payload of a valid link, for field-level mutation (fflate's unzlibSync on the base64url body).
  const body = Buffer.from(fragment.slice('#share=v1.'.length), 'base64url');
  return unzlibSync(new Uint8Array(body));
}
