// The landscape loop in a real browser: Debian's Chromium, WebGPU on SwiftShader, a real worker and IndexedDB.
import { beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { browserForFile, launch, BASE_URL } from './browser';
import { landscape } from '../../src/core/tasks/landscape2d/landscape';

const fixture = 'tests/fixtures/landscape-human-tiny.json';
const experiment = JSON.parse(readFileSync(fixture, 'utf8'));
const gold = landscape('one-hill').gold;

const browser = browserForFile();
let context: BrowserContext;

beforeAll(async () => {
  context = await browser().newContext();
  // Record main-thread long tasks from the first script on.
  await context.addInitScript(() => {
    const w = window as unknown as { __longTasks: { start: number; duration: number }[] };
    w.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  });
});

async function openLab(page: Page, query = ''): Promise<void> {
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(`${BASE_URL}/${query}`);
  await page.waitForSelector('[data-testid=backend]', { timeout: 60_000 });
}

const status = (page: Page) =>
  page.$eval('[data-testid=status]', (el) => ({
    status: el.getAttribute('data-status'),
    stage: el.getAttribute('data-stage'),
    step: Number(el.getAttribute('data-step')),
  }));

/** Answers the pending pair as a person who sees the gold map would, with the keyboard. */
async function labelPairs(page: Page, n: number): Promise<void> {
  let lastId = '';
  for (let i = 0; i < n; i++) {
    const handle = await page.waitForFunction(
      (prev) => {
        const el = document.querySelector('[data-testid=labeler]');
        const id = el?.getAttribute('data-pair-id');
        return id && id !== prev && document.querySelector('[data-testid=pair-a]') ? id : null;
      },
      lastId,
      { timeout: 60_000 },
    );
    lastId = (await handle.jsonValue()) as string;
    const point = async (which: string) =>
      page.$eval(`[data-testid=pair-${which}]`, (el) => [Number(el.getAttribute('data-x')), Number(el.getAttribute('data-y'))]);
    const [a, b] = [await point('a'), await point('b')];
    await page.keyboard.press(gold(a[0], a[1]) >= gold(b[0], b[1]) ? 'ArrowLeft' : 'ArrowRight');
  }
}

describe('landscape in the tab', () => {
  it('labels, trains, survives a reload and keeps training', async () => {
    const page = await context.newPage();
    // WebGPU by name: on SwiftShader the lab would pick WebAssembly itself (speed.test.ts), and this loop keeps WebGPU tested.
    await openLab(page, '?backend=webgpu');
    expect(await page.getAttribute('[data-testid=backend]', 'data-backend')).toBe('webgpu');
    expect(await page.textContent('[data-testid=backend]')).toContain('WebGPU');

    await page.setInputFiles('[data-testid=open-file]', fixture);
    await page.waitForFunction((name) => (document.querySelector('[data-testid=preset]') as HTMLSelectElement).value === name, experiment.name);
    await page.click('[data-testid=start]');
    const trainingFrom = await page.evaluate(() => performance.now());

    // Round 1: ten comparisons with the keyboard, then the reward model and the policy train by themselves.
    await labelPairs(page, 10);
    await page.waitForFunction(
      (iters) => {
        const el = document.querySelector('[data-testid=status]');
        return el?.getAttribute('data-status') === 'waiting-for-labels' && Number(el.getAttribute('data-step')) === iters;
      },
      experiment.optimizer.iterations,
      { timeout: 240_000 },
    );
    const goldStart = Number(await page.getAttribute('[data-testid=gold-mean]', 'data-start'));
    const goldAfter = Number(await page.getAttribute('[data-testid=gold-mean]', 'data-value'));
    // Ten honest answers and six policy iterations (seed 1) at least double the gold reward.
    expect(goldAfter).toBeGreaterThan(goldStart * 2);
    expect(Number(await page.textContent('[data-testid=labels-count]'))).toBe(10);
    const points = await page.getAttribute('[data-testid=chart-reward]', 'data-points');
    expect(Number(points)).toBe(experiment.optimizer.iterations + 1);

    // The page stays responsive while the worker trains: training on the main thread would block it for seconds.
    // (On a busy 2-core machine the scheduler alone makes a few 50–200 ms tasks, so the bound is on the total and
    // on any single task, not on the 50 ms definition of a long task.)
    const { longTasks, elapsed } = await page.evaluate((from) => {
      const all = (window as unknown as { __longTasks: { start: number; duration: number }[] }).__longTasks;
      return { longTasks: all.filter((t) => t.start > from), elapsed: performance.now() - from };
    }, trainingFrom);
    expect(longTasks.filter((t) => t.duration > 400)).toEqual([]);
    expect(longTasks.reduce((s, t) => s + t.duration, 0)).toBeLessThan(0.1 * elapsed);

    // Reload: the run, its labels, metrics and models come back from IndexedDB, paused.
    await page.reload();
    await page.waitForSelector('[data-testid=status][data-status=paused]', { timeout: 60_000 });
    expect(await status(page)).toMatchObject({ stage: 'label', step: experiment.optimizer.iterations });
    expect(Number(await page.textContent('[data-testid=labels-count]'))).toBe(10);
    expect(Number(await page.getAttribute('[data-testid=chart-reward]', 'data-points'))).toBe(experiment.optimizer.iterations + 1);
    expect(Number(await page.getAttribute('[data-testid=gold-mean]', 'data-value'))).toBeCloseTo(goldAfter, 6);

    // Resume: label two more pairs, train now, and the policy continues from where it was.
    await page.keyboard.press('p');
    await labelPairs(page, 2);
    await page.click('[data-testid=finish-labeling]');
    await page.waitForFunction(
      (iters) => Number(document.querySelector('[data-testid=status]')?.getAttribute('data-step')) >= iters + 2,
      experiment.optimizer.iterations,
      { timeout: 240_000 },
    );
    expect(Number(await page.textContent('[data-testid=labels-count]'))).toBe(12);
    await page.click('[data-testid=pause]');
    await page.waitForSelector('[data-testid=status][data-status=paused]', { timeout: 60_000 });
    await page.close();
  });

  it('refuses a bad ?backend= and a malformed experiment file with clear messages, changing nothing', async () => {
    const page = await context.newPage();
    await openLab(page, '?backend=quantum');
    const alert = await page.textContent('[role=alert]');
    expect(alert).toContain('Unknown backend "quantum"');
    expect(alert).toContain('webgpu, webgl, wasm, cpu');
    const before = await page.inputValue('[data-testid=preset]');
    await page.setInputFiles('[data-testid=open-file]', {
      name: 'broken.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify({ ...experiment, name: 'broken', reward_model: { ...experiment.reward_model, lr: 'fast' } })),
    });
    const message = await page.textContent('[data-testid=file-error]');
    expect(message).toContain('broken.json is not a valid experiment');
    expect(message).toContain('reward_model.lr');
    expect(await page.inputValue('[data-testid=preset]')).toBe(before);
    await page.setInputFiles('[data-testid=open-file]', {
      name: 'garbled.json',
      mimeType: 'application/json',
      buffer: Buffer.from('{"version": 1, "name": '),
    });
    await page.waitForSelector('[data-testid=file-error]:has-text("garbled.json")');
    expect(await page.textContent('[data-testid=file-error]')).toContain('not valid JSON');
    expect(await page.inputValue('[data-testid=preset]')).toBe(before);
    await page.close();
  });

  it('falls back with a reason when WebGPU is missing', async () => {
    const plain = await launch({ webgpu: false });
    try {
      const page = await plain.newPage();
      await openLab(page, '?backend=webgpu');
      const name = await page.getAttribute('[data-testid=backend]', 'data-backend');
      expect(name).not.toBe('webgpu');
      expect(await page.textContent('[data-testid=backend-fallback]')).toMatch(
        /^WebGPU (is not available in this browser|is available but no GPU adapter could be opened): training on (WebGL|WebAssembly|the CPU)/,
      );
    } finally {
      await plain.close();
    }
  });
});
