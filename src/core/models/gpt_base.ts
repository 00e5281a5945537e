// A pretrained base GPT as the lab ships it (public/<task>/base.json + base.bin): how it is trained from scratch on a
// task's corpus, deterministically from a seed, and how it is written and read back with its SHA-256 checked. Every
// GPT task (text, pixels) starts its policy and reward model from one, and keeps it frozen as π_ref.
// base.json holds the config, a tensor manifest and the SHA-256 of the weights; base.bin the weights (float32,
// little-endian, in manifest order).
import { tf } from '../tf';
import { Rng } from '../rng';
import { Adam } from '../optim';
import { initGpt, type GptConfig } from './gpt';
import { disposeParams, gradsOf, makeParams, readWeights, type Weights } from './params';
import { lmLoss } from '../algos/sft';
import { sha256Hex } from '../checkpoint/record';

export const BASE_FORMAT = 'rlhf-lab-gpt';

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

/**
 * Trains a GPT from scratch on batches of token rows (`nextBatch(B, rng)`: int32 [B, T]): next-token loss, Adam with
 * linear warmup and cosine decay to lr/10. Returns its weights and the smoothed final loss.
 */
export async function pretrainGpt(
  cfg: GptConfig,
  nextBatch: (B: number, rng: Rng) => Int32Array,
  opts: PretrainOptions,
): Promise<{ weights: Weights; loss: number }> {
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
      const ids = nextBatch(opts.batch, rng);
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
    return { weights: await readWeights(params), loss: smooth };
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
  /** `rebuild`: the command that rebuilds the model (`npm run pretrain`). */
  constructor(message: string, rebuild = '`npm run pretrain`') {
    super(`The base model could not be loaded: ${message}. Reinstall the lab's files or rebuild them with ${rebuild}.`);
    this.name = 'BaseModelError';
  }
}

/** A base model from its two files, refused unless it is a lab GPT of `vocab` whose weights match their SHA-256. */
export async function decodeBaseModel(jsonText: string, bin: Uint8Array, vocab: string, rebuild?: string): Promise<BaseModel> {
  const fail = (message: string) => new BaseModelError(message, rebuild);
  let m: Manifest;
  try {
    m = JSON.parse(jsonText) as Manifest;
  } catch (e) {
    throw fail(`base.json is not valid JSON (${(e as Error).message})`);
  }
  if (m?.format !== BASE_FORMAT || m.version !== 1) throw fail('base.json is not a version-1 lab GPT manifest');
  if (m.meta?.vocab !== vocab) throw fail('base.json was trained on a different vocabulary');
  if (bin.length !== m.bytes) throw fail(`base.bin holds ${bin.length} bytes, the manifest says ${m.bytes}`);
  if ((await sha256Hex(bin)) !== m.sha256) throw fail('base.bin does not match its SHA-256 (damaged or replaced)');
  const floats = fromLittleEndian(bin);
  const weights: Weights = {};
  for (const t of m.tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    weights[t.name] = { shape: t.shape, data: floats.slice(t.offset / 4, t.offset / 4 + n) };
  }
  const expected = Object.keys(initGpt({ ...m.config, V: 1, T: 1, d: m.config.H, L: m.config.L }, new Rng(0)));
  for (const name of expected) if (!weights[name]) throw fail(`base.json lacks the tensor "${name}"`);
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
