// Launches Debian's Chromium headless with WebGPU on SwiftShader (no GPU needed), for the e2e tests.
import { afterAll, beforeAll } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { existsSync } from 'node:fs';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const BASE_URL = `http://localhost:${process.env.E2E_PORT ?? 4179}`;

/** With `webgpu: false` the browser is started without the flags that give it a (software) WebGPU adapter. */
export async function launch({ webgpu = true } = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium), or set CHROMIUM_PATH`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      ...(webgpu
        ? ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--enable-features=Vulkan', '--disable-gpu-sandbox']
        : ['--disable-gpu']),
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
    ],
  });
}

/** One browser for a test file: launched before its tests, closed after them. Call at the file's top level. */
export function browserForFile(opts: { webgpu?: boolean } = {}): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launch(opts);
  });
  afterAll(async () => {
    await browser?.close();
  });
  return () => browser!;
}

/** Opens an experiment file in the lab (already loaded in `page`), waits until it is the chosen preset, and starts it. */
export async function startFromFile(page: Page, fixture: string, name: string): Promise<void> {
  await page.setInputFiles('[data-testid=open-file]', fixture);
  await page.waitForFunction((n) => (document.querySelector('[data-testid=preset]') as HTMLSelectElement).value === n, name);
  await page.click('[data-testid=start]');
}

/** Waits for a pending pair other than `prev` whose A side (`shown`) is on the page; returns its id. */
export async function nextPair(page: Page, prev: string, shown: string, timeout = 120_000): Promise<string> {
  const handle = await page.waitForFunction(
    ([p, sel]) => {
      const id = document.querySelector('[data-testid=labeler]')?.getAttribute('data-pair-id');
      return id && id !== p && document.querySelector(sel) ? id : null;
    },
    [prev, shown] as const,
    { timeout },
  );
  return (await handle.jsonValue()) as string;
}
