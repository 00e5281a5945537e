// The character vocabulary of the text task. '\n' both opens a sequence (BOS) and ends a completion (EOS),
// as in the corpus, where every line ends with one.
export const VOCAB = "\n !',-.?abcdefghijklmnopqrstuvwxyz";
export const EOS = 0;
export const BOS = 0;

const INDEX = new Map([...VOCAB].map((c, i) => [c, i]));

export class VocabError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VocabError';
  }
}

/** Characters of `text` the vocabulary lacks, each once, in order of appearance. */
export function unknownChars(text: string): string[] {
  return [...new Set([...text].filter((c) => !INDEX.has(c)))];
}

export function encode(text: string): number[] {
  const bad = unknownChars(text);
  if (bad.length) {
    const shown = bad.map((c) => (c === '\t' ? '\\t' : JSON.stringify(c))).join(', ');
    throw new VocabError(
      `${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)} has characters outside the vocabulary: ` +
        `${shown}. The text task knows lowercase letters a–z, space and ${"!',-.?"}; write the text in those.`,
    );
  }
  return [...text].map((c) => INDEX.get(c)!);
}

export function decode(ids: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < ids.length; i++) s += VOCAB[ids[i]] ?? '';
  return s;
}

/** Context length of the base model: BOS + prompt + completion must fit. */
export const TEXT_CONTEXT = 48;
