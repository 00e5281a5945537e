// The pictures of the pixels task: a SIZE × SIZE grid of palette colours, written row by row from the top as one
// digit per pixel ("0" … "7"): the form a picture takes as a sample, in labels, exports and links. As tokens, a
// picture is its class token (the prompt) then its pixels, so the lab's GPT draws it row by row like a sentence.
//
// 10 × 10 and not 16 × 16: a policy iteration samples every pixel as one token, and at 100 tokens a rollout on the
// wasm backend takes a few seconds on a laptop's CPU; 256 would take two to three times as long (README, "Pixels").

/** Side of a picture in pixels. */
export const SIZE = 10;
/** Pixels of a picture: the tokens a policy samples after its prompt. */
export const PIXELS = SIZE * SIZE;

/** The palette (PICO-8's colours, which stay distinct when small): a colour's token is its index. */
export const PALETTE = [
  { name: 'navy', hex: '#1d2b53' },
  { name: 'white', hex: '#fff1e8' },
  { name: 'red', hex: '#ff004d' },
  { name: 'orange', hex: '#ffa300' },
  { name: 'yellow', hex: '#ffec27' },
  { name: 'green', hex: '#00e436' },
  { name: 'blue', hex: '#29adff' },
  { name: 'brown', hex: '#ab5236' },
] as const;

export type ColourName = (typeof PALETTE)[number]['name'];
export const COLOUR_NAMES = PALETTE.map((c) => c.name) as ColourName[];

/** Relative luminance of each palette colour in [0, 1] (Rec. 709 weights on the sRGB values). */
export const LUMINANCE: readonly number[] = PALETTE.map(({ hex }) => {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
});

/** What a picture can be asked for: each class is one prompt token after the colours. */
export const CLASSES = ['face', 'house', 'tree', 'symbol'] as const;
export type PictureClass = (typeof CLASSES)[number];

/** The prompt a class is asked with ("a face"). */
export const promptOf = (c: PictureClass) => `a ${c}`;
export const PROMPTS = CLASSES.map(promptOf);

/** Tokens: the colours 0 … 7, then one per class. */
export const VOCAB_SIZE = PALETTE.length + CLASSES.length;
/** The vocabulary as a base model's manifest records it (a model trained on another one is refused). */
export const PIXEL_VOCAB = `pixels ${SIZE}x${SIZE}: ${COLOUR_NAMES.join(' ')} | ${CLASSES.join(' ')}`;
/** Context of the base model: the class token and every pixel. */
export const PIXEL_CONTEXT = 1 + PIXELS;

/** The class token of a prompt ("a face" or "face"); a clear error names the prompts there are. */
export function classToken(prompt: string): number {
  const name = prompt.replace(/^an? /, '');
  const i = (CLASSES as readonly string[]).indexOf(name);
  if (i < 0) throw new Error(`"${prompt}" is not a picture class: the pixels task draws ${PROMPTS.map((p) => `"${p}"`).join(', ')}`);
  return PALETTE.length + i;
}

/** A picture from its digits; refuses anything but SIZE² digits of the palette. */
export function parsePicture(text: string): Uint8Array {
  if (text.length !== PIXELS || !/^[0-7]*$/.test(text)) {
    throw new Error(`a picture is ${PIXELS} digits 0–7 (one palette colour per pixel, row by row); got ${JSON.stringify(text.length > 24 ? `${text.slice(0, 24)}…` : text)}`);
  }
  return Uint8Array.from(text, (c) => c.charCodeAt(0) - 48);
}

/** A picture's digits. A token that is not a colour (a class token drawn where a pixel belongs) reads as the background. */
export function pictureText(pixels: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < pixels.length; i++) s += pixels[i] < PALETTE.length ? String(pixels[i]) : '0';
  return s;
}

/** The pixels as they are drawn on a canvas: RGBA bytes, row by row. */
export function pictureRgba(text: string): Uint8ClampedArray<ArrayBuffer> {
  const px = parsePicture(text);
  const out = new Uint8ClampedArray(px.length * 4);
  px.forEach((c, i) => {
    const hex = PALETTE[c].hex;
    out.set([parseInt(hex.slice(1, 3), 16), parseInt(hex.slice(3, 5), 16), parseInt(hex.slice(5, 7), 16), 255], i * 4);
  });
  return out;
}
