// Share links, the gallery, the runs page, export and import, in a real browser: what a link will run is shown and
// nothing runs or is stored before the click (unless it says autostart); educator locks and hidden panels; garbled
// links and hostile text change nothing and render as text; runs list, rename, duplicate, overlay, export, import.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { readFile } from 'node:fs/promises';
import { browserForFile, BASE_URL } from './browser';
import { encodeLink } from '../../src/core/share/link';
import { preset } from '../../src/core/experiment/presets';
import { readBundle } from '../../src/core/checkpoint/import';
import { Rng } from '../../src/core/rng';

const browser = browserForFile({ webgpu: false });

const tiny = (name: string, extra: Record<string, unknown> = {}) => ({
  ...preset('landscape-hello')!,
  name,
  reward_model: { ...preset('landscape-hello')!.reward_model, hidden: [8], steps: 20 },
  optimizer: { ...preset('landscape-hello')!.optimizer, iterations: 3, batch_size: 64 },
  schedule: { rounds: 1, labels_per_round: 20, checkpoint_every_s: 30 },
  ...extra,
});

async function open(page: Page, hash = ''): Promise<void> {
  await page.goto(`${BASE_URL}/?backend=cpu${hash}`);
  await page.waitForSelector('[data-testid=backend]', { timeout: 60_000 });
}

const storedKeys = (page: Page) =>
  page.evaluate(
    () =>
      new Promise<string[]>((res) => {
        const r = indexedDB.open('rlhf-lab-v1');
        r.onsuccess = () => {
          const db = r.result;
          if (!db.objectStoreNames.contains('kv')) return res([]);
          const q = db.transaction('kv').objectStore('kv').getAllKeys();
          q.onsuccess = () => {
            res((q.result as string[]).sort());
            db.close();
          };
        };
      }),
  );

const xss = (page: Page) => page.evaluate(() => (window as unknown as { __xss?: number }).__xss ?? null);

describe('share links', () => {
  let context: BrowserContext;
  beforeAll(async () => {
    context = await browser().newContext();
  });
  afterAll(async () => {
    await context.close();
  });

  it('a gallery link shows what will run and runs only on the click', async () => {
    const page = await context.newPage();
    await open(page, '#gallery');
    const demos = await page.$$('[data-testid^=demo-]');
    expect(demos.length).toBeGreaterThanOrEqual(7);
    expect(await page.textContent('[data-testid=demo-reward-hacking]')).toContain('proxy shoots up while gold falls');
    await page.click('[data-testid=demo-hello] a');
    await page.waitForSelector('[data-testid=shared]');
    expect(await page.textContent('[data-testid=shared-name]')).toBe('hello');
    expect(await page.textContent('[data-testid=shared]')).toContain('seed 1');
    await new Promise((r) => setTimeout(r, 1000));
    expect(await page.$('[data-testid=status]')).toBeNull(); // nothing started
    expect(await storedKeys(page)).toEqual([]); // nothing stored
    await page.click('[data-testid=shared-run]');
    await page.waitForSelector('[data-testid=status]', { timeout: 60_000 });
    expect((await storedKeys(page)).some((k) => k.includes('run:hello-'))).toBe(true);
    await page.click('[data-testid=stop]');
    await page.close();
  });

  it('an autostart link with labels, locks and hidden panels; hostile text in it shows as text', async () => {
    const page = await context.newPage();
    const rng = new Rng(4);
    const labels = Array.from({ length: 40 }, (_, id) => ({ id, a: [rng.normal(), rng.normal()] as [number, number], b: [1.2, 1.0] as [number, number], answer: 'b' as const, labeler: 'x', round: 0, time: 0 }));
    const e = tiny('<script>window.__xss=2</script>', { description: 'Read me <img src=x onerror="window.__xss=1">' });
    const link = encodeLink(e as never, { autostart: true, lock: ['optimizer.kl_coef', 'seed', 'experiment'], hide: ['rm-map', 'charts'], labels });
    await open(page, link);
    await page.waitForSelector('[data-testid=shared-started]', { timeout: 60_000 });
    expect(await page.textContent('[data-testid=shared-name]')).toBe('<script>window.__xss=2</script>');
    expect(await page.textContent('[data-testid=shared-description]')).toBe('Read me <img src=x onerror="window.__xss=1">');
    expect(await page.$$('[data-testid=shared] img, [data-testid=shared] script')).toHaveLength(0);
    expect(await xss(page)).toBeNull();
    // The run started by itself with the link's 40 labels plus its own 20.
    await page.waitForSelector('[data-testid=status][data-status=done]', { timeout: 120_000 });
    expect(Number(await page.textContent('[data-testid=labels-count]'))).toBeGreaterThanOrEqual(40);
    // Locked knobs are disabled, others not; hidden panels are not shown, the rest are.
    expect(await page.isDisabled('[data-testid="param-optimizer.kl_coef"]')).toBe(true);
    expect(await page.isDisabled('[data-testid="param-seed"]')).toBe(true);
    expect(await page.isDisabled('[data-testid="param-optimizer.lr"]')).toBe(false);
    expect(await page.isVisible('[data-testid=rm-map]')).toBe(false);
    expect(await page.isVisible('[data-testid=chart-reward]')).toBe(false);
    expect(await page.isVisible('[data-testid=gold-map]')).toBe(true);
    expect(await page.isVisible('[data-testid=preset]')).toBe(false);
    await page.close();
  });

  it('30 garbled or tampered links: a clear error each time and nothing stored changes', async () => {
    const page = await context.newPage();
    await open(page);
    const before = await storedKeys(page);
    expect(before.length).toBeGreaterThan(0);
    const statusBefore = await page.getAttribute('[data-testid=status]', 'data-status');
    const good = encodeLink(tiny('ok') as never);
    const rng = new Rng(9);
    const chars = 'ABCxyz019-_$%.';
    for (let k = 0; k < 30; k++) {
      const i = 10 + rng.int(good.length - 10);
      const bad = k % 3 === 0 ? good.slice(0, i) : good.slice(0, i) + chars[rng.int(chars.length)] + good.slice(i + 1);
      if (bad === good) continue;
      await page.evaluate((h) => (location.hash = h), bad);
      const err = await page.waitForSelector('[data-testid=link-error]', { timeout: 10_000 });
      expect(await err.textContent()).toMatch(/share link is (damaged|garbled|not valid)|not valid: .*Nothing was changed/);
      await page.click('[data-testid=link-error] button');
    }
    expect(await storedKeys(page)).toEqual(before);
    // The run restored from the earlier test stays as it was, not replaced by anything from a link.
    expect(statusBefore).toMatch(/paused|done/);
    expect(await page.getAttribute('[data-testid=status]', 'data-status')).toBe(statusBefore);
    await page.close();
  });
});

describe('runs page, export and import', () => {
  it('lists, renames, duplicates, overlays, exports, imports and deletes runs; imported hostile text is text', async () => {
    const context = await browser().newContext({ acceptDownloads: true });
    const page = await context.newPage();
    await open(page);
    await page.setInputFiles('[data-testid=open-file]', { name: 'a.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(tiny('run-a'))) });
    await page.click('[data-testid=start]');
    await page.waitForSelector('[data-testid=status][data-status=done]', { timeout: 120_000 });

    await page.click('[data-testid=nav-runs]');
    await page.waitForSelector('[data-testid=run-row]');
    expect(await page.textContent('[data-testid=storage]')).toMatch(/Storage: .* used of .* this site may use/);
    expect(await page.$$('[data-testid=run-row]')).toHaveLength(1);

    await page.click('[data-testid=run-rename]');
    await page.fill('[data-testid=rename-input]', 'first <b>run</b>');
    await page.press('[data-testid=rename-input]', 'Enter');
    await page.waitForSelector('[data-testid=run-name]:has-text("first <b>run</b>")');

    await page.click('[data-testid=run-duplicate]');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=run-row]').length === 2);
    expect(await page.$$eval('[data-testid=run-name]', (els) => els.map((e) => e.textContent))).toContain('first <b>run</b> (copy)');

    const boxes = await page.$$('[data-testid=compare]');
    await boxes[0].check();
    await boxes[1].check();
    await page.waitForSelector('[data-testid=overlay-gold]');
    expect(Number(await page.getAttribute('[data-testid=overlay-gold]', 'data-points'))).toBe(4);

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=run-export] >> nth=0')]);
    const zipPath = await download.path();
    const bytes = new Uint8Array(await readFile(zipPath!));
    const { summary } = await readBundle(bytes);
    expect(summary.experiment).toBe('run-a');
    expect(download.suggestedFilename()).toMatch(/\.rlhf-lab\.zip$/);

    await page.setInputFiles('[data-testid=import-file]', { name: 'back.zip', mimeType: 'application/zip', buffer: Buffer.from(bytes) });
    await page.waitForSelector('[data-testid=runs-info]:has-text("Imported back.zip as a new run")');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=run-row]').length === 3);

    // A hostile preference file: HH layout with markup; previewed as text, nothing stored.
    const keysBefore = await storedKeys(page);
    const hostile = [
      { chosen: '\n\nHuman: hi <script>window.__xss=3</script>\n\nAssistant: <img src=x onerror="window.__xss=4">', rejected: '\n\nHuman: hi <script>window.__xss=3</script>\n\nAssistant: no' },
    ].map((l) => JSON.stringify(l)).join('\n');
    await page.setInputFiles('[data-testid=import-file]', { name: 'hh.jsonl', mimeType: 'application/json', buffer: Buffer.from(hostile) });
    await page.waitForSelector('[data-testid=imported-row]');
    const cells = await page.$$eval('[data-testid=imported-row] td', (els) => els.map((e) => e.textContent));
    expect(cells).toEqual(['\n\nHuman: hi <script>window.__xss=3</script>\n\nAssistant:', ' <img src=x onerror="window.__xss=4">', ' no']);
    expect(await page.$$('[data-testid=imported] img, [data-testid=imported] script')).toHaveLength(0);
    expect(await xss(page)).toBeNull();
    expect(await storedKeys(page)).toEqual(keysBefore);

    // A bad file: the reason, and nothing stored.
    await page.setInputFiles('[data-testid=import-file]', { name: 'bad.jsonl', mimeType: 'application/json', buffer: Buffer.from('{"chosen": 1}\n') });
    await page.waitForSelector('[data-testid=runs-error]:has-text("bad.jsonl is not a valid preference file")');
    expect(await page.textContent('[data-testid=runs-error]')).toContain('line 1: chosen: expected string');
    expect(await storedKeys(page)).toEqual(keysBefore);

    // A named snapshot (keyboard: type, Enter), then roll back to it.
    await page.fill('[data-testid=snapshot-name] >> nth=0', 'before <i>changes</i>');
    await page.press('[data-testid=snapshot-name] >> nth=0', 'Enter');
    await page.waitForSelector('[data-testid=snapshot]:has-text("before <i>changes</i>")');
    await page.click('[data-testid=snapshot-restore] >> nth=0');
    await page.waitForSelector('[data-testid=runs-info]:has-text("rolled back to the snapshot")');

    // Open a run: the lab shows it, paused or finished, with its metrics.
    await page.click('[data-testid=run-open] >> nth=1');
    await page.waitForSelector('[data-testid=status]:visible', { timeout: 60_000 });
    expect(await page.getAttribute('[data-testid=status]', 'data-status')).toMatch(/paused|done/);
    expect(Number(await page.getAttribute('[data-testid=chart-reward]', 'data-points'))).toBe(4);
    await page.click('[data-testid=nav-runs]');
    await page.waitForSelector('[data-testid=run-row]');

    await page.click('[data-testid=run-delete] >> nth=0');
    await page.click('[data-testid=run-delete-confirm]');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=run-row]').length === 2);
    await context.close();
  });
});
