// PNG sheets of pictures for a run's export: the latest policy samples, and every decisive comparison as its chosen
// picture beside its rejected one. Each picture pixel is drawn as a SCALE × SCALE block (nearest neighbour), with a
// gap between pictures. PNG by hand (RFC 2083: signature, IHDR, one zlib IDAT of filter-0 rows, IEND), zlib by fflate.
import { zlibSync } from 'fflate';
import { PALETTE, SIZE, parsePicture } from './picture';
import type { Label } from '../../feedback/labelers';

/** Screen pixels per picture pixel in a sheet. */
const SCALE = 8;
const GAP = 4;
const BACKDROP = [0x20, 0x20, 0x28];

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC-32 as PNG chunks carry it (ISO 3309). */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** An RGB image (width × height × 3 bytes, row by row) as a PNG file. */
export function encodePng(width: number, height: number, rgb: Uint8Array): Uint8Array {
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8 bits per channel, truecolour, deflate, filter set 0, no interlace
  const raw = new Uint8Array(height * (1 + width * 3));
  for (let y = 0; y < height; y++) raw.set(rgb.subarray(y * width * 3, (y + 1) * width * 3), y * (1 + width * 3) + 1);
  const parts = [Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', zlibSync(raw)), chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) out.set(p, (o += p.length) - p.length);
  return out;
}

const RGB = PALETTE.map(({ hex }) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)));

/** Pictures laid out in rows of `columns` (null: an empty cell), as a PNG. */
export function pictureSheet(cells: (string | null)[], columns: number): Uint8Array {
  const rows = Math.max(1, Math.ceil(cells.length / columns));
  const side = SIZE * SCALE;
  const width = GAP + columns * (side + GAP);
  const height = GAP + rows * (side + GAP);
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) rgb.set(BACKDROP, i * 3);
  cells.forEach((cell, i) => {
    if (cell === null) return;
    const px = parsePicture(cell);
    const [x0, y0] = [GAP + (i % columns) * (side + GAP), GAP + Math.floor(i / columns) * (side + GAP)];
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) rgb.set(RGB[px[Math.floor(y / SCALE) * SIZE + Math.floor(x / SCALE)]], ((y0 + y) * width + x0 + x) * 3);
    }
  });
  return encodePng(width, height, rgb);
}

/** The export's sheets: the latest samples (8 a row), and each decisive label as chosen | rejected (4 pairs a row). */
export function exportSheets(samples: { completion: string }[], labels: readonly Label[]): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  if (samples.length) out['pictures/samples.png'] = pictureSheet(samples.map((s) => s.completion), 8);
  const decisive = labels.filter((l) => l.answer === 'a' || l.answer === 'b');
  if (decisive.length) {
    out['pictures/preferences.png'] = pictureSheet(
      decisive.flatMap((l) => (l.answer === 'a' ? [String(l.a), String(l.b)] : [String(l.b), String(l.a)])),
      8,
    );
  }
  return out;
}
