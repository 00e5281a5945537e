// RLOO and GRPO, seeded, from the command line as a user runs them: gold reward rises on each preset by a clear margin
// while the KL stays moderate. (A file of its own so that it runs beside the other slow CLI files.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { goldGain, runPreset } from './cli_run';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'rlhf-lab-cli-group-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

const run = (name: string, backend: string, more: string[] = []) => runPreset(tmp, name, backend, more);

describe('group optimizers raise gold sentiment on their presets (wasm, seed 1)', () => {
  it('text-sentiment-rloo and text-sentiment-grpo: k completions per prompt, no value head', async () => {
    for (const name of ['text-sentiment-rloo', 'text-sentiment-grpo']) {
      const { rows } = await run(name, 'wasm');
      const { start, end } = goldGain(rows);
      expect(end, name).toBeGreaterThan(start + 1);
      expect(mean(rows.slice(-5).map((r) => r['objective/kl'])), name).toBeLessThan(15);
    }
  }, 600_000);
});
