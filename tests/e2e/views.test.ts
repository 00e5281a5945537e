// Each task's view from ui/views.ts in a real browser: the landscape's maps before any run; a text run's sample table,
// its own figure and its own charts after the optimizer's (best-of-n: no entropy and β chart, the over-optimization
// chart instead), and none of the landscape's pieces.
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { browserForFile, startFromFile, BASE_URL } from './browser';

const browser = browserForFile();

const count = (page: Page, testid: string) => page.locator(`[data-testid=${testid}]`).count();
const figureLabels = (page: Page) => page.$$eval('[data-testid=figures] dt', (dts) => dts.map((d) => d.textContent ?? ''));

/** Runs an experiment file until its own chart has `points` rows and the run is done. */
async function runToEnd(page: Page, fixture: string, name: string, chart: string, points: number): Promise<void> {
  await startFromFile(page, fixture, name);
  await page.waitForFunction(([c, n]) => document.querySelector(`[data-testid=${c}]`)?.getAttribute('data-points') === String(n), [chart, points] as const, {
    timeout: 240_000,
  });
  await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.getAttribute('data-status') === 'done', null, {
    timeout: 60_000,
  });
}

describe('task views', () => {
  it('shows the landscape maps first, then a text run with its samples, figure and charts', async () => {
    const context = await browser().newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // The wasm backend: these tiny text runs finish in seconds there (SwiftShader's WebGPU takes minutes).
    await page.goto(`${BASE_URL}/?backend=wasm`);
    await page.waitForSelector('[data-testid=backend]', { timeout: 60_000 });
    await page.waitForSelector('.intro');
    expect(await page.textContent('.intro')).toContain('points of the plane');
    expect(await count(page, 'gold-map')).toBe(1);
    expect(await count(page, 'rm-map')).toBe(1);

    await runToEnd(page, 'tests/fixtures/text-dpo-tiny.json', 'text-dpo-tiny', 'chart-dpo', 3);
    expect(await count(page, 'gold-map')).toBe(0);
    expect(await count(page, 'samples')).toBe(1);
    expect(await count(page, 'chart-dpo')).toBe(1);
    expect(await count(page, 'chart-entropy')).toBe(1);
    expect(await count(page, 'chart-length')).toBe(1);
    expect(await count(page, 'chart-overopt')).toBe(0);
    const dpoFigures = await figureLabels(page);
    expect(dpoFigures).toContain('KL coefficient β');
    expect(dpoFigures).not.toContain('optimum');
    expect(dpoFigures.indexOf('KL coefficient β')).toBe(dpoFigures.indexOf('KL to start') + 1);

    await runToEnd(page, 'tests/fixtures/text-bon-tiny.json', 'text-bon-tiny', 'chart-bon', 2);
    expect(await count(page, 'chart-bon')).toBe(1);
    expect(await count(page, 'chart-entropy')).toBe(0);
    expect(await count(page, 'chart-length')).toBe(1);
    expect(await count(page, 'chart-overopt')).toBe(1);
    expect(errors).toEqual([]);
    await context.close();
  });
});
