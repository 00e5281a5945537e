// The pretrained base model of the pixels task: the lab's GPT over the palette, trained by
// `rlhf-lab pretrain --task pixels` on pictures the corpus generator draws (corpus.ts), deterministically from a
// seed. Every pixels run starts its policy and reward model from it, and it is the frozen reference policy π_ref.
// Stored as public/pixels/base.json beside public/pixels/base.bin, in the format of models/gpt_base.ts.
import type { GptConfig } from '../../models/gpt';
import { decodeBaseModel, pretrainGpt, type BaseModel, type PretrainOptions } from '../../models/gpt_base';
import { sha256Hex } from '../../checkpoint/record';
import { pictureBatch, pictureCorpus } from './corpus';
import { PIXEL_CONTEXT, PIXEL_VOCAB, VOCAB_SIZE } from './picture';

export const PIXEL_BASE_JSON = 'pixels/base.json';
export const PIXEL_BASE_BIN = 'pixels/base.bin';
const REBUILD = '`rlhf-lab pretrain --task pixels`';

/** Small enough to pretrain in minutes on a CPU, to ship in well under 1 MB, and to sample 100 pixels quickly. */
export const PIXEL_BASE_CONFIG: GptConfig = { V: VOCAB_SIZE, T: PIXEL_CONTEXT, d: 32, L: 2, H: 4, act: 'relu' };

/** Pictures in the corpus the base model learns from: each batch draws from them. */
export const CORPUS_PICTURES = 20_000;

/** Trains the pixels base model from scratch on the generated pictures of the corpus of `opts.seed`. */
export async function pretrainPixels(opts: PretrainOptions): Promise<BaseModel> {
  const rows = pictureCorpus(CORPUS_PICTURES, opts.seed);
  const corpusSha = await sha256Hex(Uint8Array.from(rows.flat()));
  const { weights, loss } = await pretrainGpt(PIXEL_BASE_CONFIG, (B, rng) => pictureBatch(rows, B, rng), opts);
  const { seed, steps, batch, lr } = opts;
  return { config: PIXEL_BASE_CONFIG, weights, meta: { seed, steps, batch, lr, loss, corpus_sha256: corpusSha, vocab: PIXEL_VOCAB } };
}

/** The pixels base model from its two files, its SHA-256 checked. */
export function decodePixelBase(jsonText: string, bin: Uint8Array): Promise<BaseModel> {
  return decodeBaseModel(jsonText, bin, PIXEL_VOCAB, REBUILD);
}
