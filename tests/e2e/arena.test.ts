// The arena in a real browser: two text runs (the base model and a DPO-trained one, made here in Node and imported
// through the Runs page), blind pairs of completions of one prompt, votes by keyboard, a Bradley-Terry leaderboard
// with intervals, the "drop the most influential votes" check, and the votes kept over a reload. Then two pixels runs:
// two pictures of one class drawn large, the same keys, the leaderboard; and a text run ticked with them is refused.
import { describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
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

/** A tiny run of a preset, made here in Node, as the bundle the Runs page imports. */
async function bundle(presetName: string, name: string, overrides: string[]): Promise<Buffer> {
  const store = new MemoryStore();
  const e = { ...applyOverrides(preset(presetName)!, ['schedule.rounds=1', 'schedule.labels_per_round=8', ...overrides]), name };
  const r = await Runner.create(e, { store, runId: name, backend: 'wasm', assets: publicAssets });
  await r.run();
  r.dispose();
  return Buffer.from(buildBundle((await loadCheckpoint(store, name))!.record, name));
}

const textBundle = (name: string, iterations: number) => bundle('text-sentiment-dpo', name, [`optimizer.iterations=${iterations}`, 'optimizer.eval_samples=4', 'optimizer.batch_size=4']);
const pixelsBundle = (name: string, iterations: number) =>
  bundle('pixels-symmetry', name, ['task.prompts=["a face","a tree"]', 'reward_model.steps=3', 'reward_model.batch_size=4', `optimizer.iterations=${iterations}`, 'optimizer.batch_size=4', 'optimizer.minibatches=1', 'optimizer.epochs=1']);

/** A fresh browser context with the bundles imported on the Runs page (named r0, r1, …), on the Arena page. */
async function arenaWith(bundles: Buffer[]): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
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
  return { context, page, errors };
}

describe('the arena', () => {
  it('votes between two text runs: blind pairs on one prompt, the leaderboard, the fragility check, kept over a reload', async () => {
    await import('@tensorflow/tfjs-backend-wasm');
    await tf.setBackend('wasm');
    const bundles = [await textBundle('arena-base', 0), await textBundle('arena-dpo', 2)];
    const { context, page, errors } = await arenaWith(bundles);
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

  it('votes between two pixels runs: two pictures of one class drawn large, the same keys, the leaderboard; a text run ticked with them is refused', async () => {
    await import('@tensorflow/tfjs-backend-wasm');
    await tf.setBackend('wasm');
    const bundles = [await pixelsBundle('pixels-base', 0), await pixelsBundle('pixels-ppo', 2), await textBundle('words', 0)];
    const { context, page, errors } = await arenaWith(bundles);
    const boxes = await page.$$('[data-testid=arena-choose]');
    expect(boxes).toHaveLength(3);
    for (const box of boxes) await box.check();
    await page.click('[data-testid=arena-start]');
    expect(await (await page.waitForSelector('[data-testid=arena-error]')).textContent()).toMatch(/is a (text|pixels) run and ".+" a (text|pixels) run: an arena compares runs of one task\. Tick runs of one task only\./);
    // Untick the text run ("words"), and the two pixels runs open.
    const names = await page.$$eval('[data-testid=arena-choose]', (xs) => xs.map((x) => x.parentElement?.textContent ?? ''));
    await page.uncheck(`[data-testid=arena-choose] >> nth=${names.findIndex((t) => t.includes('words'))}`);
    await page.click('[data-testid=arena-start]');
    await page.waitForSelector('[data-testid=arena-left]', { timeout: 60_000 });
    expect(await page.$('[data-testid=arena-error]')).toBeNull();
    for (let v = 0; v < 5; v++) {
      expect(['a face', 'a tree']).toContain(await page.textContent('[data-testid=arena-prompt]'));
      for (const side of ['left', 'right']) {
        // One picture a side: its 100 digits, on a canvas drawn 260 CSS pixels a side, crisp.
        const shown = await page.$eval(`[data-testid=arena-${side}] [data-picture]`, (el) => {
          const c = el.querySelector('canvas')!;
          const box = c.getBoundingClientRect();
          return { digits: el.getAttribute('data-picture') ?? '', w: box.width, h: box.height, rendering: getComputedStyle(c).imageRendering, painted: c.getContext('2d')!.getImageData(0, 0, 10, 10).data.some((x) => x > 0) };
        });
        expect(shown.digits).toMatch(/^[0-7]{100}$/);
        expect([shown.w, shown.h]).toEqual([260, 260]);
        expect(shown.rendering).toBe('pixelated');
        expect(shown.painted).toBe(true);
      }
      await page.keyboard.press(v === 4 ? 's' : v === 2 ? 't' : v % 2 ? 'ArrowRight' : 'ArrowLeft');
      if (v < 4) await page.waitForFunction((n) => document.querySelector('[data-testid=arena-votes]')?.textContent === `${n} votes`, v + 1);
      await page.waitForSelector('[data-testid=arena-left]:not([disabled])');
    }
    expect(await page.textContent('[data-testid=arena-votes]')).toBe('4 votes'); // S skipped, recording nothing
    const rows = await page.$$eval('[data-testid=arena-row]', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
    expect(rows).toHaveLength(2);
    expect(rows.map((r) => r[1]).sort()).toEqual(['pixels-base (imported)', 'pixels-ppo (imported)']);
    expect(rows.map((r) => Number(r[4]))).toEqual([4, 4]);
    expect(Number(rows[0][2]) + Number(rows[1][2])).toBeCloseTo(0, 1);
    await page.click('[data-testid=arena-close]');
    expect(errors).toEqual([]);
    await context.close();
  });
});
