// The landscape labeler's A and B badges (ui/landscape/markers.ts): on their points when apart, moved apart and kept
// on the canvas when the points are close or the same.
import { describe, expect, it } from 'vitest';
import { pairBadges } from '../../src/ui/landscape/markers';

const dist = (p: [number, number], q: [number, number]) => Math.hypot(p[0] - q[0], p[1] - q[1]);

describe('pair badges', () => {
  it('stay on points that are apart', () => {
    const { a, b } = pairBadges([50, 50], [100, 80], 9, 320);
    expect(a.badge).toEqual([50, 50]);
    expect(b.badge).toEqual([100, 80]);
    expect(a.moved || b.moved).toBe(false);
  });

  it('move apart along the line through close points, A on its side, B on its own', () => {
    const { a, b } = pairBadges([100, 100], [106, 100], 9, 320);
    expect(dist(a.badge, b.badge)).toBeCloseTo(22, 6);
    expect(a.badge[0]).toBeLessThan(b.badge[0]);
    expect(a.badge[1]).toBeCloseTo(100, 6);
    expect(a.moved && b.moved).toBe(true);
    expect(a.at).toEqual([100, 100]);
  });

  it('separate points that coincide, and keep badges inside the canvas at its edge', () => {
    const same = pairBadges([0, 0], [0, 0], 9, 320);
    expect(dist(same.a.badge, same.b.badge)).toBeCloseTo(22, 6);
    for (const p of [same.a.badge, same.b.badge]) for (const v of p) {
      expect(v).toBeGreaterThanOrEqual(9);
      expect(v).toBeLessThanOrEqual(311);
    }
    const corner = pairBadges([318, 2], [319, 3], 9, 320);
    expect(dist(corner.a.badge, corner.b.badge)).toBeCloseTo(22, 6);
    for (const p of [corner.a.badge, corner.b.badge]) for (const v of p) {
      expect(v).toBeGreaterThanOrEqual(9);
      expect(v).toBeLessThanOrEqual(311);
    }
  });
});
