// Agreement figures against worked examples from the literature and by hand, not against the code's own output.
import { describe, expect, it } from 'vitest';
import { agreement, cohenKappa, fleissKappa, krippendorffAlpha, type Rating } from '../../src/core/analysis/agreement';

/** Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: 4 observers, 12 units, values 1–5, gaps. */
const KRIPPENDORFF: (number | null)[][] = [
  [1, 2, 3, 3, 2, 1, 4, 1, 2, null, null, null],
  [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, null, 3],
  [null, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, null],
  [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, null],
];

describe('agreement', () => {
  it("Krippendorff's α (nominal) on Krippendorff's own example is 0.743, over the 11 units with two or more values", () => {
    const ratings: Rating[] = KRIPPENDORFF.flatMap((row, o) => row.flatMap((v, u) => (v === null ? [] : [{ item: `u${u}`, rater: `o${o}`, value: String(v) }])));
    const a = krippendorffAlpha(ratings);
    expect(a.value!).toBeCloseTo(0.743, 3);
    expect(a.items).toBe(11); // unit 12 has one value and is not pairable
  });

  it("Cohen's κ: 50 items, yes/yes 20, yes/no 5, no/yes 10, no/no 15 → p_o 0.7, p_e 0.5, κ 0.4", () => {
    const a = [...Array(20).fill('y'), ...Array(5).fill('y'), ...Array(10).fill('n'), ...Array(15).fill('n')];
    const b = [...Array(20).fill('y'), ...Array(5).fill('n'), ...Array(10).fill('y'), ...Array(15).fill('n')];
    expect(cohenKappa(a, b).value!).toBeCloseTo(0.4, 12);
    expect(cohenKappa(['x', 'x'], ['x', 'x']).value).toBeNull(); // one category: chance agreement is 1
  });

  it("Fleiss' κ on the textbook table of 10 subjects × 14 raters × 5 categories is 0.210", () => {
    const table = [
      [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
      [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
    ];
    expect(fleissKappa(table).value!).toBeCloseTo(0.21, 3);
  });

  it('a class of three: pairwise κ on shared items only; α and Fleiss over items rated twice or more', () => {
    // items 1–4 rated by ann and bob (agree on 1, 2, 3); item 5 by ann only; items 1–2 by cy too.
    const r = (rater: string, item: number, value: string): Rating => ({ item: `i${item}`, rater, value });
    const ratings = [
      r('ann', 1, 'first'), r('ann', 2, 'second'), r('ann', 3, 'first'), r('ann', 4, 'first'), r('ann', 5, 'tie'),
      r('bob', 1, 'first'), r('bob', 2, 'second'), r('bob', 3, 'first'), r('bob', 4, 'second'),
      r('cy', 1, 'first'), r('cy', 2, 'first'),
    ];
    const g = agreement(ratings);
    expect([g.items, g.shared]).toEqual([5, 4]);
    // ann–bob on 4 items: ann first,second,first,first; bob first,second,first,second. p_o 3/4;
    // p_e = P(first)·P(first) + P(second)·P(second) = 3/4·2/4 + 1/4·2/4 = 1/2 → κ = (3/4 − 1/2)/(1/2) = 1/2.
    const annBob = g.cohen_kappa.find((c) => c.a === 'ann' && c.b === 'bob')!;
    expect(annBob.items).toBe(4);
    expect(annBob.kappa!).toBeCloseTo(0.5, 12);
    // ann–cy on 2 items: first/first, second/first: p_o 1/2, p_e = 1/2·1 + 1/2·0 = 1/2 → κ 0.
    expect(g.cohen_kappa.find((c) => c.a === 'ann' && c.b === 'cy')!.kappa!).toBeCloseTo(0, 12);
    // α by hand: units i1 (f,f,f), i2 (s,s,f), i3 (f,f), i4 (f,s). Coincidences: i1 f–f 6/2 = 3; i2 s–s 2/2 = 1,
    // s–f 2/2 = 1, f–s 1; i3 f–f 2; i4 f–s 1, s–f 1. o_ff 5, o_ss 1, o_fs 2, o_sf 2; n_f 7, n_s 3, n 10.
    // α = 1 − (n − 1)·(o_fs + o_sf) / (n_f·n_s + n_s·n_f) = 1 − 9·4 / 42 = 1 − 36/42.
    expect(g.krippendorff_alpha.value!).toBeCloseTo(1 - 36 / 42, 12);
    expect(g.krippendorff_alpha.items).toBe(4);
  });
});

describe('a class pooled (rlhf-lab class merge)', () => {
  it('the same pair shown A/B to one student and B/A to another is one item; κ, position bias and agreement by hand', async () => {
    const { mkdtemp, writeFile, readFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { cli } = await import('./cli_run');
    const dir = await mkdtemp(join(tmpdir(), 'rlhf-lab-class-'));
    try {
      // ann and bob answer the same 4 pairs (bob sees pairs 2 and 4 with chosen and rejected named the other way);
      // they agree on pairs 1–3 and differ on 4. cy answers pair 1 only.
      const line = (prompt: string, chosen: string, rejected: string) => JSON.stringify({ prompt, chosen, rejected });
      await writeFile(join(dir, 'ann.jsonl'), [line('p1', 'good', 'bad'), line('p2', 'yes', 'no'), line('p3', 'x', 'y'), line('p4', 'up', 'down')].join('\n'));
      await writeFile(join(dir, 'bob.jsonl'), [line('p1', 'good', 'bad'), line('p2', 'yes', 'no'), line('p3', 'x', 'y'), line('p4', 'down', 'up')].join('\n'));
      await writeFile(join(dir, 'cy.jsonl'), line('p1', 'bad', 'good'));
      await writeFile(join(dir, 'broken.jsonl'), '{"prompt": 1');
      const bad = await cli(['class', 'merge', join(dir, 'ann.jsonl'), join(dir, 'broken.jsonl'), '--out', join(dir, 'bad')]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/broken\.jsonl/);
      const r = await cli(['class', 'merge', join(dir, 'ann.jsonl'), join(dir, 'bob.jsonl'), join(dir, 'cy.jsonl'), '--out', join(dir, 'out')]);
      expect(r.code, r.stderr).toBe(0);
      const a = JSON.parse(await readFile(join(dir, 'out', 'agreement.json'), 'utf8'));
      expect([a.agreement.items, a.agreement.shared]).toEqual([4, 4]);
      // ann–bob: agree on 3 of 4. Values in the pair's fixed order (sides sorted by text): p1 (bad, good): ann second,
      // bob second; p2 (no, yes): second, second; p3 (x, y): first, first; p4 (down, up): ann second, bob first.
      // ann: s,s,f,s; bob: s,s,f,f. p_o 3/4; p_e = P(s)·P(s) + P(f)·P(f) = 3/4·2/4 + 1/4·2/4 = 1/2 → κ = 1/2.
      const annBob = a.agreement.cohen_kappa.find((c: { a: string; b: string }) => c.a === 'ann' && c.b === 'bob');
      expect(annBob.kappa).toBeCloseTo(0.5, 12);
      expect(annBob.items).toBe(4);
      // On p1 cy disagrees with ann and bob: cy's agreement with the others' majority is 0 of 1 item; a preference file
      // does not say which side was shown as A, so no position bias.
      const cy = a.raters.find((x: { rater: string }) => x.rater === 'cy');
      expect(cy.with_others).toEqual({ share: 0, items: 1 });
      expect(cy.position_a).toBeNull();
      // ann against the majority of the others: p1 (bob, cy split: no majority) left out; p2, p3 agree; p4 bob differs.
      expect(a.raters.find((x: { rater: string }) => x.rater === 'ann').with_others).toEqual({ share: 2 / 3, items: 3 });
      const merged = (await readFile(join(dir, 'out', 'preferences.jsonl'), 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l));
      expect(merged).toHaveLength(9);
      expect(merged.filter((m: { labeler: string }) => m.labeler === 'bob').map((m: { chosen: string }) => m.chosen)).toEqual(['good', 'yes', 'x', 'down']);
      expect(r.stdout).toMatch(/9 answers from 3 labelers in 3 files; 4 items, 4 labeled by two or more/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a bundle tells which side sat in position A: its position bias is read', async () => {
    const { goldAnswers, mergeClass } = await import('../../src/core/feedback/class_merge');
    const { preset } = await import('../../src/core/experiment/presets');
    const e = preset('landscape-hello')!; // one hill, its top at (1.2, 1.0)
    const l = (id: number, a: [number, number], b: [number, number], answer: 'a' | 'b' | 'tie' | 'skip') => ({ id, a, b, answer, labeler: 'human', round: 0, time: 0 });
    const labels = [l(0, [0, 0], [1, 1], 'a'), l(1, [2, 2], [3, 3], 'a'), l(2, [4, 4], [5, 5], 'b'), l(3, [6, 6], [7, 7], 'skip'), l(4, [8, 8], [9, 9], 'tie')];
    // Gold prefers the point nearer the top: (1, 1) over (0, 0); (2, 2) over (3, 3); (4, 4) over (5, 5).
    const gold = await goldAnswers(e, labels);
    expect(gold.slice(0, 3)).toEqual(['b', 'a', 'a']);
    const m = mergeClass([{ name: 'dee.rlhf-lab.zip', kind: 'bundle', experiment: e, labels, gold }]);
    // dee's decisive answers a, a, b against gold's b, a, a: one of three.
    expect(m.raters[0].with_gold).toEqual({ share: 1 / 3, items: 3 });
    expect(m.raters).toHaveLength(1);
    expect(m.raters[0].rater).toBe('dee');
    expect(m.raters[0].answers).toBe(4); // the skip is no answer
    expect(m.raters[0].position_a).toBeCloseTo(2 / 3, 12); // A chosen in 2 of 3 decisive answers
  });

  it('--models fits a reward model per labeler or named group beside a pooled one, and writes whose.json', async () => {
    const { mkdtemp, writeFile, readFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { cli } = await import('./cli_run');
    const { tf } = await import('../../src/core/tf');
    const { MemoryStore } = await import('../../src/core/checkpoint/store');
    const { Runner } = await import('../../src/core/runner');
    const { applyOverrides } = await import('../../src/core/experiment/parse');
    const { preset } = await import('../../src/core/experiment/presets');
    const { loadCheckpoint, hashRecord } = await import('../../src/core/checkpoint/record');
    const { buildBundle } = await import('../../src/core/checkpoint/export');
    await tf.setBackend('cpu');
    const store = new MemoryStore();
    const e = applyOverrides(preset('landscape-hello')!, ['schedule.rounds=1', 'schedule.labels_per_round=4', 'reward_model.steps=2', 'optimizer.iterations=1']);
    const run = await Runner.create(e, { store, runId: 'r', backend: 'cpu' });
    await run.run();
    run.dispose();
    const record = (await loadCheckpoint(store, 'r'))!.record;
    // Three students on a grid of pairs: ann and bob prefer the larger x, cy the smaller.
    const { Rng } = await import('../../src/core/rng');
    const rng = new Rng(9);
    const pt = (): [number, number] => [rng.uniform() * 4 - 2, rng.uniform() * 4 - 2];
    const pairs = Array.from({ length: 24 }, () => [pt(), pt()]);
    const labelsOf = (larger: boolean) => pairs.filter(([a, b]) => a[0] !== b[0]).map(([a, b], id) => ({ id, a, b, answer: (a[0] > b[0]) === larger ? ('a' as const) : ('b' as const), labeler: 'human', round: 0, time: 0 }));
    const dir = await mkdtemp(join(tmpdir(), 'rlhf-lab-class-'));
    try {
      const files = [];
      for (const [name, larger] of [['ann', true], ['bob', true], ['cy', false]] as const) {
        files.push(join(dir, `${name}.rlhf-lab.zip`));
        const own = { ...record, labels: labelsOf(larger) };
        await writeFile(files.at(-1)!, buildBundle({ ...own, sha256: await hashRecord(own) }, name));
      }
      const bad = await cli(['class', 'merge', ...files, '--group', 'dan=x', '--out', join(dir, 'bad')]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/--group names "dan", not a labeler of these files \(there are: ann, bob, cy\)/);
      const r = await cli(['class', 'merge', ...files, '--group', 'ann=larger', '--group=bob=larger', '--out', join(dir, 'out')]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/reward model 3 of 3 fit/);
      const w = JSON.parse(await readFile(join(dir, 'out', 'whose.json'), 'utf8'));
      const n = labelsOf(true).length;
      expect(w.groups.map((g: { name: string; labels: number }) => [g.name, g.labels])).toEqual([['larger', 2 * n], ['cy', n]]);
      expect(w.pairs).toBe(n);
      const [larger, cy] = w.groups;
      // The pooled model, two answers to one on every pair, follows "larger".
      expect(larger.order_agreement).toBeGreaterThan(cy.order_agreement);
      expect(larger.pooled_on_their_labels).toBeGreaterThan(0.8);
      expect(cy.pooled_on_their_labels).toBeLessThan(0.2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
