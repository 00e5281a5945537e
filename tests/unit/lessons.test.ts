// Lessons as data: the schema's errors name the field; links round-trip and refuse what is cut, garbled, too long
// or invalid; each check kind passes and fails on hand-made metric rows with the numbers it read; text stays text.
import { describe, expect, it } from 'vitest';
import { strToU8, zlibSync } from 'fflate';
import { evaluateCheck, describeCheck, stepsRead, type Check } from '../../src/core/lessons/checks';
import { LessonError, parseLesson, parseLessonJson, textBlocks } from '../../src/core/lessons/lesson';
import { decodeLesson, encodeLesson } from '../../src/core/lessons/link';
import { base64url, encodeLink, LinkError, MAX_LINK_CHARS } from '../../src/core/share/link';
import { preset } from '../../src/core/experiment/presets';
import type { MetricRow } from '../../src/core/checkpoint/record';
import { emptyProgress, readProgress, stepsDone } from '../../src/core/lessons/progress';

const lesson = (steps: unknown[] = [], more: object = {}) => ({
  version: 1,
  id: 'demo',
  title: 'A demo',
  summary: 'One run and its check.',
  steps: [
    {
      id: 'run',
      title: 'Run it',
      text: 'Press **Start**.',
      run: { preset: 'landscape-hello', set: ['optimizer.iterations=5'] },
      question: { prompt: 'Will gold rise?', choices: ['yes', 'no'], answer: 0, explanation: 'The RM learned the hill.' },
      check: { kind: 'compare', metric: 'gold/mean', at: 'end', op: '>', than: { metric: 'gold/mean', at: 'start' } },
    },
    ...steps,
  ],
  ...more,
});

function problems(input: unknown): string[] {
  try {
    parseLesson(input);
  } catch (e) {
    if (e instanceof LessonError) return e.problems;
    throw e;
  }
  throw new Error('the lesson was accepted');
}

describe('lesson schema', () => {
  it('accepts a lesson and resolves its run: the preset, the overrides, a name of the lesson and step', () => {
    const l = parseLesson(lesson());
    const e = l.steps[0].experiment!;
    expect(e.name).toBe('demo: run');
    expect(e.optimizer).toMatchObject({ algo: 'reinforce', iterations: 5 });
    expect(e.task).toEqual(preset('landscape-hello')!.task);
  });

  it('names the field of each problem', () => {
    const base = lesson();
    const withCheck = (check: object) => lesson([{ id: 'two', title: 'T', text: '', run: { preset: 'landscape-hello' }, check }]);
    expect(problems(withCheck({ kind: 'compare', metric: 'gold/mena', at: 'end', op: '>', than: 0 }))).toEqual([
      'steps[1].check.metric: unknown metric key "gold/mena"',
    ]);
    expect(problems(withCheck({ kind: 'compare', metric: 'gold/mean', at: 'end', op: '>', than: { metric: 'kl', at: 'end' } }))[0]).toBe(
      'steps[1].check.than.metric: unknown metric key "kl"',
    );
    expect(problems(withCheck({ kind: 'compare', metric: 'gold/mean', at: 'middle', op: '>', than: 0 }))[0]).toMatch(/^steps\[1\]\.check\.at: expected /);
    expect(problems(withCheck({ kind: 'diverge', rising: 'proxy/mean', falling: 'gold/mean', last: 1 }))[0]).toMatch(/^steps\[1\]\.check\.last: expected >=2/);
    expect(problems(withCheck({ kind: 'all', checks: [{ kind: 'diverge', rising: 'proxy/mean', falling: 'gld' }] }))[0]).toBe(
      'steps[1].check.checks[0].falling: unknown metric key "gld"',
    );
    expect(problems({ ...base, version: 2 })[0]).toMatch(/^version: expected 1/);
    expect(problems({ ...base, colour: 'red' })).toEqual(['colour: unknown key (remove it, or check its spelling)']);
    expect(problems({ ...base, id: 'Has Spaces' })[0]).toMatch(/^id: expected an id of lowercase letters/);
    const { title: _t, ...untitled } = base;
    expect(problems(untitled)).toEqual(['title: missing (this field is required)']);
  });

  it('names what is wrong across fields: answers, runs, step references, ids', () => {
    const q = { prompt: 'p', choices: ['a', 'b'], answer: 2, explanation: 'e' };
    expect(problems(lesson([{ id: 'two', title: 'T', text: '', run: { preset: 'landscape-hello' }, question: q }]))).toEqual([
      'steps[1].question.answer: 2 is not the index of one of its 2 choices (the first is 0)',
    ]);
    expect(problems(lesson([{ id: 'two', title: 'T', text: '', run: { preset: 'no-such' } }]))).toEqual([
      'steps[1].run.preset: no preset named "no-such" (rlhf-lab presets lists them)',
    ]);
    expect(problems(lesson([{ id: 'two', title: 'T', text: '', run: { preset: 'landscape-hello', set: ['optimizer.kl_coef=-1'] } }]))[0]).toMatch(
      /^steps\[1\]\.run\.set: optimizer\.kl_coef: expected >=0/,
    );
    expect(problems(lesson([{ id: 'two', title: 'T', text: '', run: { experiment: { version: 1 } } }]))[0]).toMatch(/^steps\[1\]\.run\.experiment: /);
    expect(problems(lesson([{ id: 'two', title: 'T', text: '', run: { experiment: preset('landscape-hello'), set: ['nonsense'] } }]))).toEqual([
      'steps[1].run.set: --set nonsense: expected path=value, e.g. optimizer.kl_coef=0.5',
    ]);
    expect(problems(lesson([{ id: 'two', title: 'T', text: '', run: { link: '#share=v1.AAAA' } }]))[0]).toMatch(/^steps\[1\]\.run\.link: This share link is damaged/);
    expect(
      problems(lesson([{ id: 'two', title: 'T', text: '', check: { kind: 'compare', metric: 'gold/mean', at: 'end', op: '>', than: 0, step: 'later' } }])),
    ).toEqual(['steps[1].check: reads step "later", which is not an earlier step with a run']);
    expect(problems(lesson([{ id: 'run', title: 'T', text: '' }]))).toEqual(['steps[1].id: "run" is the id of an earlier step; step ids must differ']);
    expect(problems(lesson([{ id: 'two', title: 'T', text: '', question: { ...q, answer: 0 } }]))).toEqual([
      'steps[1].question: a "predict, then run" question needs a run in its step',
    ]);
  });

  it('reads a step run from a share link, with overrides', () => {
    const shared = encodeLink(preset('landscape-ridge')!);
    const l = parseLesson(lesson([{ id: 'two', title: 'T', text: '', run: { link: shared, set: ['optimizer.kl_coef=0'] } }]));
    expect(l.steps[1].experiment!.task).toMatchObject({ landscape: 'ridge' });
    expect(l.steps[1].experiment!.optimizer).toMatchObject({ kl_coef: 0 });
  });

  it('reports JSON syntax errors of a file', () => {
    expect(() => parseLessonJson('{"version": 1,')).toThrow(/not valid JSON/);
  });
});

describe('lesson links', () => {
  it('round-trip a lesson as its author wrote it', () => {
    const l = parseLesson(lesson());
    const f = encodeLesson(l);
    expect(f.startsWith('#lesson=v1.')).toBe(true);
    const back = decodeLesson(f);
    expect(back).toEqual(l);
  });

  it('refuse what is too long, cut, garbled, damaged or invalid, saying so', () => {
    const f = encodeLesson(parseLesson(lesson()));
    expect(() => decodeLesson('#lesson=v1.' + 'A'.repeat(MAX_LINK_CHARS))).toThrow(/characters long; the lab opens links up to 8192/);
    expect(() => decodeLesson('#share=v1.AAAA')).toThrow(/not an RLHF Lab lesson link/);
    expect(() => decodeLesson('#lesson=v9.AAAA')).toThrow(/unknown version/);
    expect(() => decodeLesson(f.slice(0, -7))).toThrow(LinkError);
    expect(() => decodeLesson(f.slice(0, 30) + '!' + f.slice(31))).toThrow(/garbled/);
    const flipped = f.slice(0, 40) + (f[40] === 'A' ? 'B' : 'A') + f.slice(41);
    expect(() => decodeLesson(flipped)).toThrow(/damaged/);
    const bad = '#lesson=v1.' + base64url(zlibSync(strToU8(JSON.stringify({ ...lesson(), id: 'BAD ID' }))));
    expect(() => decodeLesson(bad)).toThrow(/holds a lesson that is not valid: id: expected an id/);
  });

  it('refuse to make a link past the cap', () => {
    // Text that does not compress: a pseudo-random string of letters.
    let s = '';
    for (let i = 0, x = 1; i < 10000; i++) s += String.fromCharCode(97 + (((x = (x * 1103515245 + 12345) >>> 0) >>> 16) % 26));
    const long = parseLesson(lesson([{ id: 'two', title: 'T', text: s.slice(0, 5000) }, { id: 'three', title: 'T', text: s.slice(5000) }]));
    expect(() => encodeLesson(long)).toThrow(/would be \d+ characters long; the lab opens links up to 8192/);
  });
});

// Hand-made rows: gold climbs to a peak at step 3 and falls; proxy rises throughout; step 6 is a best-of-n row.
const rows: MetricRow[] = [
  { step: 0, 'gold/mean': 0.1, 'proxy/mean': 0, 'objective/kl': 0, 'rm/accuracy': null as unknown as number },
  { step: 1, 'gold/mean': 0.4, 'proxy/mean': 1, 'objective/kl': 1, 'rm/accuracy': 0.8 },
  { step: 2, 'gold/mean': 0.7, 'proxy/mean': 2, 'objective/kl': 4, 'rm/accuracy': 0.9 },
  { step: 3, 'gold/mean': 0.9, 'proxy/mean': 3, 'objective/kl': 9, 'rm/accuracy': 0.9 },
  { step: 4, 'gold/mean': 0.5, 'proxy/mean': 5, 'objective/kl': 16, 'rm/accuracy': 0.9 },
  { step: 5, 'gold/mean': 0.2, 'proxy/mean': 8, 'objective/kl': 25, 'rm/accuracy': 0.95 },
  { step: 5, 'gold/mean': 5, 'proxy/mean': -1, 'objective/kl': 99, 'overopt/bon': 1 },
];
const other: MetricRow[] = [
  { step: 0, 'gold/mean': 0.1, 'objective/kl': 0 },
  { step: 1, 'gold/mean': 0.3, 'objective/kl': 0.5 },
];

describe('checks', () => {
  const run = { '': rows, tight: other };

  it('compare: end against start, against a constant, max/min/mean, the null start skipped, best-of-n rows left out', () => {
    const endStart: Check = { kind: 'compare', metric: 'gold/mean', at: 'end', op: '>', than: { metric: 'gold/mean', at: 'start' } };
    expect(evaluateCheck(endStart, run)).toEqual({ passed: true, readings: [{ text: 'gold/mean at end = 0.2 > gold/mean at start = 0.1', passed: true }] });
    expect(evaluateCheck({ ...endStart, op: '<' }, run).passed).toBe(false);
    expect(evaluateCheck({ kind: 'compare', metric: 'objective/kl', at: 'max', op: '>', than: 20 }, run).readings[0]).toEqual({
      text: 'max of objective/kl = 25 > 20',
      passed: true,
    });
    expect(evaluateCheck({ kind: 'compare', metric: 'objective/kl', at: 'max', op: '>', than: 30 }, run).passed).toBe(false);
    expect(evaluateCheck({ kind: 'compare', metric: 'rm/accuracy', at: 'start', op: '>=', than: 0.8 }, run).readings[0].text).toBe('rm/accuracy at start = 0.8 >= 0.8');
    expect(evaluateCheck({ kind: 'compare', metric: 'rm/accuracy', at: 'min', op: '<', than: 0.8 }, run).passed).toBe(false);
    expect(evaluateCheck({ kind: 'compare', metric: 'gold/mean', at: 'mean', op: '<=', than: 0.47 }, run).readings[0]).toEqual({
      text: 'mean of gold/mean = 0.467 <= 0.47',
      passed: true,
    });
  });

  it('compare: against an earlier step\'s run', () => {
    const c: Check = { kind: 'compare', metric: 'objective/kl', at: 'end', op: '>', than: { metric: 'objective/kl', at: 'end', step: 'tight' } };
    expect(evaluateCheck(c, run).readings[0]).toEqual({ text: 'objective/kl at end = 25 > objective/kl at end of step "tight" = 0.5', passed: true });
    expect(evaluateCheck({ ...c, op: '<' }, run).passed).toBe(false);
    expect(stepsRead(c)).toEqual(['tight']);
  });

  it('compare: one round\'s rows (iterated RLHF starts each round over)', () => {
    const rounds: MetricRow[] = [
      { step: 0, round: 0, 'rm/policy_agreement': 0.9 },
      { step: 1, round: 0, 'rm/policy_agreement': 0.1 },
      { step: 2, round: 1, 'rm/policy_agreement': 0.5 },
      { step: 3, round: 1, 'rm/policy_agreement': 0.8 },
    ];
    const c: Check = { kind: 'compare', metric: 'rm/policy_agreement', at: 'end', op: '>', than: { metric: 'rm/policy_agreement', at: 'end', round: 0 } };
    expect(evaluateCheck(c, { '': rounds }).readings[0]).toEqual({ text: 'rm/policy_agreement at end = 0.8 > rm/policy_agreement at end in round 0 = 0.1', passed: true });
    // the same against the run's start, not the end of its first round, does not hold
    expect(evaluateCheck({ ...c, than: { metric: 'rm/policy_agreement', at: 'start' } }, { '': rounds }).passed).toBe(false);
    expect(evaluateCheck({ ...c, than: { metric: 'rm/policy_agreement', at: 'end', round: 5 } }, { '': rounds }).readings[0].text).toBe(
      'not read: the run logged no rm/policy_agreement in round 5',
    );
  });

  it('diverge: gold fell while proxy rose over the last N rows, and not over the whole run', () => {
    const c: Check = { kind: 'diverge', rising: 'proxy/mean', falling: 'gold/mean', last: 3 };
    expect(evaluateCheck(c, run)).toEqual({
      passed: true,
      readings: [{ text: 'proxy/mean 3 → 8 (rose), gold/mean 0.9 → 0.2 (fell) over the last 3 rows (steps 3–5)', passed: true }],
    });
    // over the whole run gold ends above where it began
    expect(evaluateCheck({ ...c, last: undefined }, run).passed).toBe(false);
    expect(evaluateCheck({ kind: 'diverge', rising: 'gold/mean', falling: 'proxy/mean', last: 3 }, run).passed).toBe(false);
  });

  it('all: holds only when every part does, and shows each part', () => {
    const peakThenFall: Check = {
      kind: 'all',
      checks: [
        { kind: 'compare', metric: 'gold/mean', at: 'max', op: '>', than: { metric: 'gold/mean', at: 'end' } },
        { kind: 'diverge', rising: 'proxy/mean', falling: 'gold/mean', last: 3 },
      ],
    };
    const v = evaluateCheck(peakThenFall, run);
    expect(v.passed).toBe(true);
    expect(v.readings.map((r) => r.passed)).toEqual([true, true]);
    const w = evaluateCheck({ ...peakThenFall, checks: [...peakThenFall.checks, { kind: 'compare', metric: 'objective/kl', at: 'end', op: '<', than: 1 }] }, run);
    expect(w.passed).toBe(false);
    expect(w.readings.map((r) => r.passed)).toEqual([true, true, false]);
    expect(describeCheck(peakThenFall)).toBe('max of gold/mean > gold/mean at end, and proxy/mean rose while gold/mean fell over the last 3 rows');
  });

  it('fails, saying why, where the rows are missing or lack the metric', () => {
    const c: Check = { kind: 'compare', metric: 'proxy/mean', at: 'end', op: '>', than: 0, step: 'tight' };
    expect(evaluateCheck(c, run)).toEqual({ passed: false, readings: [{ text: 'not read: the run of step "tight" logged no proxy/mean', passed: false }] });
    expect(evaluateCheck({ ...c, step: undefined }, { tight: other }).readings[0].text).toBe("not read: this step's run has not finished yet");
  });
});

describe('lesson text', () => {
  it('is paragraphs, lists, bold and code as data; HTML stays text', () => {
    expect(textBlocks('First **bold** and `code`.\nSame paragraph.\n\n- one\n- <b>two</b>\nAfter.')).toEqual([
      { kind: 'p', spans: [{ text: 'First ' }, { text: 'bold', bold: true }, { text: ' and ' }, { text: 'code', code: true }, { text: '. Same paragraph.' }] },
      { kind: 'ul', items: [[{ text: 'one' }], [{ text: '<b>two</b>' }]] },
      { kind: 'p', spans: [{ text: 'After.' }] },
    ]);
  });
});

describe('lesson progress', () => {
  it('is read back only when this lab wrote it for this lesson, and counts the steps done', () => {
    const l = parseLesson(lesson([{ id: 'two', title: 'T', text: '' }]));
    const p = { ...emptyProgress('demo'), steps: { run: { prediction: 0, runId: 'r', done: true }, two: { done: false } } };
    expect(readProgress(structuredClone(p), 'demo')).toEqual(p);
    expect(stepsDone(l, p)).toBe(1);
    expect(stepsDone(l, null)).toBe(0);
    expect(readProgress(p, 'other')).toBeNull();
    expect(readProgress({ ...p, schema: 2 }, 'demo')).toBeNull();
    expect(readProgress(undefined, 'demo')).toBeNull();
    expect(readProgress({ ...p, steps: null }, 'demo')).toBeNull();
  });
});
