// The tab's layout in a real browser: the control task's own view (no KL chart; true return against comparisons
// and per iteration; accuracy on 0–1), Pause as the main button while a run trains, the Runs page's actions inside a
// 390 px wide phone (and the lab's charts narrowed to fit it), light and dark themes by the system and by the toggle (kept over a reload), and the `?` overlay
// of keyboard shortcuts.
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { browserForFile, startFromFile, BASE_URL } from './browser';

const browser = browserForFile();

const count = (page: Page, testid: string) => page.locator(`[data-testid=${testid}]`).count();
const background = (page: Page) => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
const DARK_BG = 'rgb(21, 23, 28)';
const LIGHT_BG = 'rgb(246, 247, 249)';

async function open(page: Page): Promise<void> {
  // The wasm backend: a tiny run finishes in seconds there (SwiftShader's WebGPU takes minutes).
  await page.goto(`${BASE_URL}/?backend=wasm`);
  await page.waitForSelector('[data-testid=backend]', { timeout: 60_000 });
}

describe('layout', () => {
  it('shows the control view, Pause as the main button while training, and the Runs page on a phone', async () => {
    const context = await browser().newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await open(page);
    expect(await page.getAttribute('[data-testid=start]', 'class')).toContain('primary');

    await startFromFile(page, 'tests/fixtures/control-sim-tiny.json', 'control-sim-tiny');
    // While it trains, Pause is the primary button and Start ("New run") is not.
    const classes = await page.waitForFunction(() => {
      const pause = document.querySelector('[data-testid=pause]');
      const start = document.querySelector('[data-testid=start]');
      return pause && start ? { pause: pause.classList.contains('primary'), start: start.classList.contains('primary') } : null;
    }, null, { timeout: 60_000 });
    expect(await classes.jsonValue()).toEqual({ pause: true, start: false });
    // P pauses: Resume is the main button; P again resumes.
    await page.keyboard.press('p');
    await page.waitForSelector('[data-testid=resume].primary', { timeout: 30_000 });
    expect(await page.getAttribute('[data-testid=start]', 'class')).not.toContain('primary');
    await page.keyboard.press('p');

    await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.getAttribute('data-status') === 'done', null, { timeout: 120_000 });
    // The control view: the true return against comparisons and per iteration, no KL chart or figure.
    expect(await count(page, 'chart-kl')).toBe(0);
    expect(await count(page, 'kl')).toBe(0);
    expect(await count(page, 'chart-true-return')).toBe(1);
    expect(Number(await page.getAttribute('[data-testid=chart-true-return]', 'data-points'))).toBe(21); // step 0 and 20 iterations (enough that the run is still training when P is pressed)
    expect(await page.textContent('[data-testid=chart-reward] h3')).toContain('True return per policy iteration');
    const dts = await page.$$eval('[data-testid=figures] dt', (d) => d.map((x) => x.textContent ?? ''));
    expect(dts).toContain('true return (start → now)');
    expect(dts.join(' ')).not.toContain('gold');
    // Segment accuracy on a 0–1 axis; PPO's value head is charted.
    expect(await page.textContent('[data-testid=chart-accuracy] h3')).toContain('segment pairs');
    expect(await page.getAttribute('[data-testid=chart-accuracy]', 'data-range')).toBe('0 1');
    expect(await count(page, 'chart-value')).toBe(1);

    // The Runs page on a 390 px phone: every run's Open, Export and Delete inside the viewport, no sideways scroll.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.click('[data-testid=nav-runs]');
    await page.waitForSelector('[data-testid=run-row]');
    for (const id of ['run-open', 'run-export', 'run-delete', 'run-rename', 'run-duplicate']) {
      const box = await page.locator(`[data-testid=${id}]`).first().boundingBox();
      expect(box, id).not.toBeNull();
      expect(box!.x, id).toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width, id).toBeLessThanOrEqual(390);
    }
    // Once the charts have followed the window's new width (they are rebuilt on resize), nothing scrolls sideways.
    await page.waitForFunction(() => document.documentElement.scrollWidth <= 390, null, { timeout: 10_000 });
    // Back on the lab, now on the phone: the charts, built at 1280 px, narrowed when the window did; nothing scrolls sideways.
    await page.goto(`${BASE_URL}/?backend=wasm#lab`);
    await page.waitForSelector('[data-testid=chart-value] canvas', { timeout: 60_000 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('follows the system theme, and the toggle switches it and keeps it over a reload', async () => {
    const dark = await browser().newContext({ colorScheme: 'dark' });
    const d = await dark.newPage();
    await open(d);
    expect(await background(d)).toBe(DARK_BG);
    await dark.close();

    const context = await browser().newContext({ colorScheme: 'light' });
    const page = await context.newPage();
    await open(page);
    expect(await background(page)).toBe(LIGHT_BG);
    expect(await page.getAttribute('[data-testid=theme-toggle]', 'data-mode')).toBe('light');
    await page.click('[data-testid=theme-toggle]');
    expect(await background(page)).toBe(DARK_BG);
    await page.reload();
    await page.waitForSelector('[data-testid=theme-toggle]');
    expect(await background(page)).toBe(DARK_BG);
    expect(await page.getAttribute('[data-testid=theme-toggle]', 'data-mode')).toBe('dark');
    await page.click('[data-testid=theme-toggle]');
    expect(await background(page)).toBe(LIGHT_BG);
    expect(await page.evaluate(() => localStorage.getItem('rlhf-lab.theme'))).toBe('light');
    await context.close();
  });

  it('opens the keyboard shortcuts with ? and the button, and closes them with Escape', async () => {
    const context = await browser().newContext();
    const page = await context.newPage();
    await open(page);
    expect(await page.isVisible('[data-testid=shortcuts]')).toBe(false);
    await page.keyboard.press('?');
    await page.waitForSelector('[data-testid=shortcuts]', { state: 'visible' });
    const text = (await page.textContent('[data-testid=shortcuts]')) ?? '';
    for (const k of ['←', '→', '↓', 'Space', 'P', 'Esc']) expect(text).toContain(k);
    expect(text).toContain('pause the run');
    await page.keyboard.press('Escape');
    await page.waitForSelector('[data-testid=shortcuts]', { state: 'hidden' });
    await page.click('[data-testid=shortcuts-open]');
    await page.waitForSelector('[data-testid=shortcuts]', { state: 'visible' });
    await page.click('[data-testid=shortcuts-close]');
    await page.waitForSelector('[data-testid=shortcuts]', { state: 'hidden' });
    await context.close();
  });
});
