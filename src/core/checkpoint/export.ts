// One zip holding a run, for people and for other tools (fflate, built in the worker or the CLI, never in the UI):
//   manifest.json            what this is, which lab wrote it, the files
//   experiment.json          the experiment, as `rlhf-lab run` and the tab read it
//   preferences.jsonl        prompt / chosen / rejected (+ labeler, time), as TRL and HF datasets use
//   metrics.jsonl            one row per policy iteration, as the CLI writes it
//   models/<name>/model.json + weights.bin    TensorFlow.js weights (tf.io.loadWeights reads them)
//   models/<name>.safetensors                 the same weights as safetensors, with the model's spec as metadata
//   REWARD_REPORT.md         the disclosure RLHF.md asks for, filled from the run
//   load_in_python.py        numpy + stdlib loader;  train_trl.py: continue in TRL with this run's hyperparameters
//   checkpoint/record.json + checkpoint/arrays.bin   the exact checkpoint, so an import resumes bit for bit
//   hf/<model>/              text runs: each model as a Hugging Face transformers folder (hf.ts), and
//   check.json               prompts and completions with the lab's log-probabilities and rewards (hf_check.ts)
//   pictures/*.png           pixels runs: sheets of the latest samples and of the comparisons (the task's own files)
// A model the run's algorithm never fits (a DPO run's reward model, which stays at its initial weights) is left out
// of models/ and hf/; the checkpoint keeps it, so an import resumes exactly.
import { strToU8, zipSync, type Zippable } from 'fflate';
import type { CheckpointRecord } from './record';
import { writeSafetensors } from './safetensors';
import { preferencesJsonl } from '../feedback/preferences_io';
import { rewardReport } from '../analysis/report';
import { LOAD_IN_PYTHON, trainTrl } from './python';
import type { Weights } from '../models/params';
import { algorithmOf } from '../algos/registry';
import { hfFolder, hfModelsOf } from './hf';
import { hfCheck, type CheckJson } from './hf_check';
import { taskOf } from '../tasks/registry';

export const BUNDLE_FORMAT = 'rlhf-lab-bundle';
export const BUNDLE_VERSION = 1;

export interface Manifest {
  format: typeof BUNDLE_FORMAT;
  version: number;
  lab: string;
  runId: string;
  name: string;
  createdAt: string;
  models: string[];
  files: string[];
}

/** A record as JSON plus one binary blob: each Float32Array becomes {"$f32": [byteOffset, length]} into the blob. */
export function packRecord(record: CheckpointRecord): { json: string; bin: Uint8Array } {
  const parts: Uint8Array[] = [];
  let offset = 0;
  const json = JSON.stringify(record, (_k, v) => {
    if (v instanceof Float32Array) {
      const bytes = new Uint8Array(v.length * 4);
      new Float32Array(bytes.buffer).set(v);
      parts.push(bytes);
      const ref = { $f32: [offset, v.length] };
      offset += bytes.length;
      return ref;
    }
    return v;
  });
  const bin = new Uint8Array(offset);
  let at = 0;
  for (const p of parts) {
    bin.set(p, at);
    at += p.length;
  }
  return { json, bin };
}

export class BundleError extends Error {
  override name = 'BundleError';
}

/** The inverse of packRecord; every array reference is checked against the blob. */
export function unpackRecord(json: string, bin: Uint8Array, maxBytes = bin.length): unknown {
  const aligned = new Uint8Array(bin); // a copy at offset 0, so Float32Array views are aligned
  // Each reference is copied out: bound their sum by what arrays.bin holds, so that many references to one large
  // range cannot make a small bundle allocate gigabytes.
  let materialized = 0;
  return JSON.parse(json, (_k, v) => {
    if (v && typeof v === 'object' && !Array.isArray(v) && '$f32' in v) {
      const ref = (v as { $f32: unknown }).$f32;
      if (Object.keys(v).length !== 1 || !Array.isArray(ref) || ref.length !== 2 || !ref.every((x) => Number.isSafeInteger(x) && x >= 0)) {
        throw new BundleError('checkpoint/record.json has a malformed array reference');
      }
      const [off, len] = ref as [number, number];
      if (off % 4 !== 0 || off + 4 * len > aligned.length) {
        throw new BundleError('checkpoint/record.json points past the end of checkpoint/arrays.bin');
      }
      materialized += 4 * len;
      if (materialized > maxBytes) {
        throw new BundleError(`checkpoint/record.json refers to more array data (over ${maxBytes} bytes) than checkpoint/arrays.bin holds`);
      }
      return new Float32Array(aligned.buffer.slice(off, off + 4 * len));
    }
    return v;
  });
}

/** TensorFlow.js weights: model.json with a weightsManifest (tf.io.loadWeights format) and weights.bin. */
function tfjsModel(name: string, weights: Weights, spec: Record<string, unknown>, lab: string): { modelJson: string; bin: Uint8Array } {
  const names = Object.keys(weights).sort();
  const total = names.reduce((s, n) => s + weights[n].data.length, 0);
  const bin = new Uint8Array(total * 4);
  const f32 = new Float32Array(bin.buffer);
  let at = 0;
  for (const n of names) {
    f32.set(weights[n].data, at);
    at += weights[n].data.length;
  }
  const modelJson = {
    format: 'rlhf-lab-params',
    generatedBy: `RLHF Lab ${lab}`,
    convertedBy: null,
    // Not a tf.LayersModel: plain named parameters and the spec the lab builds its model from.
    modelTopology: { model: name, spec },
    weightsManifest: [{ paths: ['weights.bin'], weights: names.map((n) => ({ name: n, shape: weights[n].shape, dtype: 'float32' })) }],
  };
  return { modelJson: JSON.stringify(modelJson, null, 2), bin };
}

const jsonl = (rows: unknown[]) => (rows.length ? rows.map((r) => JSON.stringify(r)).join('\n') + '\n' : '');

/** The models an export carries: all but a reward model the run's algorithm never trains (DPO and the offline methods). */
export function exportedModels(record: CheckpointRecord): string[] {
  const fitsRewardModel = algorithmOf(record.experiment.optimizer).usesRewardModel;
  return Object.keys(record.models).filter((m) => fitsRewardModel || !m.startsWith('reward_model'));
}

/** The export zip with check.json: the lab's numbers for the HF folders need the GPT, so this one is async. */
export async function exportBundle(record: CheckpointRecord, name = record.experiment.name, now = Date.now()): Promise<Uint8Array> {
  return buildBundle(record, name, now, await hfCheck(record));
}

/** The export zip of a checkpoint. `now` fixes the manifest's date (tests); `check` is hfCheck's, where computed. */
export function buildBundle(record: CheckpointRecord, name = record.experiment.name, now = Date.now(), check: CheckJson | null = null): Uint8Array {
  const e = record.experiment;
  const files: Record<string, Uint8Array> = {};
  const put = (path: string, data: string | Uint8Array) => (files[path] = typeof data === 'string' ? strToU8(data) : data);
  put('experiment.json', JSON.stringify(e, null, 2) + '\n');
  put('preferences.jsonl', preferencesJsonl(e, record.labels));
  put('metrics.jsonl', jsonl(record.metrics));
  const models = exportedModels(record);
  for (const model of models) {
    const { weights, spec } = record.models[model];
    const tfjs = tfjsModel(model, weights, spec, record.versions.lab);
    put(`models/${model}/model.json`, tfjs.modelJson);
    put(`models/${model}/weights.bin`, tfjs.bin);
    put(
      `models/${model}.safetensors`,
      writeSafetensors(weights, {
        format: 'np',
        model,
        spec: JSON.stringify(spec),
        task: e.task.kind,
        experiment: e.name,
        lab: record.versions.lab,
      }),
    );
  }
  put('REWARD_REPORT.md', rewardReport(record));
  put('load_in_python.py', LOAD_IN_PYTHON);
  for (const model of hfModelsOf(record)) {
    for (const [path, data] of Object.entries(hfFolder(record, model))) put(`hf/${model}/${path}`, data);
  }
  // One row per line: readable, and a diff shows which row changed.
  if (check) {
    const { rows, ...head } = check;
    put('check.json', `${JSON.stringify(head).slice(0, -1)},"rows":[\n${rows.map((r) => JSON.stringify(r)).join(',\n')}\n]}\n`);
  }
  for (const [path, data] of Object.entries(taskOf(e.task).exportFiles?.(record) ?? {})) put(path, data);
  put('train_trl.py', trainTrl(e));
  const packed = packRecord(record);
  put('checkpoint/record.json', packed.json);
  put('checkpoint/arrays.bin', packed.bin);
  const manifest: Manifest = {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    lab: record.versions.lab,
    runId: record.runId,
    name,
    createdAt: new Date(now).toISOString(),
    models,
    files: Object.keys(files).sort(),
  };
  const zip: Zippable = { 'manifest.json': strToU8(JSON.stringify(manifest, null, 2) + '\n') };
  for (const [path, data] of Object.entries(files)) {
    // Weights barely compress; store them and save the time.
    zip[path] = /\.(bin|safetensors)$/.test(path) ? [data, { level: 0 }] : data;
  }
  return zipSync(zip, { level: 6, mtime: new Date(now) });
}

/** A file name for the bundle: the run's name, safe on every file system. */
export function bundleFileName(name: string): string {
  return `${name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'run'}.rlhf-lab.zip`;
}
