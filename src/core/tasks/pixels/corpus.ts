// The pictures the pixels task's base model learns to draw: faces, houses, trees and symbols, generated from a
// seed with varied colours, sizes and positions. The same seed gives the same pictures on every host, so the
// base model is rebuilt bit for bit by `rlhf-lab pretrain --task pixels`. Each class's template (its picture with
// every choice at its middle) is what the gold reward `template` compares against.
import { Rng } from '../../rng';
import { CLASSES, PALETTE, PIXELS, SIZE, classToken, promptOf, type PictureClass } from './picture';

const [NAVY, WHITE, RED, ORANGE, YELLOW, GREEN, BLUE, BROWN] = PALETTE.map((_, i) => i);

/** One choice of a picture: a random pick, or (for the template) the first option. */
type Pick = <T>(options: readonly T[]) => T;

class Canvas {
  readonly px: Uint8Array;
  constructor(background: number) {
    this.px = new Uint8Array(PIXELS).fill(background);
  }
  set(x: number, y: number, c: number) {
    if (x >= 0 && x < SIZE && y >= 0 && y < SIZE) this.px[y * SIZE + x] = c;
  }
  rect(x0: number, y0: number, x1: number, y1: number, c: number) {
    for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) this.set(x, y, c);
  }
  disc(cx: number, cy: number, r: number, c: number) {
    for (let y = 0; y < SIZE; y++) for (let x = 0; x < SIZE; x++) if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) this.set(x, y, c);
  }
}

function face(pick: Pick): Uint8Array {
  const c = new Canvas(pick([NAVY, BLUE, WHITE]));
  const skin = pick([YELLOW, ORANGE]);
  const dy = pick([0, 0, -1, 1]);
  c.disc(4.5, 4.5 + dy, pick([4.2, 3.8, 4.6]), skin);
  const eyes = pick([NAVY, BLUE, BROWN]);
  c.set(3, 3 + dy, eyes);
  c.set(6, 3 + dy, eyes);
  const mouth = pick([RED, BROWN]);
  if (pick([true, false])) {
    // A smile: the corners a row above the middle.
    c.rect(4, 7 + dy, 5, 7 + dy, mouth);
    c.set(3, 6 + dy, mouth);
    c.set(6, 6 + dy, mouth);
  } else c.rect(3, 6 + dy, 6, 6 + dy, mouth);
  return c.px;
}

function house(pick: Pick): Uint8Array {
  const c = new Canvas(pick([BLUE, NAVY]));
  c.rect(0, 9, 9, 9, GREEN);
  const left = pick([2, 1, 3]);
  const right = 9 - left;
  const top = pick([5, 4]);
  c.rect(left, top, right, 8, pick([WHITE, ORANGE, BROWN]));
  const roof = pick([RED, BROWN, ORANGE]);
  // The roof: rows narrowing by one pixel each side from the walls' top upward.
  for (let i = 0; i < top && i < 5; i++) c.rect(i, top - 1 - i, 9 - i, top - 1 - i, roof);
  c.rect(4, 7, 5, 8, pick([BROWN, NAVY, RED]));
  if (pick([true, false])) {
    c.set(left + 1, top + 1, YELLOW);
    c.set(right - 1, top + 1, YELLOW);
  }
  return c.px;
}

function tree(pick: Pick): Uint8Array {
  const c = new Canvas(pick([BLUE, NAVY, WHITE]));
  c.rect(0, 9, 9, 9, pick([GREEN, BROWN]));
  const x = pick([4, 3, 5]);
  c.rect(x, 6, x + 1, 8, BROWN);
  const r = pick([3, 2.6, 3.4]);
  c.disc(x + 0.5, pick([3.5, 3]), r, GREEN);
  const fruit = pick([null, RED, ORANGE, YELLOW]);
  if (fruit !== null) for (const [fx, fy] of [[x - 1, 3], [x + 2, 2], [x + 1, 5]]) c.set(fx, fy, fruit);
  return c.px;
}

const SYMBOLS = {
  plus: (c: Canvas, k: number) => (c.rect(4, 1, 5, 8, k), c.rect(1, 4, 8, 5, k)),
  cross: (c: Canvas, k: number) => {
    for (let i = 1; i <= 8; i++) (c.set(i, i, k), c.set(9 - i, i, k));
  },
  ring: (c: Canvas, k: number, bg: number) => (c.disc(4.5, 4.5, 4, k), c.disc(4.5, 4.5, 2.3, bg)),
  heart: (c: Canvas, k: number) => {
    c.disc(3, 3.5, 1.8, k);
    c.disc(6, 3.5, 1.8, k);
    for (let y = 4; y <= 8; y++) c.rect(y - 3, y, 12 - y, y, k);
  },
  diamond: (c: Canvas, k: number) => {
    for (let y = 1; y <= 8; y++) {
      const half = y <= 4 ? y : 9 - y;
      c.rect(5 - half, y, 4 + half, y, k);
    }
  },
};

function symbol(pick: Pick): Uint8Array {
  const bg = pick([NAVY, WHITE]);
  const c = new Canvas(bg);
  const k = pick([RED, YELLOW, BLUE, GREEN, ORANGE].filter((x) => x !== bg));
  SYMBOLS[pick(Object.keys(SYMBOLS) as (keyof typeof SYMBOLS)[])](c, k, bg);
  return c.px;
}

const DRAW: Record<PictureClass, (pick: Pick) => Uint8Array> = { face, house, tree, symbol };

/** One picture of a class with its choices drawn from `rng`. */
export function drawPicture(cls: PictureClass, rng: Rng): Uint8Array {
  return DRAW[cls]((options) => options[rng.int(options.length)]);
}

/** A class's template: its picture with every choice at its first option. */
export function templateOf(cls: PictureClass): Uint8Array {
  return DRAW[cls]((options) => options[0]);
}

/** `n` pictures of random classes as token rows (class token, then the pixels), deterministic from the seed. */
export function pictureCorpus(n: number, seed: number): number[][] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const cls = CLASSES[rng.int(CLASSES.length)];
    return [classToken(promptOf(cls)), ...drawPicture(cls, rng)];
  });
}

/** A batch of B whole pictures from the corpus (each row one picture with its class token): int32 [B, 1 + PIXELS]. */
export function pictureBatch(rows: number[][], B: number, rng: Rng): Int32Array {
  const N = 1 + PIXELS;
  const out = new Int32Array(B * N);
  for (let b = 0; b < B; b++) out.set(rows[rng.int(rows.length)], b * N);
  return out;
}
