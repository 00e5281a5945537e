// The pixels task's gold rewards on pictures drawn by hand here, against values counted by hand; the corpus
// generator's determinism; the picture format's errors; the task's rules in an experiment.
import { describe, expect, it } from 'vitest';
import { brightness, colourShare, contrast, goldReward, labelerBias, symmetry, templateMatch } from '../../src/core/tasks/pixels/gold';
import { drawPicture, pictureCorpus, templateOf } from '../../src/core/tasks/pixels/corpus';
import { LUMINANCE, PIXELS, SIZE, classToken, parsePicture, pictureText } from '../../src/core/tasks/pixels/picture';
import { Rng } from '../../src/core/rng';
import { parseExperiment } from '../../src/core/experiment/parse';
import { preset } from '../../src/core/experiment/presets';
import { crc32, exportSheets } from '../../src/core/tasks/pixels/sheet';
import { unzlibSync } from 'fflate';

/** A picture from SIZE rows of SIZE digits. */
const grid = (rows: string[]) => {
  expect(rows).toHaveLength(SIZE);
  return parsePicture(rows.join(''));
};

const blank = Array(SIZE).fill('0000000000');
// A picture symmetric in every row: a red plus in the middle two columns and rows.
const plus = grid(['0000220000', '0000220000', '0000220000', '0000220000', '2222222222', '2222222222', '0000220000', '0000220000', '0000220000', '0000220000']);
// Row 0 is broken on one side: one pixel of the left half differs from its mirror.
const oneOff = grid(['1000000000', ...blank.slice(1)]);
// Left half white, right half navy.
const halves = grid(Array(SIZE).fill('1111100000'));

describe('gold rewards on hand-drawn pictures', () => {
  it('symmetry: the share of mirror pairs that agree', () => {
    expect(symmetry(grid(blank))).toBe(1);
    expect(symmetry(plus)).toBe(1);
    // 50 mirror pairs, one of them differs.
    expect(symmetry(oneOff)).toBeCloseTo(49 / 50, 10);
    // Every pair differs.
    expect(symmetry(halves)).toBe(0);
  });

  it('colour: the share of pixels of the colour', () => {
    // The plus: 2 columns × 10 + 2 rows × 10 − the 4 pixels counted twice = 36 red pixels.
    expect(colourShare(plus, 'red')).toBeCloseTo(36 / 100, 10);
    expect(colourShare(plus, 'navy')).toBeCloseTo(64 / 100, 10);
    expect(colourShare(plus, 'green')).toBe(0);
    expect(goldReward({ kind: 'colour', colour: 'white' }, 'a face', halves)).toBeCloseTo(0.5, 10);
  });

  it('contrast: the mean luminance step between neighbours', () => {
    expect(contrast(grid(blank))).toBe(0);
    // 10 rows × 9 horizontal + 9 × 10 vertical = 180 pairs; only the 10 pairs across the middle differ.
    const step = Math.abs(LUMINANCE[1] - LUMINANCE[0]);
    expect(contrast(halves)).toBeCloseTo((10 * step) / 180, 10);
    // A checkerboard of white and navy: every pair differs.
    const checker = grid(Array.from({ length: SIZE }, (_, y) => Array.from({ length: SIZE }, (_, x) => ((x + y) % 2 ? '1' : '0')).join('')));
    expect(contrast(checker)).toBeCloseTo(step, 10);
    // White is the palette's brightest colour, navy among its darkest.
    expect(LUMINANCE[1]).toBeGreaterThan(0.9);
    expect(LUMINANCE[0]).toBeLessThan(0.2);
  });

  it('template: the share of pixels equal to the class template', () => {
    const face = templateOf('face');
    expect(templateMatch(face, 'a face')).toBe(1);
    // Ten pixels changed to a colour the template does not have there.
    const changed = face.slice();
    for (let i = 0; i < 10; i++) changed[i * 11] = face[i * 11] === 6 ? 5 : 6;
    expect(templateMatch(changed, 'a face')).toBeCloseTo(0.9, 10);
    // A second implementation: count equal pixels directly.
    const house = templateOf('house');
    let same = 0;
    for (let i = 0; i < PIXELS; i++) same += house[i] === face[i] ? 1 : 0;
    expect(templateMatch(face, 'a house')).toBeCloseTo(same / PIXELS, 10);
  });

  it('the biased labeler adds weight × brightness or × the colour share', () => {
    expect(labelerBias(undefined, halves)).toBe(0);
    expect(brightness(halves)).toBeCloseTo((LUMINANCE[1] + LUMINANCE[0]) / 2, 10);
    expect(labelerBias({ kind: 'brightness', weight: 2 }, halves)).toBeCloseTo(LUMINANCE[1] + LUMINANCE[0], 10);
    expect(labelerBias({ kind: 'colour', colour: 'red', weight: 0.5 }, plus)).toBeCloseTo(0.18, 10);
  });
});

describe('pictures and their corpus', () => {
  it('the same seed draws the same pictures; another seed others', () => {
    expect(pictureCorpus(50, 7)).toEqual(pictureCorpus(50, 7));
    expect(pictureCorpus(50, 8)).not.toEqual(pictureCorpus(50, 7));
    const rows = pictureCorpus(200, 1);
    for (const r of rows) {
      expect(r).toHaveLength(1 + PIXELS);
      expect(r[0]).toBeGreaterThanOrEqual(classToken('face'));
      expect(r.slice(1).every((c) => c >= 0 && c < 8)).toBe(true);
    }
  });

  it('varied pictures of a class stay close to its template; other classes less so', () => {
    const rng = new Rng(3);
    const own = Array.from({ length: 40 }, () => templateMatch(drawPicture('tree', rng), 'a tree'));
    const other = Array.from({ length: 40 }, () => templateMatch(drawPicture('symbol', rng), 'a tree'));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(own)).toBeGreaterThan(0.4);
    expect(mean(own) - mean(other)).toBeGreaterThan(0.2);
  });

  it('a picture round-trips through its digits, and bad ones are refused with what a picture is', () => {
    const p = drawPicture('house', new Rng(1));
    expect(parsePicture(pictureText(p))).toEqual(p);
    // A class token drawn where a pixel belongs reads as the background.
    expect(pictureText([1, 9, 2])).toBe('102');
    expect(() => parsePicture('123')).toThrow(/100 digits 0–7/);
    expect(() => parsePicture('8'.repeat(100))).toThrow(/100 digits 0–7/);
    expect(() => classToken('a dragon')).toThrow(/"a face", "a house", "a tree", "a symbol"/);
  });
});

describe('the pixels task in an experiment', () => {
  it('its presets parse, and its rules name the field', () => {
    for (const name of ['pixels-symmetry', 'pixels-colour-hack', 'pixels-human']) expect(preset(name)?.task.kind).toBe('pixels');
    const e = preset('pixels-symmetry')!;
    expect(() => parseExperiment({ ...e, task: { ...e.task, prompts: ['a dragon'] } })).toThrow(/task\.prompts\[0\]/);
    expect(() => parseExperiment({ ...e, labelers: [{ ...e.labelers[0], length_bias: 1 }] })).toThrow(/labelers\[0\]\.length_bias: every picture has 100 pixels/);
    expect(() => parseExperiment({ ...e, task: { ...e.task, bias: { kind: 'colour', colour: 'pink', weight: 1 } } })).toThrow(/task\.bias\.colour/);
    expect(() => parseExperiment({ ...e, policy: { kind: 'mlp', hidden: [8], activation: 'tanh' } })).toThrow(/policy\.kind: the pixels task needs "gpt"/);
  });
});

describe('PNG sheets of pictures', () => {
  it('CRC-32 gives the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('a sheet decodes back to the pictures, each pixel an 8 × 8 block, chosen before rejected', () => {
    const red = '2'.repeat(100);
    const white = '1'.repeat(100);
    const sheets = exportSheets([{ completion: red }], [
      { id: 1, prompt: 'a face', a: white, b: red, answer: 'b', labeler: 'human', at: 0 } as never,
      { id: 2, prompt: 'a face', a: white, b: red, answer: 'tie', labeler: 'human', at: 0 } as never,
    ]);
    expect(Object.keys(sheets).sort()).toEqual(['pictures/preferences.png', 'pictures/samples.png']);
    const png = sheets['pictures/preferences.png'];
    expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const view = new DataView(png.buffer, png.byteOffset);
    const [width, height] = [view.getUint32(16), view.getUint32(20)];
    // 8 columns of 80 px pictures with 4 px gaps; one row.
    expect([width, height]).toEqual([4 + 8 * 84, 4 + 84]);
    const idatLength = view.getUint32(33);
    expect(String.fromCharCode(...png.subarray(37, 41))).toBe('IDAT');
    const raw = unzlibSync(png.subarray(41, 41 + idatLength));
    const pixel = (x: number, y: number) => Array.from(raw.subarray(y * (1 + width * 3) + 1 + x * 3, y * (1 + width * 3) + 4 + x * 3));
    // The chosen (red) picture first, the rejected (white) second; the tie is left out.
    expect(pixel(10, 10)).toEqual([0xff, 0x00, 0x4d]);
    expect(pixel(4 + 84 + 10, 10)).toEqual([0xff, 0xf1, 0xe8]);
    expect(pixel(4 + 2 * 84 + 10, 10)).toEqual([0x20, 0x20, 0x28]);
  });
});
