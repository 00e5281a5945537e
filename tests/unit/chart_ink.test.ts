// The charts' tick labels and series colors (ui/charts/ink.ts): labels short enough for the axis, and every series
// color of the lab readable on the light theme's white (3:1, WCAG's ratio for graphics) without changing dark.
import { describe, expect, it } from 'vitest';
import { contrast, ink, PAGE, tickLabel } from '../../src/ui/charts/ink';

describe('tick labels', () => {
  it('writes large, small and plain values in at most six characters', () => {
    expect(tickLabel(0)).toBe('0');
    expect(tickLabel(0.25)).toBe('0.25');
    expect(tickLabel(1)).toBe('1');
    expect(tickLabel(-0.5)).toBe('-0.5');
    expect(tickLabel(2500)).toBe('2500');
    expect(tickLabel(10000)).toBe('10k');
    expect(tickLabel(125000)).toBe('125k');
    expect(tickLabel(-12500)).toBe('-12.5k');
    expect(tickLabel(3_400_000)).toBe('3.4M');
    expect(tickLabel(0.0001)).toBe('0.0001');
    expect(tickLabel(0.00005)).toBe('5e-5');
    expect(tickLabel(0.005)).toBe('0.005');
    expect(tickLabel(0.00123)).toBe('0.0012');
    expect(tickLabel(0.1 + 0.2)).toBe('0.3');
    for (const v of [1234.5678, 98765, 0.00123, -0.000456, 7_654_321]) expect(tickLabel(v).length).toBeLessThanOrEqual(6);
  });
});

describe('series colors by theme', () => {
  const palette = ['#ffd54f', '#7aa2ff', '#80cbc4', '#a5d6a7', '#ef9a9a', '#ce93d8', '#ffcc80', '#90caf9', '#ff8a65', '#b39ddb', '#bcaaa4'];

  it('keeps the palette on dark', () => {
    for (const c of palette) expect(ink(c, 'dark')).toBe(c);
  });

  it('darkens pale colors on light until they read on white, and leaves dark ones alone', () => {
    // The gold line's yellow is 1.4:1 on white before.
    expect(contrast('#ffd54f', PAGE.light.bg)).toBeLessThan(1.5);
    for (const c of palette) expect(contrast(ink(c, 'light'), PAGE.light.bg)).toBeGreaterThanOrEqual(3);
    expect(ink('#1b5e20', 'light')).toBe('#1b5e20');
    // The hue stays: yellow stays more red and green than blue.
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(ink('#ffd54f', 'light').slice(i, i + 2), 16));
    expect(r).toBeGreaterThan(b);
    expect(g).toBeGreaterThan(b);
  });

  it('passes what is not a hex color through', () => {
    expect(ink('rgba(1,2,3,0.5)', 'light')).toBe('rgba(1,2,3,0.5)');
  });
});
