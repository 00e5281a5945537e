// Links made in the lab, opened as a student would (issue: educators and classrooms, item 1). On e1d67a7 a link made
// with "Share this experiment as a link…" kept the preset's name, was read before the worker sent the presets, and
// the page threw each_key_duplicate, leaving Run disabled. Here, for each task, with and without parameter changes
// and locks: pick the preset, make the link in the tab, open it in a fresh browser context, run it to its first
// metric row.
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { browserForFile, BASE_URL } from './browser';

const browser = browserForFile({ webgpu: false });

interface Case {
  preset: string;
  edits: Record<string, number>;
  locks: string[];
  backend: string;
}

const CASES: Case[] = [
  { preset: 'landscape-ridge', edits: {}, locks: [], backend: 'cpu' },
  { preset: 'landscape-hello', edits: { 'schedule.labels_per_round': 12, 'reward_model.steps': 30, seed: 7 }, locks: ['seed', 'optimizer.kl_coef'], backend: 'cpu' },
  { preset: 'text-sentiment-ppo', edits: { 'schedule.labels_per_round': 8, 'reward_model.steps': 4, 'optimizer.iterations': 1 }, locks: ['optimizer.kl_coef'], backend: 'wasm' },
  { preset: 'control-cartpole', edits: { 'schedule.labels_per_round': 6, 'reward_model.steps': 10, 'optimizer.iterations': 1 }, locks: [], backend: 'wasm' },
];

async function makeLink(page: Page, c: Case): Promise<string> {
  await page.goto(`${BASE_URL}/?backend=cpu`);
  await page.waitForSelector('[data-testid=backend]', { timeout: 60_000 });
  await page.selectOption('[data-testid=preset]', c.preset);
  for (const [path, value] of Object.entries(c.edits)) {
    if (!(await page.isVisible('[data-testid=params] .grid'))) await page.click('[data-testid=params] summary');
    await page.fill(`[data-testid="param-${path}"]`, String(value));
    await page.press(`[data-testid="param-${path}"]`, 'Tab'); // the change lands on blur
  }
  await page.click('[data-testid=link-builder] summary');
  for (const path of c.locks) await page.check(`[data-testid="lock-${path}"]`);
  // The length shows before the link is made, and the first click on Make link is the one that makes it.
  expect(Number((await page.textContent('[data-testid=link-length]'))!.split(' ')[0])).toBeGreaterThan(20);
  await page.click('[data-testid=link-build]');
  const url = await page.inputValue('[data-testid=link-url]');
  expect(url).toMatch(/#share=v1\./);
  return url;
}

describe('links made in the lab', () => {
  for (const c of CASES) {
    const what = `${c.preset}${Object.keys(c.edits).length ? ' with changes' : ''}${c.locks.length ? ' and locks' : ''}`;
    it(`${what}: made in the tab, opened in a fresh context, runs to its first metric row`, async () => {
      const maker = await browser().newContext();
      const url = await makeLink(await maker.newPage(), c);
      await maker.close();

      const student = await browser().newContext();
      const page = await student.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      // The same link, on the backend this test wants (a query before the fragment leaves the link as it was).
      await page.goto(url.replace('/#share=', `/?backend=${c.backend}#share=`));
      await page.waitForSelector('[data-testid=shared]', { timeout: 60_000 });
      const name = (await page.textContent('[data-testid=shared-name]'))!;
      // Changed settings under a preset's name are kept apart from the preset; unchanged ones are the preset.
      expect(name).toBe(Object.keys(c.edits).length ? `${c.preset} (link)` : c.preset);
      expect(await page.inputValue('[data-testid=preset]')).toBe(name);
      const options = await page.$$eval('[data-testid=preset] option', (os) => os.map((o) => (o as HTMLOptionElement).value));
      expect(new Set(options).size).toBe(options.length);
      for (const path of c.locks) expect(await page.isDisabled(`[data-testid="param-${path}"]`)).toBe(true);
      for (const [path, value] of Object.entries(c.edits)) expect(Number(await page.inputValue(`[data-testid="param-${path}"]`))).toBe(value);
      await page.click('[data-testid=shared-run]');
      await page.waitForFunction(() => Number(document.querySelector('[data-testid=chart-reward]')?.getAttribute('data-points') ?? 0) >= 1, null, { timeout: 240_000 });
      expect(errors).toEqual([]);
      await student.close();
    });
  }
});
