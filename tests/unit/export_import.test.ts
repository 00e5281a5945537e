// The export bundle of a real run: every file there and right, the Python loader reads it (when python3 and numpy
// are present), and an import brings the run back bit for bit; preference files in TRL and HH layout.
import type { OptimizerOf } from '../../src/core/experiment/parse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unzipSync, strFromU8, zipSync, strToU8 } from 'fflate';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { tf } from '../../src/core/tf';
import { Runner } from '../../src/core/runner';
import { preset } from '../../src/core/experiment/presets';
import { MemoryStore } from '../../src/core/checkpoint/store';
import { hashRecord, loadCheckpoint, type CheckpointRecord } from '../../src/core/checkpoint/record';
import { buildBundle, bundleFileName, packRecord, unpackRecord } from '../../src/core/checkpoint/export';
import { importBundle, readBundle, readImport, readPreferences, ImportError } from '../../src/core/checkpoint/import';
import { readSafetensors } from '../../src/core/checkpoint/safetensors';
import { parsePreferencesJsonl, splitHH, preferencesJsonl } from '../../src/core/feedback/preferences_io';
import { listRuns } from '../../src/core/checkpoint/runs';
import { mlpScore } from '../../src/core/tasks/landscape2d/report';

let record: CheckpointRecord;
let bundle: Uint8Array;
let dir: string;
const NOW = Date.UTC(2026, 10, 23, 12);

beforeAll(async () => {
  const e = preset('landscape-hello')!;
  e.schedule = { rounds: 2, labels_per_round: 60, checkpoint_every_s: 3600, rollback: false };
  e.reward_model = { ...e.reward_model, hidden: [16], steps: 150 };
  e.optimizer = { ...(e.optimizer as OptimizerOf<'reinforce'>), iterations: 8, batch_size: 64 };
  e.labelers = [{ kind: 'simulated', beta: 50, epsilon: 0.1, tie_margin: 0.01, skip_prob: 0.1, weight: 1, length_bias: 0 }];
  const store = new MemoryStore();
  const r = await Runner.create(e, { store, runId: 'exp', backend: 'cpu' });
  await r.run();
  r.dispose();
  record = (await loadCheckpoint(store, 'exp'))!.record;
  bundle = buildBundle(record, 'my run', NOW);
  dir = await mkdtemp(join(tmpdir(), 'rlhf-lab-export-'));
}, 120_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const files = () => unzipSync(bundle);
const text = (name: string) => strFromU8(files()[name]);

describe('export bundle', () => {
  it('holds the files the issue lists, and a manifest naming them', () => {
    const f = files();
    const manifest = JSON.parse(text('manifest.json'));
    expect(manifest).toMatchObject({ format: 'rlhf-lab-bundle', version: 1, name: 'my run', runId: 'exp', createdAt: '2026-11-23T12:00:00.000Z' });
    for (const must of [
      'experiment.json', 'preferences.jsonl', 'metrics.jsonl', 'REWARD_REPORT.md', 'load_in_python.py', 'train_trl.py',
      'models/reward_model/model.json', 'models/reward_model/weights.bin', 'models/reward_model.safetensors',
      'models/policy/model.json', 'models/policy.safetensors', 'models/reference.safetensors',
    ]) expect(f[must], must).toBeDefined();
    expect(Object.keys(f).sort()).toEqual(['manifest.json', ...manifest.files].sort());
    expect(JSON.parse(text('experiment.json'))).toEqual(record.experiment);
    expect(bundleFileName('my run: <b>')).toBe('my-run-b.rlhf-lab.zip');
  });

  it('preferences.jsonl: one TRL line per decisive label, chosen first, with labeler and time', () => {
    const lines = text('preferences.jsonl').trim().split('\n').map((l) => JSON.parse(l));
    const decisive = record.labels.filter((l) => l.answer === 'a' || l.answer === 'b');
    expect(record.labels.length).toBeGreaterThan(decisive.length); // the run had ties or skips, left out here
    expect(lines).toHaveLength(decisive.length);
    const l0 = decisive[0];
    const [chosen, rejected] = l0.answer === 'a' ? [l0.a, l0.b] : [l0.b, l0.a];
    expect(lines[0]).toEqual({
      prompt: '',
      chosen: JSON.stringify((chosen as number[]).map((x) => Number(x.toFixed(6)))),
      rejected: JSON.stringify((rejected as number[]).map((x) => Number(x.toFixed(6)))),
      labeler: 'simulated:0',
      time: new Date(l0.time).toISOString(),
      round: 0,
      id: l0.id,
    });
    expect(lines[0].chosen).toMatch(/^\[-?\d+(\.\d+)?,-?\d+(\.\d+)?\]$/);
  });

  it('weights: safetensors and tfjs weights.bin hold exactly the checkpoint, and tf.io decodes the manifest', () => {
    for (const [name, m] of Object.entries(record.models)) {
      const st = readSafetensors(files()[`models/${name}.safetensors`]);
      expect(st.metadata.model).toBe(name);
      expect(JSON.parse(st.metadata.spec)).toEqual(JSON.parse(JSON.stringify(m.spec)));
      const modelJson = JSON.parse(text(`models/${name}/model.json`));
      const bin = files()[`models/${name}/weights.bin`];
      const decoded = tf.io.decodeWeights(bin.slice().buffer, modelJson.weightsManifest[0].weights);
      for (const [k, w] of Object.entries(m.weights)) {
        expect(st.tensors[k].shape).toEqual(w.shape);
        expect(new Uint8Array(st.tensors[k].data.buffer)).toEqual(new Uint8Array(w.data.buffer));
        expect(decoded[k].shape).toEqual(w.shape);
        expect(Array.from(decoded[k].dataSync())).toEqual(Array.from(w.data));
      }
      tf.dispose(Object.values(decoded));
    }
  });

  it('metrics.jsonl is the run’s rows; the Reward Report is filled from the run', () => {
    const rows = text('metrics.jsonl').trim().split('\n').map((l) => JSON.parse(l));
    expect(rows).toHaveLength(record.metrics.length);
    expect(rows.at(-1)['gold/mean']).toBeCloseTo(record.metrics.at(-1)!['gold/mean'], 10);
    const report = text('REWARD_REPORT.md');
    for (const s of ['## Base model and data', '## Feedback', '## Reward model', '## Optimizer and KL', '## Gold vs proxy reward', '## Known failure cases', '## Reproduce']) {
      expect(report).toContain(s);
    }
    expect(report).toContain(`Comparisons: ${record.labels.length} asked`);
    expect(report).toContain('β = 50, random answers ε = 0.1');
    expect(report).toContain(`KL coefficient ${(record.experiment.optimizer as OptimizerOf<'reinforce'>).kl_coef}`);
    expect(report).toContain(`Seed ${record.experiment.seed}, backend \`cpu\``);
    const acc = Number(/recomputed here on \d+ decisive held-out pairs/.test(report) && /; ([\d.]+) recomputed/.exec(report)![1]);
    // The plain-JS reward model of the report agrees with the runner's own held-out accuracy.
    expect(acc).toBeCloseTo(record.metrics.at(-1)!['rm/accuracy'], 2);
    const fails = report.split('## Known failure cases')[1].split('\n').filter((l) => /^\| \(/.test(l));
    expect(fails).toHaveLength(5);
  });

  it('train_trl.py carries the run’s hyperparameters, and both Python files compile', () => {
    const trl = text('train_trl.py');
    expect(trl).toContain(`"learning_rate": ${record.experiment.reward_model.lr}`);
    expect(trl).toContain(`"beta": ${(record.experiment.optimizer as OptimizerOf<'reinforce'>).kl_coef}`);
    expect(trl).toContain(`"max_steps": ${record.experiment.reward_model.steps * record.experiment.schedule.rounds}`);
    expect(trl).toContain('RewardTrainer');
    expect(trl).toContain('DPOTrainer');
  });

  it('load_in_python.py (numpy + stdlib) reads the exported safetensors and preferences', async (ctx) => {
    const py = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' });
    if (py.status !== 0) return ctx.skip();
    const out = join(dir, 'bundle');
    for (const [name, data] of Object.entries(files())) {
      await mkdir(dirname(join(out, name)), { recursive: true });
      await writeFile(join(out, name), data);
    }
    execFileSync('python3', ['-m', 'py_compile', join(out, 'train_trl.py'), join(out, 'load_in_python.py')]);
    const result = JSON.parse(execFileSync('python3', [join(out, 'load_in_python.py'), '--json'], { encoding: 'utf8' }));
    const decisive = record.labels.filter((l) => l.answer === 'a' || l.answer === 'b').length;
    expect(result.preferences).toBe(decisive);
    for (const [name, m] of Object.entries(record.models)) {
      for (const [k, w] of Object.entries(m.weights)) {
        const t = result.models[name].tensors[k];
        expect(t.shape).toEqual(w.shape);
        expect(t.sum).toBeCloseTo(w.data.reduce((s, x) => s + x, 0), 3);
      }
    }
    // numpy's reward model agrees with the lab's own (plain-JS, report.ts) on which side of each pair scores higher.
    const rm = record.models.reward_model;
    const decisiveLabels = record.labels.filter((l) => l.answer === 'a' || l.answer === 'b');
    const agree = decisiveLabels.filter((l) => {
      const [c, r] = l.answer === 'a' ? [l.a, l.b] : [l.b, l.a];
      return mlpScore(rm.weights, rm.spec, ...(c as [number, number])) > mlpScore(rm.weights, rm.spec, ...(r as [number, number]));
    }).length;
    expect(result.reward_model_agrees_with_preferences).toBeCloseTo(agree / decisiveLabels.length, 2);
    expect(result.reward_model_agrees_with_preferences).toBeGreaterThan(0.6);
  });
});

describe('import', () => {
  it('a bundle imports as a new run that verifies and resumes exactly where the export stood', async () => {
    const store = new MemoryStore();
    const { runId, summary } = await importBundle(store, bundle, 'my.zip', NOW);
    expect(summary).toMatchObject({ kind: 'bundle', name: 'my run', experiment: 'landscape-hello', labels: record.labels.length });
    expect(summary.models.find((m) => m.name === 'reward_model')!.parameters).toBe(2 * 16 + 16 + 16 + 1);
    const loaded = await loadCheckpoint(store, runId);
    expect(loaded!.notice).toBeUndefined();
    const { sha256: _a, runId: _b, ...got } = loaded!.record;
    const { sha256: _c, runId: _d, ...want } = record;
    // As in every JSON form of a record (CLI files too), a NaN metric comes back as null; the rest is exact.
    const nanAsNull = (m: object[]) => JSON.parse(JSON.stringify(m));
    expect({ ...got, metrics: nanAsNull(got.metrics) }).toEqual({ ...want, metrics: nanAsNull(want.metrics) });
    expect(new Uint8Array(got.models.policy.weights.means.data.buffer)).toEqual(new Uint8Array(want.models.policy.weights.means.data.buffer));
    expect((await listRuns(store))[0].name).toBe('my run (imported)');
  });

  it('packRecord / unpackRecord is exact', async () => {
    const { json, bin } = packRecord(record);
    const back = unpackRecord(json, bin) as CheckpointRecord;
    expect(await hashRecord(back)).toBe(record.sha256);
  });

  it('refuses a bundle edited after export, with nothing stored', async () => {
    const f = files();
    const edit = (name: string, change: (s: string) => string) =>
      zipSync({ ...f, [name]: strToU8(change(strFromU8(f[name]))) });
    const store = new MemoryStore();
    const cases: [Uint8Array, RegExp][] = [
      [edit('checkpoint/record.json', (s) => s.replace('"kl_coef":0.05', '"kl_coef":0.5')), /changed after it was exported/],
      [zipSync({ ...f, 'models/policy.safetensors': f['models/reference.safetensors'] }), /policy.safetensors differs from the checkpoint/],
      [edit('manifest.json', (s) => s.replace('rlhf-lab-bundle', 'other')), /does not describe an RLHF Lab bundle/],
      [edit('manifest.json', (s) => s.replace('"version": 1', '"version": 9')), /newer lab/],
      [zipSync({ 'manifest.json': f['manifest.json'] }), /has no checkpoint\/record.json/],
      [bundle.subarray(0, 200), /damaged zip|has no/],
      [strToU8('PK\u0003\u0004 nonsense'), /damaged zip/],
    ];
    for (const [bytes, why] of cases) {
      await expect(importBundle(store, bytes, 'x.zip')).rejects.toThrow(why);
      await expect(importBundle(store, bytes, 'x.zip')).rejects.toBeInstanceOf(ImportError);
    }
    expect(store.map.size).toBe(0);
  });

  it('reads preference JSONL in TRL layout and lab points back as landscape labels', async () => {
    const bytes = strToU8(preferencesJsonl(record.experiment, record.labels));
    const r = await readImport(bytes, 'prefs.jsonl');
    expect(r.summary.kind).toBe('preferences');
    if (r.summary.kind !== 'preferences' || !('labels' in r)) throw new Error('expected preferences');
    expect(r.summary.layout).toBe('trl');
    expect(r.summary.ignoredColumns).toEqual(['id', 'round']);
    const decisive = record.labels.filter((l) => l.answer === 'a' || l.answer === 'b');
    expect(r.labels).toHaveLength(decisive.length);
    const d0 = decisive[0];
    expect((r.labels![0].a as number[])[0]).toBeCloseTo(((d0.answer === 'a' ? d0.a : d0.b) as number[])[0], 5);
    expect(r.labels![0].labeler).toBe('imported:simulated:0');
  });

  it('reads the Anthropic HH layout, splitting the shared conversation into the prompt', () => {
    const chosen = '\n\nHuman: What is <script>alert(1)</script>?\n\nAssistant: A tag.\n\nHuman: And?\n\nAssistant: Harmless here.';
    const rejected = '\n\nHuman: What is <script>alert(1)</script>?\n\nAssistant: A tag.\n\nHuman: And?\n\nAssistant: Run it!';
    expect(splitHH(chosen, rejected)).toEqual({
      prompt: '\n\nHuman: What is <script>alert(1)</script>?\n\nAssistant: A tag.\n\nHuman: And?\n\nAssistant:',
      chosen: ' Harmless here.',
      rejected: ' Run it!',
    });
    const r = readPreferences(strToU8(JSON.stringify({ chosen, rejected }) + '\n' + JSON.stringify({ chosen: 'x', rejected: 'y' }) + '\n'));
    expect(r.summary.layout).toBe('hh');
    expect(r.summary.pairs).toBe(2);
    expect(r.labels).toBeNull(); // text, not points
    expect(r.file.preferences[1]).toMatchObject({ prompt: '', chosen: 'x', rejected: 'y' });
  });

  it('names the line and the field of every problem in a bad preference file', () => {
    const bad = (s: string) => {
      try {
        parsePreferencesJsonl(s, 'p.jsonl');
      } catch (e) {
        return (e as Error).message;
      }
      throw new Error('accepted');
    };
    expect(bad('{"prompt":"p","chosen":"a"}\n')).toContain('line 1: rejected: missing');
    expect(bad('{"prompt":"p","chosen":"a","rejected":"b"}\n{oops\n')).toMatch(/line 2: not valid JSON/);
    expect(bad('{"chosen":1,"rejected":"b"}')).toMatch(/line 1: chosen: expected string, got 1/);
    expect(bad('{"chosen":[{"role":"user","content":"x"}],"rejected":"b"}')).toMatch(/conversational layout\) is not supported/);
    expect(bad('[{"chosen":"a","rejected":"b"}]')).toMatch(/one JSON array; the layout is JSON Lines/);
    expect(bad('{"chosen":"a","rejected":"a"}')).toMatch(/same text/);
    expect(bad('{"chosen":"a","rejected":"b","time":"yesterday"}')).toMatch(/time: "yesterday" is not a date/);
    expect(bad('\n\n')).toMatch(/empty/);
    expect(parsePreferencesJsonl('{"chosen":"a","rejected":"b"}').preferences).toHaveLength(1);
    expect(() => readPreferences(new Uint8Array([0xff, 0xfe, 0x00]), 'bin.jsonl')).toThrow(/not UTF-8 text/);
  });

  it('readBundle is what the CLI prints from', async () => {
    const { summary } = await readBundle(bundle);
    expect(summary.files).toContain('checkpoint/record.json');
    expect(summary.position.stage).toBe('done');
  });
});
