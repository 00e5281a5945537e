// The lab's shipped files (public/) for Node hosts: the CLI and the tests.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { Assets } from '../core/tasks/task_lab';

export const PUBLIC_DIR = fileURLToPath(new URL('../../public/', import.meta.url));

export function fsAssets(dir = PUBLIC_DIR): Assets {
  return async (path: string) => {
    try {
      return new Uint8Array(await readFile(join(dir, path)));
    } catch (e) {
      throw new Error(`cannot read the lab's file ${join(dir, path)}: ${(e as Error).message}`);
    }
  };
}

/** One loader per process, so the base model is decoded once. */
export const publicAssets = fsAssets();
