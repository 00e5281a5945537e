// Regenerates the README's screenshots (docs/*.png): builds the lab, serves the build with `vite preview`, and drives
// Debian's Chromium (playwright-core, as the e2e tests do) through three runs on the wasm backend, where they train in
// seconds without a GPU. Run: `npm run screenshots` (CHROMIUM_PATH, SCREENSHOT_PORT to change the defaults).
import { build, preview } from 'vite';
import { chromium, type Page } from 'playwright-core';
import { statSync } from 'node:fs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const PORT = Number(process.env.SCREENSHOT_PORT ?? 4190);
const BASE = `http://localhost:${PORT}/?backend=wasm`;
/** README images stay small: a PNG over this fails the script (shrink the clip instead). */
const MAX_BYTES = 300_000;

async function pick(page: Page, name: string): Promise<void> {
  await page.waitForSelector('[data-testid=backend]', { timeout: 60_000 });
  await page.waitForFunction((n) => [...document.querySelectorAll('[data-testid=preset] option')].some((o) => (o as HTMLOptionElement).value === n), name);
  await page.selectOption('[data-testid=preset]', name);
}

const statusIs = (page: Page, s: string, timeout: number) =>
  page.waitForFunction((v) => document.querySelector('[data-testid=status]')?.getAttribute('data-status') === v, s, { timeout });

async function shoot(page: Page, file: string, selector?: string): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(300); // the charts' last frame
  const path = `docs/${file}`;
  if (selector) await page.locator(selector).first().screenshot({ path });
  else await page.screenshot({ path });
  const size = statSync(path).size;
  console.log(`${path}: ${(size / 1024).toFixed(0)} KB`);
  if (size > MAX_BYTES) throw new Error(`${path} is ${size} bytes, over ${MAX_BYTES}`);
}

await build({ logLevel: 'warn' });
const server = await preview({ preview: { port: PORT, strictPort: true, host: 'localhost' }, logLevel: 'warn' });
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
try {
  // 1. The whole loop on the landscape, finished, in the dark theme.
  {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 }, colorScheme: 'dark' });
    const page = await context.newPage();
    await page.goto(BASE);
    await pick(page, 'landscape-hello');
    await page.click('[data-testid=start]');
    await statusIs(page, 'done', 600_000);
    await shoot(page, 'lab-landscape.png');
    await context.close();
  }
  // 2. A person labels a pair of the second round on the landscape (the policy has moved; its pairs are closer), in the
  //    light theme: the gold map, A and B, the keys.
  {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
    const page = await context.newPage();
    await page.goto(BASE);
    await pick(page, 'landscape-human');
    await page.click('[data-testid=start]');
    for (let i = 0; i < 24; i++) {
      await page.waitForSelector('[data-testid=pair-a]', { timeout: 120_000 });
      const id = await page.getAttribute('[data-testid=labeler]', 'data-pair-id');
      if (i === 23) break;
      // Answer as the gold map says (one-hill: the brighter point is the one nearer the hill's top at (1.2, 1)).
      const d = async (s: string) => {
        const [x, y] = await Promise.all([page.getAttribute(s, 'data-x'), page.getAttribute(s, 'data-y')]);
        return Math.hypot(Number(x) - 1.2, Number(y) - 1);
      };
      await page.keyboard.press((await d('[data-testid=pair-a]')) <= (await d('[data-testid=pair-b]')) ? 'ArrowLeft' : 'ArrowRight');
      await page.waitForFunction((p) => document.querySelector('[data-testid=labeler]')?.getAttribute('data-pair-id') !== p, id, { timeout: 120_000 });
    }
    await shoot(page, 'label-pair.png', '.work');
    await context.close();
  }
  // 3. Cart-pole from comparisons, light theme: the policy's clip and the true return against comparisons used.
  {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1100 }, colorScheme: 'light' });
    const page = await context.newPage();
    await page.goto(BASE);
    await pick(page, 'control-cartpole');
    await page.click('[data-testid=start]');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=chart-true-return]')?.getAttribute('data-points') ?? 0) >= 16, null, {
      timeout: 900_000,
    });
    await page.click('[data-testid=pause]');
    await statusIs(page, 'paused', 60_000);
    await shoot(page, 'control-cartpole.png');
    await context.close();
  }
} finally {
  await browser.close();
  await server.close();
}
