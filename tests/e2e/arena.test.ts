// The arena in a real browser: two text runs (the base model and a DPO-trained one, made here in Node and imported
// through the Runs page), blind pairs of completions of one prompt, votes by keyboard, a Bradley-Terry leaderboard
// with intervals, the "drop the most influential votes" check, and the votes kept over a reload.
import { describe, expect, it } from 'vitest';
import { browserForFile, BASE_URL } from './browser';
import { tf } from '../../src/core/tf';
import { MemoryStore } from '../../src/core/checkpoint/store';
import { Runner } from '../../src/core/runner';
import { applyOverrides } from '../../src/core/experiment/parse';
import { preset } from '../../src/core/experiment/presets';
import { loadCheckpoint } from '../../src/core/checkpoint/record';
import { buildBundle } from '../../src/core/checkpoint/export';
import { publicAssets } from '../../src/cli/fs_assets';

const browser = browserForFile({ webgpu: false });

async function textBundle(name: string, iterations: number): Promise<Buffer> {
  const store = new MemoryStore();
  const e = { ...applyOverrides(preset('text-sentiment-dpo')!, ['schedule.rounds=1', 'schedule.labels_per_round=8', `optimizer.iterations=${iterations}`, 'optimizer.eval_samples=4', 'optimizer.batch_size=4']), name };
  const r = await Runner.create(e, { store, runId: name, backend: 'wasm', assets: publicAssets });
  await r.run();
  r.dispose();
  return Buffer.from(buildBundle((await loadCheckpoint(store, name))!.record, name));
}

describe('the arena', () => {
  it('votes between two text runs: blind pairs on one prompt, the leaderboard, the fragility check, kept over a reload', async () => {
    await import('@tensorflow/tfjs-backend-wasm');
    await tf.setBackend('wasm');
    const bundles = [await textBundle('arena-base', 0), await textBundle('arena-dpo', 2)];

    const context = await browser().newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${BASE_URL}/?backend=wasm#runs`);
    await page.waitForSelector('[data-testid=import-file]:not([disabled])', { timeout: 60_000 });
    for (const [i, b] of bundles.entries()) {
      await page.setInputFiles('[data-testid=import-file]', { name: `r${i}.rlhf-lab.zip`, mimeType: 'application/zip', buffer: b });
      await page.waitForSelector(`[data-testid=runs-info]:has-text("r${i}.rlhf-lab.zip")`);
    }
    await page.click('[data-testid=nav-arena]');
    await page.waitForSelector('[data-testid=arena-choose]');
    for (const box of await page.$$('[data-testid=arena-choose]')) await box.check();
    await page.click('[data-testid=arena-start]');
    await page.waitForSelector('[data-testid=arena-left]', { timeout: 60_000 });
    const prompts = preset('text-sentiment-dpo')!.task.kind === 'text' ? (preset('text-sentiment-dpo')!.task as { prompts: string[] }).prompts : [];
    for (let v = 0; v < 6; v++) {
      const prompt = await page.textContent('[data-testid=arena-prompt]');
      expect(prompts).toContain(prompt);
      // Each side shows the prompt followed by its completion.
      expect(await page.textContent('[data-testid=arena-left]')).toContain(prompt!);
      expect(await page.textContent('[data-testid=arena-right]')).toContain(prompt!);
      await page.keyboard.press(v % 3 === 2 ? 't' : v % 2 ? 'ArrowRight' : 'ArrowLeft');
      await page.waitForFunction((n) => document.querySelector('[data-testid=arena-votes]')?.textContent === `${n} votes`, v + 1);
      await page.waitForSelector('[data-testid=arena-left]:not([disabled])');
    }
    const rows = await page.$$eval('[data-testid=arena-row]', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
    expect(rows).toHaveLength(2);
    expect(rows.map((r) => Number(r[4]))).toEqual([6, 6]); // every vote is between these two
    const scores = rows.map((r) => Number(r[2]));
    expect(scores[0]).toBeGreaterThanOrEqual(scores[1]);
    expect(scores[0] + scores[1]).toBeCloseTo(0, 1); // mean 0
    for (const r of rows) expect(r[3]).toMatch(/^-?\d+\.\d\d … -?\d+\.\d\d$/);
    await page.fill('[data-testid=arena-drop-k]', '2');
    expect(await page.textContent('[data-testid=arena-fragility]')).toMatch(/leads by \d+\.\d\d; without those 2 votes/);

    await page.reload();
    await page.waitForFunction(() => document.querySelector('[data-testid=arena-votes]')?.textContent === '6 votes', null, { timeout: 60_000 });
    await page.click('[data-testid=arena-close]');
    await page.waitForSelector('[data-testid=arena-start]');
    expect(errors).toEqual([]);
    await context.close();
  });
});
