// Runs the command line as a user does: `node bin/rlhf-lab.js ...` in the repository root.
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { hashRecord, type CheckpointRecord, type MetricRow } from '../../src/core/checkpoint/record';
import type { Experiment } from '../../src/core/experiment/parse';
import type { Assets } from '../../src/core/tasks/task_lab';
import { Runner } from '../../src/core/runner';
import { MemoryStore } from '../../src/core/checkpoint/store';
import { encodeJson } from '../../src/cli/fs_store';
import { resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../..');

export function cli(args: string[], timeoutMs = 120_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, ['bin/rlhf-lab.js', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`rlhf-lab ${args.join(' ')} did not exit in ${timeoutMs} ms; stderr:\n${stderr}`));
    }, timeoutMs);
    child.on('error', rej);
    child.on('close', (code) => {
      clearTimeout(timer);
      res({ code, stdout, stderr });
    });
  });
}

/** `rlhf-lab run NAME --backend B --seed 1 --out DIR/...`, expected to succeed; its metric rows and summary.json. */
export async function runPreset(
  dir: string,
  name: string,
  backend: string,
  more: string[] = [],
): Promise<{ rows: MetricRow[]; summary: Record<string, any> }> {
  const out = join(dir, `${name}-${more.length}`);
  const r = await cli(['run', name, '--backend', backend, '--seed', '1', '--out', out, ...more], 600_000);
  expect(r.code, r.stderr).toBe(0);
  const rows = (await readFile(join(out, 'metrics.jsonl'), 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l) as MetricRow);
  const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
  return { rows, summary };
}

/** The base policy's gold (step 0) and the mean over the last five rows (one row is 32–64 noisy samples). */
export function goldGain(rows: MetricRow[]): { start: number; end: number } {
  const tail = rows.slice(-5).map((r) => r['gold/mean']);
  return { start: rows[0]['gold/mean'], end: tail.reduce((a, b) => a + b, 0) / tail.length };
}

/**
 * A run folder holding an experiment's first checkpoint (untrained models) as `run --out` writes it, on the backend
 * already set; the record too (with its SHA-256), for a bundle.
 */
export async function firstCheckpointDir(dir: string, e: Experiment, runId: string, backend: string, assets?: Assets): Promise<CheckpointRecord> {
  const runner = await Runner.create(e, { store: new MemoryStore(), runId, backend, ...(assets ? { assets } : {}) });
  const rec = await runner.toRecord();
  runner.dispose();
  const record = { ...rec, sha256: await hashRecord(rec) };
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'checkpoint.json'), encodeJson(record));
  return record;
}
