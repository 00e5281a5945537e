// safetensors (huggingface.co/docs/safetensors), exactly: 8 bytes of little-endian u64 N, then N bytes of a JSON
// header { name: { dtype, shape, data_offsets: [begin, end] }, ..., "__metadata__": { string: string } }, padded
// with spaces to a multiple of 8, then the byte buffer. Offsets are relative to the start of the buffer; tensors
// are little-endian, row-major, and together cover the buffer with no holes or overlaps.
// The lab's weights are float32, so F32 is the dtype written and the one read back.
import type { Weights } from '../models/params';

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

/** Header length the reader accepts (the reference implementation caps it at 100 MB). */
const MAX_HEADER = 100 * 1024 * 1024;

export function writeSafetensors(tensors: Weights, metadata: Record<string, string> = {}): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const t = tensors[name];
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) {
      throw new SafetensorsError(`tensor ${name}: shape [${t.shape}] holds ${count} values but ${t.data.length} were given`);
    }
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + 4 * count] };
    offset += 4 * count;
  }
  let json = JSON.stringify(header);
  // Pad so the buffer starts 8-byte aligned, as the reference writer does.
  json += ' '.repeat((8 - ((8 + new TextEncoder().encode(json).length) % 8)) % 8);
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let at = 8 + head.length;
  for (const name of names) {
    const data = tensors[name].data;
    for (let i = 0; i < data.length; i++, at += 4) view.setFloat32(at, data[i], true);
  }
  return out;
}

export interface Safetensors {
  tensors: Weights;
  metadata: Record<string, string>;
}

/** Reads and checks a safetensors file; every way it can be malformed is a SafetensorsError that says how. */
export function readSafetensors(bytes: Uint8Array): Safetensors {
  if (bytes.length < 8) throw new SafetensorsError(`the file is ${bytes.length} bytes long, too short for a safetensors header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(Math.min(MAX_HEADER, bytes.length - 8))) {
    throw new SafetensorsError(`the header length (${n} bytes) runs past the end of the ${bytes.length}-byte file`);
  }
  const headerLength = Number(n);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch (e) {
    throw new SafetensorsError(`the header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw new SafetensorsError('the header is not a JSON object');
  const buffer = bytes.subarray(8 + headerLength);
  const metadata: Record<string, string> = {};
  const spans: [number, number, string][] = [];
  const tensors: Weights = {};
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (!entry || typeof entry !== 'object' || Array.isArray(entry)) throw new SafetensorsError('__metadata__ is not an object');
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v !== 'string') throw new SafetensorsError(`__metadata__.${k} is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!e || typeof e !== 'object') throw new SafetensorsError(`tensor ${name}: not an object`);
    if (e.dtype !== 'F32') throw new SafetensorsError(`tensor ${name}: dtype ${JSON.stringify(e.dtype)} (the lab reads F32 only)`);
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new SafetensorsError(`tensor ${name}: shape is not a list of non-negative integers`);
    }
    const offs = e.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((d) => Number.isSafeInteger(d) && d >= 0) || offs[1] < offs[0]) {
      throw new SafetensorsError(`tensor ${name}: data_offsets is not [begin, end] with 0 ≤ begin ≤ end`);
    }
    const [begin, end] = offs as [number, number];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end - begin !== 4 * count) {
      throw new SafetensorsError(`tensor ${name}: shape [${shape}] needs ${4 * count} bytes but data_offsets span ${end - begin}`);
    }
    if (end > buffer.length) throw new SafetensorsError(`tensor ${name}: data_offsets run past the end of the data (${buffer.length} bytes)`);
    const data = new Float32Array(count);
    const dv = new DataView(buffer.buffer, buffer.byteOffset + begin, end - begin);
    for (let i = 0; i < count; i++) data[i] = dv.getFloat32(4 * i, true);
    tensors[name] = { shape: shape as number[], data };
    spans.push([begin, end, name]);
  }
  spans.sort((a, b) => a[0] - b[0]);
  let covered = 0;
  for (const [begin, end, name] of spans) {
    if (begin !== covered) {
      throw new SafetensorsError(`tensor ${name}: starts at byte ${begin}, expected ${covered} (tensors must cover the data without holes or overlaps)`);
    }
    covered = end;
  }
  if (covered !== buffer.length) throw new SafetensorsError(`the data has ${buffer.length - covered} bytes that belong to no tensor`);
  return { tensors, metadata };
}
