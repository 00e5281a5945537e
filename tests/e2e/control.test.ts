// The control loop in a real browser (Debian's Chromium, WebGPU on SwiftShader, a real worker and IndexedDB): six
// pairs of cart-pole clips play side by side and are labeled with the keyboard and the mouse, the reward model
// trains, PPO runs, and the new policy's clip plays.
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { browserForFile, nextPair, startFromFile, BASE_URL } from './browser';

const fixture = 'tests/fixtures/control-human-tiny.json';
const experiment = JSON.parse(readFileSync(fixture, 'utf8'));

const browser = browserForFile();

/** The clip's canvas as a data URL, and the frame it shows. */
const snapshot = (page: Page, testid: string) =>
  page.$eval(`[data-testid=${testid}]`, (c) => ({ url: (c as HTMLCanvasElement).toDataURL(), frame: Number(c.getAttribute('data-frame')) }));

describe('control in the tab', () => {
  it('labels 6 clip pairs, trains, and plays the new policy\'s clip', async () => {
    const context = await browser().newContext();
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await page.goto(`${BASE_URL}/`);
    await page.waitForSelector('[data-testid=backend]', { timeout: 60_000 });
    await startFromFile(page, fixture, experiment.name);

    let lastId = '';
    for (let i = 0; i < 6; i++) {
      lastId = await nextPair(page, lastId, '[data-testid=clip-a]');
      // Both clips are 50 steps long and play: the frame moves on while we watch.
      expect(Number(await page.getAttribute('[data-testid=clip-a]', 'data-frames'))).toBe(50);
      const first = await snapshot(page, 'clip-b');
      await page.waitForFunction((f) => Number(document.querySelector('[data-testid=clip-b]')?.getAttribute('data-frame')) !== f, first.frame, { timeout: 10_000 });
      if (i % 3 === 2) await page.click('[data-testid=pair-b]');
      else await page.keyboard.press(i % 3 === 0 ? 'ArrowLeft' : '1');
    }

    await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.getAttribute('data-status') === 'done', null, {
      timeout: 180_000,
    });
    expect(Number(await page.textContent('[data-testid=labels-count]'))).toBe(6);
    // The clip of the policy after both PPO iterations plays: its frame advances and the picture changes.
    await page.waitForFunction(() => document.querySelector('[data-testid=policy-clip]')?.getAttribute('data-version') === '2', null, { timeout: 30_000 });
    // (A short episode loops quickly and rests on its last frame between loops: wait for the frame to move.)
    const a = await snapshot(page, 'policy-clip-canvas');
    await page.waitForFunction(
      (f) => Number(document.querySelector('[data-testid=policy-clip-canvas]')?.getAttribute('data-frame')) !== f,
      a.frame,
      { timeout: 10_000 },
    );
    const b = await snapshot(page, 'policy-clip-canvas');
    expect(b.frame).not.toBe(a.frame);
    expect(b.url).not.toBe(a.url);
    // Metric rows for step 0, 1, 2 reached the true-return chart.
    expect(Number(await page.getAttribute('[data-testid=chart-true-return]', 'data-points'))).toBe(3);
    // The clip step by step: one point per step, the frames being the start and the state after each step.
    const frames = Number(await page.getAttribute('[data-testid=policy-clip-canvas]', 'data-frames'));
    expect(Number(await page.getAttribute('[data-testid=chart-clip-steps]', 'data-points'))).toBe(frames - 1);
    await context.close();
  });
});
