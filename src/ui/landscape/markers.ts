// Where a pair's A and B badges go on a map. Each badge sits on its point unless the two points are closer than the
// badges are wide (later rounds ask about nearby points): then both move apart along the line through the points
// (straight up and down where they coincide) until they clear each other, kept inside the canvas, and a leader line
// joins each badge to its point (Heatmap.svelte draws them).
export interface Badge {
  /** The point, in canvas pixels. */
  at: [number, number];
  /** The badge's center. */
  badge: [number, number];
  /** The badge was moved off its point: draw a leader line. */
  moved: boolean;
}

/** Badges of radius `r` for points `a` and `b` (pixels) on a `size`-pixel canvas, at least `gap` pixels apart. */
export function pairBadges(a: [number, number], b: [number, number], r: number, size: number, gap = 4): { a: Badge; b: Badge } {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const d = Math.hypot(dx, dy);
  const need = 2 * r + gap;
  if (d >= need) return { a: { at: a, badge: a, moved: false }, b: { at: b, badge: b, moved: false } };
  const [ux, uy] = d > 1e-9 ? [dx / d, dy / d] : [0, 1];
  const mid: [number, number] = [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
  // Keep the pair of badges inside the canvas: move their midpoint in, as far as their spread along each axis needs.
  const half = need / 2;
  const clamp = (v: number, spread: number) => Math.min(size - r - spread, Math.max(r + spread, v));
  const c: [number, number] = [clamp(mid[0], Math.abs(ux) * half), clamp(mid[1], Math.abs(uy) * half)];
  return {
    a: { at: a, badge: [c[0] - ux * half, c[1] - uy * half], moved: true },
    b: { at: b, badge: [c[0] + ux * half, c[1] + uy * half], moved: true },
  };
}
