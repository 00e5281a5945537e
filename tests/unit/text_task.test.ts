// The text task's pieces that need no model: the vocabulary, the gold rewards (worked by hand from AFINN-165 and
// CMU syllable counts), the corpus reader, and the experiment checks that only apply to text.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { decode, encode, unknownChars, VocabError, VOCAB } from '../../src/core/tasks/text/vocab';
import { fallbackSyllables, goldReward, labelerBias, syllables, words, type Lexicon } from '../../src/core/tasks/text/gold';
import { corpusBatch, CorpusError, parseCorpus } from '../../src/core/tasks/text/corpus';
import { applyOverrides, ExperimentError } from '../../src/core/experiment/parse';
import { preset } from '../../src/core/experiment/presets';
import { Rng } from '../../src/core/rng';

const ROOT = resolve(__dirname, '../..');

describe('vocabulary', () => {
  it('round-trips text and refuses characters it lacks, naming them', () => {
    expect(decode(encode("it's fine, really!\n"))).toBe("it's fine, really!\n");
    expect(VOCAB.length).toBe(34);
    expect(unknownChars('Hi <b>')).toEqual(['H', '<', '>']);
    expect(() => encode('Café')).toThrow(VocabError);
    expect(() => encode('Café')).toThrow(/"C", "é"/);
  });
});

describe('gold rewards', () => {
  const lex: Lexicon = { the: 1, lake: 1, was: 1, beautiful: 3 };

  it('sentiment sums AFINN-165 scores of the completion words (good +3, happy +3, awful −3, storm 0)', () => {
    expect(goldReward({ kind: 'sentiment' }, 'the movie was', ' good and happy.\n', lex)).toBe(6);
    expect(goldReward({ kind: 'sentiment' }, 'what an', ' awful storm!', lex)).toBe(-3);
    // The prompt does not count: both completions of a pair share it.
    expect(goldReward({ kind: 'sentiment' }, 'a terrible', ' day', lex)).toBe(0);
  });

  it('syllables count prompt plus completion from the lexicon, with a vowel-group fallback', () => {
    expect(syllables('the lake was beautiful', lex)).toBe(6);
    expect(goldReward({ kind: 'syllables', target: 5 }, 'the lake', ' was beautiful.\n', lex)).toBe(-1);
    expect(fallbackSyllables('cake')).toBe(1); // silent final e
    expect(fallbackSyllables('zorble')).toBe(2); // consonant + le keeps its syllable
    expect(fallbackSyllables('happy')).toBe(2);
    expect(fallbackSyllables('queue')).toBe(1);
    expect(syllables('the zorble', lex)).toBe(3);
  });

  it('the shipped lexicon has the CMU dictionary counts', () => {
    const shipped = JSON.parse(readFileSync(resolve(ROOT, 'public/text/lexicon.json'), 'utf8')) as Lexicon;
    expect(shipped).toMatchObject({ the: 1, movie: 2, beautiful: 3, wonderful: 3, lake: 1, today: 2, library: 3 });
  });

  it('length, keyword and a labeler\'s length bias', () => {
    expect(goldReward({ kind: 'length', target: 5 }, 'p', 'abc\n', lex)).toBeCloseTo(-0.4, 9);
    expect(goldReward({ kind: 'keyword', word: 'cat' }, 'the', ' cat sat', lex)).toBe(1);
    expect(goldReward({ kind: 'keyword', word: 'cat' }, 'the', ' concatenation', lex)).toBe(0);
    expect(labelerBias(0.25, 'abcd\n')).toBeCloseTo(1, 9);
    expect(words("it's a dog's day")).toEqual(["it's", 'a', "dog's", 'day']);
  });
});

describe('corpus', () => {
  it('refuses an empty corpus and lines with unknown characters, with the line number', () => {
    expect(() => parseCorpus('\n  \n')).toThrow(CorpusError);
    expect(() => parseCorpus('\n  \n')).toThrow(/empty/);
    expect(() => parseCorpus('fine line.\nBad Line\n')).toThrow(/corpus line 2: .*"B"/);
  });

  it('batches start with BOS and lay whole lines out, each ended by EOS', () => {
    const lines = parseCorpus('ab\ncde\n');
    const batch = corpusBatch(lines, 3, 8, new Rng(1));
    for (let b = 0; b < 3; b++) {
      const text = decode(batch.subarray(b * 8, b * 8 + 8));
      expect(text[0]).toBe('\n');
      expect(['\nab\ncde\n', '\ncde\nab\n']).toContain(text);
    }
  });

  it('the shipped corpus is readable and its lines fit the context', () => {
    const lines = parseCorpus(readFileSync(resolve(ROOT, 'public/text/corpus.txt'), 'utf8'));
    expect(lines.length).toBeGreaterThan(1000);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(40);
  });
});

describe('text experiments', () => {
  const base = preset('text-sentiment-ppo')!;

  const problems = (sets: string[]) => {
    try {
      applyOverrides(base, sets);
    } catch (e) {
      expect(e).toBeInstanceOf(ExperimentError);
      return (e as ExperimentError).problems;
    }
    throw new Error('expected an ExperimentError');
  };

  it('refuses a prompt with characters outside the vocabulary, naming the prompt and the characters', () => {
    const p = problems(['task.prompts=["the movie was", "Das <b>Kino</b>"]']);
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^task\.prompts\[1\]: .*outside the vocabulary.*"D".*"<"/);
  });

  it('refuses a prompt that with max_new_tokens does not fit the context', () => {
    const p = problems(['task.max_new_tokens=40', 'task.prompts=["the movie was so"]']);
    expect(p[0]).toMatch(/^task\.prompts\[0\]: 16 characters plus max_new_tokens 40 do not fit .* 48 .* 31\)/);
  });

  it('refuses labeler settings out of range and mismatched task parts', () => {
    expect(problems(['labelers[0].beta=-1'])[0]).toMatch(/^labelers\[0\]\.beta: /);
    expect(problems(['labelers[0].length_bias=99'])[0]).toMatch(/^labelers\[0\]\.length_bias: /);
    expect(problems(['optimizer.minibatches=3'])[0]).toMatch(/^optimizer\.minibatches: 3 does not divide batch_size 32/);
    expect(problems(['task.gold={"kind":"keyword","word":"Cat!"}'])[0]).toMatch(/^task\.gold\.word: /);
    expect(problems(['reward_model.ensemble=3'])[0]).toMatch(/^reward_model\.ensemble: the text task trains one GPT reward model/);
    expect(problems(['optimizer={"algo":"grpo","lr":0.001,"kl_coef":0.1,"k":3,"batch_size":32,"iterations":1}'])[0]).toMatch(/^optimizer\.k: 3 samples per prompt do not divide batch_size 32/);
    expect(problems(['optimizer={"algo":"reinforce","lr":0.001,"kl_coef":0.1,"batch_size":32,"iterations":1}'])[0]).toMatch(/^optimizer\.algo: the text task is optimized with "ppo", "dpo"/);
    const landscape = preset('landscape-hello')!;
    expect(() => applyOverrides(landscape, ['labelers[0].length_bias=0.5'])).toThrow(/length bias applies to text only/);
    expect(() => applyOverrides(landscape, ['policy={"kind":"gpt"}'])).toThrow(/policy\.kind: the landscape task needs "gaussian_mixture"/);
  });
});
