// The pretrained base model of the text task: a small character GPT trained on the shipped corpus by
// `npm run pretrain`, deterministically from a seed. Every text run starts its policy and reward model from it,
// and it is the frozen reference policy π_ref. Stored as public/text/base.json (config, tensor manifest,
// SHA-256 of the weights) beside public/text/base.bin (float32, little-endian, in manifest order).
import { tf } from '../../tf';
import { Rng } from '../../rng';
import { Adam } from '../../optim';
import { initGpt, type GptConfig } from '../../models/gpt';
import { disposeParams, gradsOf, makeParams, readWeights, type Weights } from '../../models/params';
import { lmLoss } from '../../algos/sft';
import { sha256Hex } from '../../checkpoint/record';
import { corpusBatch } from './corpus';
import { TEXT_CONTEXT, VOCAB } from './vocab';

export const BASE_FORMAT = 'rlhf-lab-gpt';
export const BASE_JSON = 'text/base.json';
export const BASE_BIN = 'text/base.bin';
export const CORPUS = 'text/corpus.txt';
export const LEXICON = 'text/lexicon.json';

/** The base model's shape: small enough to pretrain in minutes on a CPU and to ship in a few hundred KB. */
export const BASE_CONFIG: GptConfig = { V: VOCAB.length, T: TEXT_CONTEXT, d: 64, L: 2, H: 4, act: 'relu' };

export interface PretrainOptions {
  seed: number;
  steps: number;
  batch: number;
  lr: number;
  /** Called every few steps with the running loss. */
  onProgress?(step: number, loss: number): void;
}

export interface BaseModel {
  config: GptConfig;
  weights: Weights;
  meta: {
    seed: number; steps: number; batch: number; lr: number; loss: number; corpus_sha256: string; vocab: string;
    /** Where a base model not pretrained by the lab came from (`rlhf-lab run --base DIR`). */
    source?: string;
  };
}

/** Trains the base model from scratch: next-token loss, Adam with linear warmup and cosine decay to lr/10. */
export async function pretrain(lines: number[][], corpusSha: string, opts: PretrainOptions): Promise<BaseModel> {
  const cfg = BASE_CONFIG;
  const rng = new Rng(opts.seed);
  const params = makeParams(initGpt(cfg, new Rng(rng.seed())));
  const adam = new Adam(params, opts.lr);
  const warmup = Math.min(100, Math.floor(opts.steps / 10));
  let smooth = Number.NaN;
  try {
    for (let step = 0; step < opts.steps; step++) {
      const progress = step < warmup ? (step + 1) / warmup : 1;
      const cosine = 0.5 * (1 + Math.cos((Math.PI * Math.max(0, step - warmup)) / Math.max(1, opts.steps - warmup)));
      adam.lr = opts.lr * progress * (0.1 + 0.9 * cosine);
      const ids = corpusBatch(lines, opts.batch, cfg.T, rng);
      const lossT = tf.tidy(() => {
        const x = tf.tensor2d(ids, [opts.batch, cfg.T], 'int32');
        const { value, grads } = gradsOf(params, () => lmLoss(cfg, params, x));
        adam.step(grads);
        return value;
      });
      if (step % 10 === 0 || step === opts.steps - 1) {
        const loss = (await lossT.data())[0];
        smooth = Number.isNaN(smooth) ? loss : 0.9 * smooth + 0.1 * loss;
        opts.onProgress?.(step, smooth);
      }
      lossT.dispose();
    }
    const weights = await readWeights(params);
    const { seed, steps, batch, lr } = opts;
    return { config: cfg, weights, meta: { seed, steps, batch, lr, loss: smooth, corpus_sha256: corpusSha, vocab: VOCAB } };
  } finally {
    disposeParams(params);
    adam.dispose();
  }
}

interface Manifest {
  format: typeof BASE_FORMAT;
  version: 1;
  config: GptConfig;
  meta: BaseModel['meta'];
  tensors: { name: string; shape: number[]; offset: number }[];
  bytes: number;
  sha256: string;
}

export async function encodeBaseModel(model: BaseModel): Promise<{ json: string; bin: Uint8Array }> {
  const names = Object.keys(model.weights).sort();
  const total = names.reduce((n, k) => n + model.weights[k].data.length, 0);
  const all = new Float32Array(total);
  const tensors: Manifest['tensors'] = [];
  let o = 0;
  for (const name of names) {
    const w = model.weights[name];
    all.set(w.data, o);
    tensors.push({ name, shape: w.shape, offset: o * 4 });
    o += w.data.length;
  }
  const bin = littleEndianBytes(all);
  const manifest: Manifest = {
    format: BASE_FORMAT,
    version: 1,
    config: model.config,
    meta: model.meta,
    tensors,
    bytes: bin.length,
    sha256: await sha256Hex(bin),
  };
  return { json: JSON.stringify(manifest, null, 1), bin };
}

export class BaseModelError extends Error {
  constructor(message: string) {
    super(`The base model could not be loaded: ${message}. Reinstall the lab's files or rebuild them with \`npm run pretrain\`.`);
    this.name = 'BaseModelError';
  }
}

export async function decodeBaseModel(jsonText: string, bin: Uint8Array): Promise<BaseModel> {
  let m: Manifest;
  try {
    m = JSON.parse(jsonText) as Manifest;
  } catch (e) {
    throw new BaseModelError(`base.json is not valid JSON (${(e as Error).message})`);
  }
  if (m?.format !== BASE_FORMAT || m.version !== 1) throw new BaseModelError('base.json is not a version-1 lab GPT manifest');
  if (m.meta?.vocab !== VOCAB) throw new BaseModelError('base.json was trained on a different vocabulary');
  if (bin.length !== m.bytes) throw new BaseModelError(`base.bin holds ${bin.length} bytes, the manifest says ${m.bytes}`);
  if ((await sha256Hex(bin)) !== m.sha256) throw new BaseModelError('base.bin does not match its SHA-256 (damaged or replaced)');
  const floats = fromLittleEndian(bin);
  const weights: Weights = {};
  for (const t of m.tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    weights[t.name] = { shape: t.shape, data: floats.slice(t.offset / 4, t.offset / 4 + n) };
  }
  const expected = Object.keys(initGpt({ ...m.config, V: 1, T: 1, d: m.config.H, L: m.config.L }, new Rng(0)));
  for (const name of expected) if (!weights[name]) throw new BaseModelError(`base.json lacks the tensor "${name}"`);
  return { config: m.config, weights, meta: m.meta };
}

function littleEndianBytes(x: Float32Array): Uint8Array {
  const out = new Uint8Array(x.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < x.length; i++) view.setFloat32(i * 4, x[i], true);
  return out;
}

function fromLittleEndian(bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}
