// What the charts draw with, by theme: axis and grid greys, series colors made to read on the page's background,
// and tick labels short enough for the axis (uPlot draws on a canvas, so CSS variables do not reach it).
export type Mode = 'light' | 'dark';

export const PAGE: Record<Mode, { bg: string; axis: string; grid: string }> = {
  dark: { bg: '#15171c', axis: '#aab0bd', grid: '#30343d' },
  light: { bg: '#ffffff', axis: '#4a5060', grid: '#e2e5eb' },
};

function rgb(hex: string): [number, number, number] {
  const h = hex.replace('#', '');
  const full = h.length === 3 ? [...h].map((c) => c + c).join('') : h;
  return [0, 2, 4].map((i) => parseInt(full.slice(i, i + 2), 16)) as [number, number, number];
}

/** WCAG relative luminance of a hex color. */
export function luminance(hex: string): number {
  const [r, g, b] = rgb(hex).map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG contrast ratio of two hex colors (1 to 21). */
export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

const hex = (c: number[]) => '#' + c.map((v) => Math.round(Math.min(255, Math.max(0, v))).toString(16).padStart(2, '0')).join('');

/**
 * The series color as drawn on `mode`'s background: unchanged on dark (the palette is made for it); on light, the same
 * hue darkened until it has a 3:1 contrast with white (WCAG's ratio for graphics), so the pale yellow of "gold" reads.
 */
export function ink(color: string, mode: Mode): string {
  if (mode === 'dark' || !/^#[0-9a-f]{3}([0-9a-f]{3})?$/i.test(color)) return color;
  let c = rgb(color);
  for (let i = 0; i < 40 && contrast(hex(c), PAGE.light.bg) < 3; i++) c = c.map((v) => v * 0.92) as typeof c;
  return hex(c);
}

/** A tick label of at most six characters: 12k, 1.5M, 0.25, 5e-5 (uPlot's own writes 10,000 and gets cut). */
export function tickLabel(v: number): string {
  if (!Number.isFinite(v)) return '';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${+(v / 1e3).toPrecision(3)}k`;
  if (a < 0.01) {
    const plain = String(+v.toPrecision(2));
    return plain.length <= 6 ? plain : v.toExponential(0);
  }
  return String(+v.toPrecision(a < 1 ? 3 : 4));
}
