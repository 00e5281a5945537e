// The corpus the base model learns language from: one sentence per line (public/text/corpus.txt).
import type { Rng } from '../../rng';
import { BOS, encode } from './vocab';

export class CorpusError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CorpusError';
  }
}

/** Lines of a corpus file, each encoded; refuses an empty corpus or one with characters outside the vocabulary. */
export function parseCorpus(text: string): number[][] {
  const lines = text.split('\n').filter((l) => l.trim().length > 0);
  if (lines.length === 0) throw new CorpusError('the corpus is empty: it needs at least one line of text');
  return lines.map((l, i) => {
    try {
      return encode(l);
    } catch (e) {
      throw new CorpusError(`corpus line ${i + 1}: ${(e as Error).message}`);
    }
  });
}

/**
 * A batch of B training sequences of N tokens, each BOS then whole lines from a random one, every line
 * ended by EOS (which is BOS): exactly what a completion looks like when the lab samples one.
 */
export function corpusBatch(lines: number[][], B: number, N: number, rng: Rng): Int32Array {
  const out = new Int32Array(B * N);
  for (let b = 0; b < B; b++) {
    let i = rng.int(lines.length);
    let t = 0;
    out[b * N + t++] = BOS;
    while (t < N) {
      for (const tok of lines[i]) {
        if (t >= N) break;
        out[b * N + t++] = tok;
      }
      if (t < N) out[b * N + t++] = BOS;
      i = (i + 1) % lines.length;
    }
  }
  return out;
}
