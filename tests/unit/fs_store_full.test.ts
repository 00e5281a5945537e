// The CLI's file store on a full disk: a write that runs out of space (ENOSPC, EDQUOT) is refused with the core's
// StorageFullError, whose message says what happened and what to do; the earlier checkpoint loads as before, and no
// half-written temporary file is left to take more space. Other errors pass through as they are. (The disk fills
// through a mocked writeFile that writes part of its file, then fails as Node's does.)
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsStore } from '../../src/cli/fs_store';
import { StorageFullError } from '../../src/core/checkpoint/store';

const disk = vi.hoisted(() => ({ error: null as string | null }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...fs,
    writeFile: async (...args: Parameters<typeof fs.writeFile>) => {
      if (!disk.error) return fs.writeFile(...args);
      await fs.writeFile(args[0], String(args[1]).slice(0, 10)); // what fitted
      const code = disk.error;
      throw Object.assign(new Error(`${code}: no space left on device, write`), { code, errno: -28, syscall: 'write' });
    },
  };
});

describe('FsStore on a full disk', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rlhf-lab-full-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each(['ENOSPC', 'EDQUOT'])('%s: StorageFullError with a message for the user; the store as it was', async (code) => {
    const store = new FsStore(join(dir, code));
    await store.setMany([['a', { n: 1, w: new Float32Array([1, 2]) }]]);
    disk.error = code;
    let error: unknown;
    try {
      await store.setMany([['a', { n: 2, w: new Float32Array([3, 4]) }], ['b', 'pointer']]);
    } catch (e) {
      error = e;
    } finally {
      disk.error = null;
    }
    expect(error).toBeInstanceOf(StorageFullError);
    const message = (error as Error).message;
    expect(message).toContain(code);
    expect(message).toContain(join(dir, code));
    expect(message).toMatch(/disk is full.*not saved.*earlier checkpoint is intact.*training goes on.*[Ff]ree space/s);
    expect((error as Error).cause).toMatchObject({ code });
    expect(await store.get('a')).toEqual({ n: 1, w: new Float32Array([1, 2]) });
    expect(await store.get('b')).toBeUndefined();
    expect(await readdir(join(dir, code))).toEqual(['a.json']); // no temporary file left
  });

  it('other errors pass through unchanged', async () => {
    const store = new FsStore(join(dir, 'other'));
    disk.error = 'EACCES';
    await expect(store.setMany([['a', 1]])).rejects.toMatchObject({ code: 'EACCES', name: 'Error' });
    disk.error = null;
  });
});
