// Whose preferences: two groups of labelers with opposite tastes on the landscape (east prefers the larger x, west the
// smaller), east with three times the labels. Each group's own reward model learns its group; the pooled model follows
// east, and the pairs the groups' models disagree most on are those far apart in x.
import { describe, expect, it } from 'vitest';
import { tf } from '../../src/core/tf';
import { applyOverrides } from '../../src/core/experiment/parse';
import { preset } from '../../src/core/experiment/presets';
import { Rng } from '../../src/core/rng';
import type { Label } from '../../src/core/feedback/labelers';
import { whosePreferences } from '../../src/core/feedback/whose_preferences';
import { classBundles, type ClassSource } from '../../src/core/feedback/class_merge';

const e = applyOverrides(preset('landscape-hello')!, ['reward_model.steps=150']);

function labels(who: string, n: number, seed: number, prefersLargerX: boolean): Label[] {
  const rng = new Rng(seed);
  const pt = (): [number, number] => [rng.uniform() * 4 - 2, rng.uniform() * 4 - 2];
  return Array.from({ length: n }, (_, id) => {
    const [a, b] = [pt(), pt()];
    return { id, a, b, answer: a[0] > b[0] === prefersLargerX ? 'a' : 'b', labeler: who, round: 0, time: 0 };
  });
}

describe('whosePreferences', () => {
  it('the pooled model follows the larger group, and the disputed pairs are those the groups order oppositely', async () => {
    await tf.setBackend('cpu');
    const east = labels('east', 90, 1, true);
    const west = labels('west', 30, 2, false);
    const before = tf.memory().numTensors;
    const seen: number[] = [];
    const w = await whosePreferences(e, [{ name: 'east', labels: east }, { name: 'west', labels: west }], { seed: 3, top: 5, onProgress: (d) => seen.push(d) });
    expect(tf.memory().numTensors).toBe(before);
    expect(seen).toEqual([1, 2, 3]);
    expect(w.pairs).toBe(120);
    const [E, W] = w.groups;
    expect([E.name, E.labels, W.name, W.labels]).toEqual(['east', 90, 'west', 30]);
    // Each group's model learned its group.
    expect(E.own_on_their_labels!).toBeGreaterThan(0.85);
    expect(W.own_on_their_labels!).toBeGreaterThan(0.85);
    // The pooled model orders pairs as east does and against west's answers.
    expect(E.order_agreement!).toBeGreaterThan(0.8);
    expect(W.order_agreement!).toBeLessThan(0.2);
    expect(E.pooled_on_their_labels!).toBeGreaterThan(0.8);
    expect(W.pooled_on_their_labels!).toBeLessThan(0.2);
    expect(E.mean_gap).toBeLessThan(W.mean_gap);
    // The most disputed pairs: the groups' P on opposite sides of ½, far apart in x, and the pooled P with east.
    expect(w.disputed).toHaveLength(5);
    for (const d of w.disputed) {
      expect(d.spread).toBeGreaterThan(0.5);
      expect(d.spread).toBeCloseTo(Math.abs(d.by_group.east - d.by_group.west), 9);
      expect((d.by_group.east - 0.5) * (d.by_group.west - 0.5)).toBeLessThan(0);
      expect(Math.abs((d.a as number[])[0] - (d.b as number[])[0])).toBeGreaterThan(1);
      expect(d.follows).toBe('east');
    }
    expect(w.disputed.map((d) => d.spread)).toEqual([...w.disputed.map((d) => d.spread)].sort((x, y) => y - x));
  }, 60_000);

  it('refuses fewer than two groups with answers, and two groups of one name', async () => {
    await tf.setBackend('cpu');
    const skips = labels('b', 4, 5, true).map((l) => ({ ...l, answer: 'skip' as const }));
    await expect(whosePreferences(e, [{ name: 'a', labels: labels('a', 4, 4, true) }, { name: 'b', labels: skips }], { seed: 1 })).rejects.toThrow(/two or more groups with answers; only "a" has any/);
    await expect(whosePreferences(e, [{ name: 'a', labels: labels('a', 4, 4, true) }, { name: 'a', labels: labels('a', 4, 6, false) }], { seed: 1 })).rejects.toThrow(/both named "a"/);
  });

  it('classBundles pools bundles of one task under their labelers\' class names, and says why otherwise', () => {
    const bundle = (name: string, task = e.task): ClassSource => ({ name, kind: 'bundle', experiment: { ...e, task }, labels: labels('human', 3, 7, true) });
    const ok = classBundles([bundle('ann.rlhf-lab.zip'), bundle('bob.zip')]);
    expect('labels' in ok && ok.labels.map((l) => [l.labeler, l.id])).toEqual([['ann', 0], ['ann', 1], ['ann', 2], ['bob', 3], ['bob', 4], ['bob', 5]]);
    const other = classBundles([bundle('ann.zip'), bundle('cy.zip', { ...e.task, landscape: 'ridge' } as typeof e.task)]);
    expect('reason' in other && other.reason).toMatch(/cy\.zip is a run of another task than ann\.zip/);
    const mixed = classBundles([bundle('ann.zip'), { name: 'p.jsonl', kind: 'preferences', preferences: [] }]);
    expect('reason' in mixed && mixed.reason).toMatch(/preference files carry text only/);
  });
});
