// The CLI's checkpoint store: one file per key in a folder. Typed arrays are written as base64 so a record
// survives JSON. setMany writes every entry to a temporary file first and renames them into place only when all
// are written, so a crash leaves either the old pointer or the new one, never a pointer to a half-written record.
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StorageFullError, type Store } from '../core/checkpoint/store';

export function encodeJson(value: unknown, space?: number): string {
  return JSON.stringify(
    value,
    (_k, v) => {
      if (v instanceof Float32Array) {
        return { $f32: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
      }
      return v;
    },
    space,
  );
}

export function decodeJson(text: string): unknown {
  return JSON.parse(text, (_k, v) => {
    if (v && typeof v === 'object' && typeof v.$f32 === 'string' && Object.keys(v).length === 1) {
      const buf = Buffer.from(v.$f32, 'base64');
      return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    }
    return v;
  });
}

/**
 * An experiment's name as a file or folder name: its letters and digits (a–z, 0–9; others become '-'), at most 40, and
 * 8 hex digits of a hash of the whole name, so that no two names share one and no name is a path: "../x" or "a/b"
 * stay inside the folder they are written in, and a name of 80 wide characters stays short.
 */
export function safeName(name: string): string {
  let h = 0x811c9dc5; // FNV-1a over the UTF-16 code units
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'run';
  return `${slug}-${h.toString(16).padStart(8, '0')}`;
}

/** Reversible: every key has its own file, and keys() can give the key back. */
const fileOf = (key: string) => `${encodeURIComponent(key).replace(/\./g, '%2E')}.json`;

export class FsStore implements Store {
  constructor(readonly dir: string) {}

  async get(key: string): Promise<unknown> {
    try {
      return decodeJson(await readFile(join(this.dir, fileOf(key)), 'utf8'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async setMany(entries: [string, unknown][]): Promise<void> {
    const tmp = entries.map(([k]) => join(this.dir, `.${fileOf(k)}.${process.pid}.tmp`));
    try {
      await mkdir(this.dir, { recursive: true });
      await Promise.all(entries.map(([, v], i) => writeFile(tmp[i], encodeJson(v))));
      for (let i = 0; i < entries.length; i++) await rename(tmp[i], join(this.dir, fileOf(entries[i][0])));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOSPC' && code !== 'EDQUOT') throw e;
      // The half-written temporary files would only take more of the space that ran out
      await Promise.all(tmp.map((f) => rm(f, { force: true }).catch(() => {})));
      throw new StorageFullError(
        `The disk is full (${code}: no space left for ${this.dir}), so this checkpoint was not saved; every earlier ` +
          'checkpoint is intact and training goes on. Free space on that disk: the next checkpoint is saved once ' +
          'there is room.',
        { cause: e },
      );
    }
  }

  async delMany(keys: string[]): Promise<void> {
    await Promise.all(keys.map((k) => rm(join(this.dir, fileOf(k)), { force: true })));
  }

  async keys(): Promise<string[]> {
    try {
      return (await readdir(this.dir))
        .filter((f) => f.endsWith('.json') && !f.startsWith('.'))
        .map((f) => decodeURIComponent(f.slice(0, -5)));
    } catch {
      return [];
    }
  }
}
