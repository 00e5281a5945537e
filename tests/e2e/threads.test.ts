// Threads in the tab (Debian's Chromium): the lab is served cross-origin isolated (vite.config.ts's COOP/COEP), so
// its worker has SharedArrayBuffer and tfjs-wasm runs its threaded SIMD build (whose thread start the minifier broke
// until vite.config.ts's tfjsWasmThreads); a DPO run on the text GPT trains there, ?threads=2 asked, with nothing
// blocked or failing, and ends with the losses of the same seeded run on the page served without the headers (as
// before: tfjs-wasm's single-threaded SIMD build), to the 3 digits the chart's legend shows. tfjs-wasm's own pool
// takes no thread in Chromium; the lab's kernel threads (core/kernels/wasm_threads.ts) start, and the header says 2.
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { browserForFile, startFromFile, BASE_URL } from './browser';
import { withoutIsolation } from './isolation';

const browser = browserForFile({ webgpu: false });

/** Runs text-dpo-tiny on wasm (`query` adds to ?backend=wasm) and returns what the page says of it. */
async function dpoRun(page: Page, query: string) {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(`${BASE_URL}/?backend=wasm${query}`);
  await page.waitForSelector('[data-testid=backend]', { timeout: 60_000 });
  const isolated = await page.evaluate(() => crossOriginIsolated);
  const workerIsolated = await page.workers()[0]?.evaluate(() => crossOriginIsolated);
  const backend = await page.getAttribute('[data-testid=backend]', 'data-backend');
  const threads = Number(await page.getAttribute('[data-testid=backend]', 'data-threads'));
  const title = (await page.textContent('[data-testid=backend]'))?.trim();
  await startFromFile(page, 'tests/fixtures/text-dpo-tiny.json', 'text-dpo-tiny');
  await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.getAttribute('data-status') === 'done', null, { timeout: 240_000 });
  const losses = await page.$$eval('[data-testid=chart-dpo] [data-testid=legend-value]', (els) => els.map((e) => e.textContent));
  return { isolated, workerIsolated, backend, threads, title, losses, errors };
}

describe('threads in the tab', () => {
  it('is cross-origin isolated, trains DPO on the threaded build, and ends with the single-threaded build\'s losses', async () => {
    const threaded = await browser().newContext();
    const t = await dpoRun(await threaded.newPage(), '&threads=2');
    await threaded.close();
    expect(t.errors).toEqual([]);
    expect(t.isolated).toBe(true);
    expect(t.workerIsolated).toBe(true);
    expect(t.backend).toBe('wasm');
    // The lab's kernel threads: the worker and one more, and the header says so
    expect(t.threads).toBe(2);
    expect(t.title).toBe('Training on WebAssembly, 2 threads');

    const single = await browser().newContext();
    await withoutIsolation(single);
    const s = await dpoRun(await single.newPage(), '');
    await single.close();
    expect(s.errors).toEqual([]);
    expect(s.isolated).toBe(false);
    expect(s.threads).toBe(1);
    expect(s.title).toBe('Training on WebAssembly');

    expect(t.losses.length).toBeGreaterThan(0);
    expect(t.losses.every((v) => v !== null && v !== '–' && Number.isFinite(Number(v)))).toBe(true);
    expect(t.losses).toEqual(s.losses);
  }, 600_000);

  it('says what was wrong with a bad ?threads= and starts anyway, on the single-threaded build', async () => {
    const context = await browser().newContext();
    const page = await context.newPage();
    await page.goto(`${BASE_URL}/?backend=wasm&threads=lots`);
    await page.waitForSelector('[data-testid=backend]', { timeout: 60_000 });
    expect(await page.textContent('[role=alert]')).toContain('?threads=lots is not a thread count: give a whole number from 1 to 64');
    expect(await page.getAttribute('[data-testid=backend]', 'data-backend')).toBe('wasm');
    expect(Number(await page.getAttribute('[data-testid=backend]', 'data-threads'))).toBe(1);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true); // isolated, yet one thread: the value was bad
    await context.close();
  }, 120_000);

  it('trains on one kernel thread per core (at most 8) on an isolated page that asks for nothing', async () => {
    const context = await browser().newContext();
    const page = await context.newPage();
    await page.goto(`${BASE_URL}/?backend=wasm`);
    await page.waitForSelector('[data-testid=backend][data-backend=wasm]', { timeout: 60_000 });
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    const want = Math.min(cores, 8);
    expect(Number(await page.getAttribute('[data-testid=backend]', 'data-threads'))).toBe(want);
    expect((await page.textContent('[data-testid=backend]'))?.trim()).toBe(want > 1 ? `Training on WebAssembly, ${want} threads` : 'Training on WebAssembly');
    await context.close();
  }, 120_000);
});
