// The text loop in a real browser (Debian's Chromium, WebGPU on SwiftShader, a real worker and IndexedDB):
// label 8 pairs of completions with the keyboard, the reward model trains, 2 PPO iterations run, the sample table
// updates; completions and prompts show as text, never as markup.
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { browserForFile, nextPair, startFromFile, BASE_URL } from './browser';
import { goldReward } from '../../src/core/tasks/text/gold';

const fixture = 'tests/fixtures/text-human-tiny.json';
const experiment = JSON.parse(readFileSync(fixture, 'utf8'));

const browser = browserForFile();

async function openLab(page: Page, query = ''): Promise<void> {
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(`${BASE_URL}/${query}`);
  await page.waitForSelector('[data-testid=backend]', { timeout: 60_000 });
}

describe('text in the tab', () => {
  it('labels 8 text pairs, trains the reward model, runs 2 PPO iterations and updates the samples', async () => {
    const context = await browser().newContext();
    const page = await context.newPage();
    // WebGPU by name (on SwiftShader the lab picks WebAssembly itself): the text loop stays tested on WebGPU.
    await openLab(page, '?backend=webgpu');
    expect(await page.getAttribute('[data-testid=backend]', 'data-backend')).toBe('webgpu');
    await startFromFile(page, fixture, experiment.name);

    // Eight comparisons, answered as the sentiment gold would, with the keyboard.
    let lastId = '';
    for (let i = 0; i < 8; i++) {
      lastId = await nextPair(page, lastId, '[data-testid=pair-a]');
      const [a, b] = await Promise.all(['a', 'b'].map((w) => page.getAttribute(`[data-testid=pair-${w}]`, 'data-text')));
      const prompt = (await page.textContent('[data-testid=pair-a] .prompt')) ?? '';
      expect(experiment.task.prompts).toContain(prompt);
      const [ga, gb] = [a!, b!].map((c) => goldReward({ kind: 'sentiment' }, prompt, c, {}));
      await page.keyboard.press(ga > gb ? 'ArrowLeft' : gb > ga ? 'ArrowRight' : 'ArrowDown');
    }

    // The samples table shows the starting policy, then the policy after PPO iterations.
    await page.waitForFunction(() => document.querySelector('[data-testid=samples]')?.getAttribute('data-step') === '2', null, {
      timeout: 240_000,
    });
    await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.getAttribute('data-status') === 'done', null, {
      timeout: 60_000,
    });
    expect(Number(await page.textContent('[data-testid=labels-count]'))).toBe(8);
    const rows = await page.$$eval('[data-testid=sample-row]', (trs) => trs.map((tr) => tr.textContent ?? ''));
    expect(rows).toHaveLength(4);
    for (const r of rows) expect(experiment.task.prompts.some((p: string) => r.startsWith(p))).toBe(true);
    // Metric rows for step 0, 1, 2 reached the charts.
    expect(Number(await page.getAttribute('[data-testid=chart-reward]', 'data-points'))).toBe(3);
    await context.close();
    // WebGPU on SwiftShader is slow: about 200 s of a loaded machine; its own waits add up to 300 s beyond the labels.
  }, 480_000);

  it('runs IPO and best-of-n in the tab: their own charts fill, and the run finishes', async () => {
    const context = await browser().newContext();
    const page = await context.newPage();
    await openLab(page);
    for (const [file, chart, points] of [
      ['tests/fixtures/text-dpo-tiny.json', 'chart-dpo', 3],
      ['tests/fixtures/text-bon-tiny.json', 'chart-bon', 2],
    ] as const) {
      const name = JSON.parse(readFileSync(file, 'utf8')).name;
      await page.setInputFiles('[data-testid=open-file]', file);
      await page.waitForFunction((n) => (document.querySelector('[data-testid=preset]') as HTMLSelectElement).value === n, name);
      await page.click('[data-testid=start]');
      // Step 0 and two DPO steps; or one row per n. Then the run finishes.
      await page
        .waitForFunction(([c, n]) => document.querySelector(`[data-testid=${c}]`)?.getAttribute('data-points') === String(n), [chart, points] as const, {
          timeout: 300_000,
        })
        .catch(async (e) => {
          throw new Error(`${file}: ${(e as Error).message}; status line: ${await page.textContent('[data-testid=status]')}`);
        });
      await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.getAttribute('data-status') === 'done', null, {
        timeout: 60_000,
      });
      expect(await page.locator('[data-testid=chart-ppo]').count()).toBe(0);
    }
    await context.close();
  });

  it('trains text on the wasm backend too (attention through the lab\'s SIMD batched matMul): DPO runs to the end', async () => {
    const context = await browser().newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${BASE_URL}/?backend=wasm`);
    await page.waitForSelector('[data-testid=backend]', { timeout: 60_000 });
    expect(await page.getAttribute('[data-testid=backend]', 'data-backend')).toBe('wasm');
    await startFromFile(page, 'tests/fixtures/text-dpo-tiny.json', 'text-dpo-tiny');
    await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.getAttribute('data-status') === 'done', null, {
      timeout: 120_000,
    });
    expect(Number(await page.getAttribute('[data-testid=chart-dpo]', 'data-points'))).toBe(3);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('shows a prompt with markup in an opened experiment as a clear error, and nothing runs', async () => {
    const context = await browser().newContext();
    const page = await context.newPage();
    await openLab(page);
    const bad = { ...experiment, name: 'text-markup', task: { ...experiment.task, prompts: ['<img src=x onerror=alert(1)>'] } };
    await page.setInputFiles('[data-testid=open-file]', {
      name: 'markup.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify(bad)),
    });
    await page.waitForSelector('[data-testid=file-error]');
    const msg = await page.textContent('[data-testid=file-error]');
    expect(msg).toContain('task.prompts[0]');
    expect(msg).toContain('<img src=x onerror=alert(1)>');
    expect(await page.$('img[src=x]')).toBeNull();
    await context.close();
  });
});
