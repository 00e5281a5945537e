// The Preference Landscape: the policy proposes points of the plane, a hidden gold reward g(x, y) says how good
// each is, and labelers compare points by g. Small enough to train in seconds on any backend, and to draw.

export type LandscapeName = 'one-hill' | 'two-hills' | 'ridge';

/** The plane the lab draws and the reward model is fit on: [-EXTENT, EXTENT]². Points outside are allowed. */
export const EXTENT = 3;

interface Bump {
  x: number;
  y: number;
  height: number;
  width: number;
}

const bump = (b: Bump, x: number, y: number) =>
  b.height * Math.exp(-((x - b.x) ** 2 + (y - b.y) ** 2) / (2 * b.width ** 2));

export interface Landscape {
  name: LandscapeName;
  title: string;
  /** One line on what the landscape shows. */
  about: string;
  gold(x: number, y: number): number;
}

export const LANDSCAPES: Record<LandscapeName, Landscape> = {
  'one-hill': {
    name: 'one-hill',
    title: 'One hill',
    about: 'a single broad hill: the reward model only has to find the way up',
    gold: (x, y) => bump({ x: 1.2, y: 1.0, height: 1, width: 1.3 }, x, y),
  },
  'two-hills': {
    name: 'two-hills',
    title: 'Two hills, one a decoy',
    about: 'a low decoy hill near the start and a higher hill farther away: does the policy settle for the decoy?',
    gold: (x, y) =>
      bump({ x: -1.4, y: 0.6, height: 0.6, width: 0.8 }, x, y) +
      bump({ x: 1.5, y: 1.2, height: 1, width: 0.9 }, x, y),
  },
  ridge: {
    name: 'ridge',
    title: 'A ridge',
    about: 'a narrow ridge that rises to the right: off the ridge the reward falls fast',
    gold: (x, y) => {
      const off = y - 0.5 * x - 0.3; // vertical distance to the ridge line y = 0.5x + 0.3
      return Math.exp(-(off * off) / (2 * 0.45 ** 2)) * (0.25 + 0.75 / (1 + Math.exp(-1.5 * x)));
    },
  },
};

export function landscape(name: LandscapeName): Landscape {
  return LANDSCAPES[name];
}

/** g at each point of a flat [x0, y0, x1, y1, ...] array. */
export function goldOf(l: Landscape, points: Float32Array): Float32Array {
  const out = new Float32Array(points.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = l.gold(points[2 * i], points[2 * i + 1]);
  return out;
}

/** Centers of an n×n grid over the plane, row by row from the top (y = +EXTENT) so it draws as an image. */
export function gridPoints(n: number): Float32Array {
  const pts = new Float32Array(n * n * 2);
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < n; col++) {
      const i = row * n + col;
      pts[2 * i] = -EXTENT + ((col + 0.5) * 2 * EXTENT) / n;
      pts[2 * i + 1] = EXTENT - ((row + 0.5) * 2 * EXTENT) / n;
    }
  }
  return pts;
}

/** The highest gold reward on the plane (a fine grid refined around its best cell): the "optimum" of a run. */
export function goldOptimum(l: Landscape): { x: number; y: number; value: number } {
  const pts = gridPoints(240);
  const g = goldOf(l, pts);
  let best = 0;
  for (let i = 1; i < g.length; i++) if (g[i] > g[best]) best = i;
  let bx = pts[2 * best];
  let by = pts[2 * best + 1];
  let step = (2 * EXTENT) / 240;
  for (let k = 0; k < 30; k++) {
    let moved = false;
    for (const [dx, dy] of [[step, 0], [-step, 0], [0, step], [0, -step]]) {
      if (l.gold(bx + dx, by + dy) > l.gold(bx, by)) {
        bx += dx;
        by += dy;
        moved = true;
      }
    }
    if (!moved) step /= 2;
  }
  return { x: bx, y: by, value: l.gold(bx, by) };
}
