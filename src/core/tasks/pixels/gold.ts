// Gold rewards of the pixels task, computed from the pixels alone: the hidden "true" preferences simulated
// labelers follow (RLHF.md). Each lies in [0, 1] or near it, so a labeler's β means the same across them.
//   symmetry  the share of mirror pairs (x, SIZE − 1 − x) of a row that hold one colour
//   colour    the share of pixels of a target colour
//   contrast  the mean luminance difference of neighbouring pixels (right and below), in [0, 1]
//   template  the share of pixels equal to the class's template (corpus.ts): "looks like a face"
// A biased labeler adds to the gold reward `weight` × the picture's mean luminance (one who also likes bright
// pictures) or × the share of one colour (one who also likes, say, yellow): the bias the reward model may learn.
import { LUMINANCE, SIZE, classToken, COLOUR_NAMES, PALETTE, type ColourName, type PictureClass, CLASSES } from './picture';
import { templateOf } from './corpus';

export type PixelGold = { kind: 'symmetry' } | { kind: 'colour'; colour: ColourName } | { kind: 'contrast' } | { kind: 'template' };
export type PixelBias = { kind: 'brightness'; weight: number } | { kind: 'colour'; colour: ColourName; weight: number };

export function symmetry(px: Uint8Array): number {
  let same = 0;
  for (let y = 0; y < SIZE; y++) for (let x = 0; x < SIZE / 2; x++) same += px[y * SIZE + x] === px[y * SIZE + SIZE - 1 - x] ? 1 : 0;
  return same / (SIZE * Math.floor(SIZE / 2));
}

export function colourShare(px: Uint8Array, colour: ColourName): number {
  const k = COLOUR_NAMES.indexOf(colour);
  return px.reduce((n, c) => n + (c === k ? 1 : 0), 0) / px.length;
}

export function contrast(px: Uint8Array): number {
  let sum = 0;
  let pairs = 0;
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const l = LUMINANCE[px[y * SIZE + x]];
      if (x + 1 < SIZE) (sum += Math.abs(l - LUMINANCE[px[y * SIZE + x + 1]])), pairs++;
      if (y + 1 < SIZE) (sum += Math.abs(l - LUMINANCE[px[(y + 1) * SIZE + x]])), pairs++;
    }
  }
  return sum / pairs;
}

export function brightness(px: Uint8Array): number {
  return px.reduce((s, c) => s + LUMINANCE[c], 0) / px.length;
}

const TEMPLATES = new Map<PictureClass, Uint8Array>();

/** The share of pixels equal to the template of the prompt's class. */
export function templateMatch(px: Uint8Array, prompt: string): number {
  const cls = CLASSES[classToken(prompt) - PALETTE.length];
  let t = TEMPLATES.get(cls);
  if (!t) TEMPLATES.set(cls, (t = templateOf(cls)));
  return px.reduce((n, c, i) => n + (c === t![i] ? 1 : 0), 0) / px.length;
}

export function goldReward(gold: PixelGold, prompt: string, px: Uint8Array): number {
  switch (gold.kind) {
    case 'symmetry':
      return symmetry(px);
    case 'colour':
      return colourShare(px, gold.colour);
    case 'contrast':
      return contrast(px);
    case 'template':
      return templateMatch(px, prompt);
  }
}

/** What a biased labeler adds to the gold reward (0 without a bias). */
export function labelerBias(bias: PixelBias | undefined, px: Uint8Array): number {
  if (!bias) return 0;
  return bias.weight * (bias.kind === 'brightness' ? brightness(px) : colourShare(px, bias.colour));
}
