// The pretrained base model of the text task: a small character GPT trained on the shipped corpus by
// `npm run pretrain`, deterministically from a seed. Every text run starts its policy and reward model from it,
// and it is the frozen reference policy π_ref. Stored as public/text/base.json beside public/text/base.bin
// (models/gpt_base.ts: the format every GPT task's base model shares).
import type { GptConfig } from '../../models/gpt';
import { decodeBaseModel as decodeGptBase, pretrainGpt, type BaseModel, type PretrainOptions } from '../../models/gpt_base';
import { corpusBatch } from './corpus';
import { TEXT_CONTEXT, VOCAB } from './vocab';

export { BASE_FORMAT, BaseModelError, encodeBaseModel, type BaseModel, type PretrainOptions } from '../../models/gpt_base';

export const BASE_JSON = 'text/base.json';
export const BASE_BIN = 'text/base.bin';
export const CORPUS = 'text/corpus.txt';
export const LEXICON = 'text/lexicon.json';

/** The base model's shape: small enough to pretrain in minutes on a CPU and to ship in a few hundred KB. */
export const BASE_CONFIG: GptConfig = { V: VOCAB.length, T: TEXT_CONTEXT, d: 64, L: 2, H: 4, act: 'relu' };

/** Trains the base model from scratch on the corpus' lines: next-token loss, Adam with warmup and cosine decay. */
export async function pretrain(lines: number[][], corpusSha: string, opts: PretrainOptions): Promise<BaseModel> {
  const cfg = BASE_CONFIG;
  const { weights, loss } = await pretrainGpt(cfg, (B, rng) => corpusBatch(lines, B, cfg.T, rng), opts);
  const { seed, steps, batch, lr } = opts;
  return { config: cfg, weights, meta: { seed, steps, batch, lr, loss, corpus_sha256: corpusSha, vocab: VOCAB } };
}

/** The text task's base model from its two files (the character vocabulary's). */
export function decodeBaseModel(jsonText: string, bin: Uint8Array): Promise<BaseModel> {
  return decodeGptBase(jsonText, bin, VOCAB);
}
