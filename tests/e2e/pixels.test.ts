// The pixels loop in a real browser: label 8 pairs of pictures with the keyboard (as the symmetry gold would), the
// reward model trains, 2 PPO iterations run, and the gallery's pictures change; pictures are drawn crisp (pixelated),
// large in the labeler, and the task's own chart fills.
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { browserForFile, nextPair, startFromFile, BASE_URL } from './browser';
import { symmetry } from '../../src/core/tasks/pixels/gold';
import { parsePicture } from '../../src/core/tasks/pixels/picture';

const fixture = 'tests/fixtures/pixels-human-tiny.json';
const experiment = JSON.parse(readFileSync(fixture, 'utf8'));

const browser = browserForFile();

async function openLab(page: Page): Promise<void> {
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(`${BASE_URL}/`);
  await page.waitForSelector('[data-testid=backend]', { timeout: 60_000 });
}

const galleryPictures = (page: Page) =>
  page.$$eval('[data-testid=samples] [data-picture]', (els) => els.map((e) => e.getAttribute('data-picture') ?? ''));

describe('pixels in the tab', () => {
  it('labels 8 picture pairs by keyboard, trains, and the samples change', async () => {
    const context = await browser().newContext();
    const page = await context.newPage();
    await openLab(page);
    await startFromFile(page, fixture, experiment.name);

    let lastId = '';
    for (let i = 0; i < 8; i++) {
      lastId = await nextPair(page, lastId, '[data-testid=pair-a]');
      const [a, b] = await Promise.all(['a', 'b'].map((w) => page.getAttribute(`[data-testid=pair-${w}]`, 'data-text')));
      // Two pictures of the run's classes, each 100 palette digits, drawn large and crisp.
      const box = await page.locator('[data-testid=pair-a] canvas').boundingBox();
      expect(box!.width).toBeGreaterThanOrEqual(150);
      expect(await page.locator('[data-testid=pair-a] canvas').evaluate((c) => getComputedStyle(c).imageRendering)).toBe('pixelated');
      if (i === 0) {
        // The gallery shows the starting policy while the labels are collected.
        await page.waitForFunction(() => document.querySelectorAll('[data-testid=samples] [data-picture]').length > 0, null, { timeout: 60_000 });
      }
      const [ga, gb] = [a!, b!].map((p) => symmetry(parsePicture(p)));
      await page.keyboard.press(ga > gb ? 'ArrowLeft' : gb > ga ? 'ArrowRight' : 'ArrowDown');
    }
    const before = await galleryPictures(page);
    expect(before.length).toBeGreaterThan(0);

    await page.waitForFunction(() => document.querySelector('[data-testid=samples]')?.getAttribute('data-step') === '2', null, { timeout: 300_000 });
    await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.getAttribute('data-status') === 'done', null, { timeout: 60_000 });
    expect(Number(await page.textContent('[data-testid=labels-count]'))).toBe(8);
    const after = await galleryPictures(page);
    expect(after.length).toBe(4);
    for (const p of after) expect(p).toMatch(/^[0-7]{100}$/);
    // New samples of the trained policy: not the starting policy's pictures.
    expect(after.join()).not.toBe(before.slice(0, after.length).join());
    // Step 0 and 2 iterations reached the reward chart, and the pixels task's own chart.
    expect(Number(await page.getAttribute('[data-testid=chart-reward]', 'data-points'))).toBe(3);
    expect(await page.locator('[data-testid=chart-pixels]').count()).toBe(1);
    await context.close();
  });
});
