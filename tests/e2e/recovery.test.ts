// What the tab does when a run goes wrong (issue: nothing lost, nothing crashes), in a real browser with the real
// worker and IndexedDB: a run that diverges is reopened at its last finite checkpoint with a notice that says where
// and what to lower, and still exports; a run whose list of checkpoints is damaged is named when the tab cannot
// restore it, shown as damaged on the Runs page, and can be deleted; a file's error ends when you leave the page.
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { browserForFile, BASE_URL } from './browser';
import { applyOverrides } from '../../src/core/experiment/parse';
import { preset } from '../../src/core/experiment/presets';
import { unzipSync } from 'fflate';

const browser = browserForFile();

async function openLab(page: Page, query = ''): Promise<void> {
  await page.goto(`${BASE_URL}/${query}`);
  await page.waitForSelector('[data-testid=backend]', { timeout: 60_000 });
}

async function startExperiment(page: Page, experiment: object, name: string): Promise<void> {
  await page.setInputFiles('[data-testid=open-file]', { name: `${name}.json`, mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(experiment)) });
  await page.waitForFunction((n) => (document.querySelector('[data-testid=preset]') as HTMLSelectElement).value === n, name);
  await page.click('[data-testid=start]');
}

const notices = (page: Page) => page.$$eval('[role=status]', (els) => els.map((e) => e.textContent ?? ''));

/** Writes one key of the lab's IndexedDB from the page (the worker keeps its own connection). */
async function putKey(page: Page, key: string, value: unknown): Promise<void> {
  await page.evaluate(
    async ([k, v]) => {
      const db: IDBDatabase = await new Promise((res, rej) => {
        const r = indexedDB.open('rlhf-lab-v1');
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
      await new Promise<void>((res, rej) => {
        const t = db.transaction('kv', 'readwrite');
        t.objectStore('kv').put(v, k as string);
        t.oncomplete = () => res();
        t.onerror = () => rej(t.error);
      });
      db.close();
    },
    [key, value] as const,
  );
}

/** The newest checkpoint of the last run as IndexedDB holds it: its policy iteration, and whether its weights are all finite. */
async function newestStored(page: Page): Promise<{ iteration: number; finite: boolean }> {
  return page.evaluate(async () => {
    const db: IDBDatabase = await new Promise((res, rej) => {
      const r = indexedDB.open('rlhf-lab-v1');
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    const get = (key: string) =>
      new Promise<unknown>((res, rej) => {
        const r = db.transaction('kv').objectStore('kv').get(key);
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
    const runId = (await get('rlhf-lab:v1:last-run')) as string;
    const p = (await get(`rlhf-lab:v1:run:${runId}:latest`)) as { n: number };
    const rec = (await get(`rlhf-lab:v1:run:${runId}:ckpt:${p.n}`)) as { position: { iteration: number }; models: Record<string, { weights: Record<string, { data: ArrayLike<number> }> }> };
    db.close();
    let finite = true;
    for (const m of Object.values(rec.models)) for (const w of Object.values(m.weights)) for (const x of Array.from(w.data)) finite &&= Number.isFinite(x);
    return { iteration: rec.position.iteration, finite };
  });
}

describe('recovery in the tab', () => {
  // GRPO: since the lab's fused wasm kernels, PPO at lr 1 collapses with every number finite (as on the cpu backend)
  it('a text GRPO run with lr 1 diverges: the notice names the stage and the rate, the run reopens at its last finite checkpoint, paused, and exports', async () => {
    const context = await browser().newContext({ acceptDownloads: true });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await openLab(page, '?backend=wasm');
    const sets = ['optimizer.lr=1', 'reward_model.lr=1', 'schedule.rounds=1', 'schedule.labels_per_round=12', 'reward_model.steps=10', 'optimizer.iterations=6', 'optimizer.batch_size=8'];
    const experiment = { ...applyOverrides(preset('text-sentiment-grpo')!, sets), name: 'diverging' };
    await startExperiment(page, experiment, 'diverging');
    const notice = await page.waitForSelector('[role=status]:has-text("training diverged")', { timeout: 180_000 });
    const text = (await notice.textContent()) ?? '';
    expect(text).toMatch(/training diverged at step \d+ of round 1's policy stage: .*lower optimizer\.lr \(now 1\)/);
    expect(text).toMatch(/back at that checkpoint \(round 1, policy stage, step \d+\), paused/);
    await page.waitForSelector('[data-testid=status][data-status=paused]', { timeout: 60_000 });
    // The tab shows the newest stored checkpoint, and that one is finite: the diverged steps were never saved.
    const stored = await newestStored(page);
    expect(Number(await page.getAttribute('[data-testid=status]', 'data-step'))).toBe(stored.iteration);
    expect(stored.finite).toBe(true);
    expect(await page.$('[data-testid=error]')).toBeNull();
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-open]')]);
    const files = unzipSync(new Uint8Array(readFileSync((await download.path())!)));
    expect(Object.keys(files)).toContain('checkpoint/record.json');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('a damaged list of checkpoints: the reload says the run could not be restored and why; the Runs page shows it damaged and deletes it', async () => {
    const context = await browser().newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await openLab(page, '?backend=cpu');
    const experiment = {
      ...applyOverrides(preset('landscape-hello')!, ['schedule.rounds=1', 'schedule.labels_per_round=4', 'reward_model.steps=2', 'optimizer.iterations=2']),
      name: 'soon-damaged',
    };
    await startExperiment(page, experiment, 'soon-damaged');
    await page.waitForSelector('[data-testid=status][data-status=done]', { timeout: 120_000 });
    const runId = await page.evaluate(async () => {
      const db: IDBDatabase = await new Promise((res) => {
        const r = indexedDB.open('rlhf-lab-v1');
        r.onsuccess = () => res(r.result);
      });
      const id = await new Promise<string>((res) => {
        const r = db.transaction('kv').objectStore('kv').get('rlhf-lab:v1:last-run');
        r.onsuccess = () => res(r.result as string);
      });
      db.close();
      return id;
    });
    await putKey(page, `rlhf-lab:v1:run:${runId}:latest`, { n: 0, kept: null, name: 'soon-damaged', updatedAt: 1 });

    await page.reload();
    await page.waitForSelector('[data-testid=backend]', { timeout: 60_000 });
    const shown = await page.waitForSelector('[role=status]:has-text("could not be restored")', { timeout: 60_000 });
    expect(await shown.textContent()).toMatch(/The last run could not be restored: .*list of checkpoints is damaged.*delete it from the Runs page/);

    await page.click('[data-testid=nav-runs]');
    const row = await page.waitForSelector(`[data-testid=run-row][data-run-id="${runId}"]`);
    expect(await (await row.$('[data-testid=run-damaged]'))!.textContent()).toMatch(/damaged: .*it can only be deleted/);
    expect(await (await row.$('[data-testid=run-open]'))!.isDisabled()).toBe(true);
    await (await row.$('[data-testid=run-delete]'))!.click();
    await page.click(`[data-testid=run-row][data-run-id="${runId}"] [data-testid=run-delete-confirm]`);
    await page.waitForSelector(`[data-testid=run-row][data-run-id="${runId}"]`, { state: 'detached' });
    expect(await page.$('[data-testid=runs-error]')).toBeNull();
    expect(errors).toEqual([]);
    await context.close();
  });

  it('an experiment file error stays on the lab page: it is gone after visiting the Runs page', async () => {
    const context = await browser().newContext();
    const page = await context.newPage();
    await openLab(page, '?backend=cpu');
    await page.setInputFiles('[data-testid=open-file]', { name: 'garbled.json', mimeType: 'application/json', buffer: Buffer.from('{"version": 1,') });
    await page.waitForSelector('[data-testid=file-error]:has-text("garbled.json")');
    await page.click('[data-testid=nav-runs]');
    await page.waitForSelector('[data-testid=runs-table], [data-testid=no-runs]');
    await page.click('[data-testid=nav-lab]');
    await page.waitForSelector('[data-testid=preset]');
    expect(await page.$('[data-testid=file-error]')).toBeNull();
    expect(await notices(page)).toEqual([]);
    await context.close();
  });
});
