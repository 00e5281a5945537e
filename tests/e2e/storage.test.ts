// Storage faults in a real browser (Debian's Chromium, the real worker and IndexedDB): the worker ended in the
// middle of checkpoint writes, many times, and a forced small quota. Nothing saved before may be lost.
import { describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { browserForFile, BASE_URL } from './browser';

const browser = browserForFile({ webgpu: false });

/** Saves constantly: tiny stages, a large reward model (the record is about 2 MB, so a write takes a while). */
const experiment = {
  version: 1,
  name: 'save-storm',
  seed: 3,
  task: { kind: 'landscape2d', landscape: 'one-hill' },
  labelers: [{ kind: 'simulated', beta: 50, epsilon: 0.05, tie_margin: 0, skip_prob: 0 }],
  reward_model: { hidden: [384, 384], activation: 'relu', lr: 0.003, steps: 2, batch_size: 16, holdout: 0.2 },
  policy: { kind: 'gaussian_mixture', components: 1, init_mean: [-1.8, -1.6], init_std: 0.6 },
  optimizer: { algo: 'reinforce', lr: 0.04, kl_coef: 0.05, batch_size: 32, iterations: 2 },
  schedule: { rounds: 1000, labels_per_round: 3, checkpoint_every_s: 1 },
};

async function open(page: Page): Promise<void> {
  await page.goto(`${BASE_URL}/?backend=cpu`);
  await page.waitForSelector('[data-testid=backend]', { timeout: 60_000 });
}

/** The newest checkpoint as IndexedDB holds it, read from the page (the worker may be gone). */
async function newestStored(page: Page): Promise<{ runId: string; n: number; iteration: number; kept: number[] } | null> {
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
    const runId = (await get('rlhf-lab:v1:last-run')) as string | undefined;
    if (!runId) return null;
    const p = (await get(`rlhf-lab:v1:run:${runId}:latest`)) as { n: number; kept: number[] };
    const rec = (await get(`rlhf-lab:v1:run:${runId}:ckpt:${p.n}`)) as { position: { iteration: number } };
    db.close();
    return { runId, n: p.n, iteration: rec.position.iteration, kept: p.kept };
  });
}

const writes = (page: Page) =>
  page.workers()[0].evaluate(() => (self as unknown as { labStoreWrites: { begun: number; done: number } }).labStoreWrites);

describe('checkpoints under faults', () => {
  it('ends the worker in the middle of a checkpoint write 25 times; every reload restores the newest stored checkpoint', async () => {
    const context = await browser().newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await open(page);
    await page.setInputFiles('[data-testid=open-file]', { name: 'storm.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(experiment)) });
    await page.click('[data-testid=start]');
    await page.waitForSelector('[data-testid=status][data-status=running]', { timeout: 60_000 });

    const KILLS = 25;
    let interrupted = 0;
    let lost = 0;
    let previous = -1;
    for (let k = 0; k < KILLS; k++) {
      // Wait (in the worker's own event loop) for a write in flight, then end the worker there and then.
      const state = await writes(page);
      const killed = page.workers()[0]
        .evaluate(
          (min) =>
            new Promise<never>(() => {
              const w = (self as unknown as { labStoreWrites: { begun: number; done: number } }).labStoreWrites;
              const poll = () => {
                if (w.begun > w.done && w.begun > min) self.close();
                else setTimeout(poll, 0);
              };
              poll();
            }),
          state.begun,
        )
        .catch(() => 'closed');
      const outcome = await Promise.race([killed, new Promise((r) => setTimeout(() => r('timeout'), 30_000))]);
      expect(outcome).toBe('closed');
      interrupted++;
      const stored = await newestStored(page);
      expect(stored).not.toBeNull();
      // Reload: the run must come back from exactly the newest checkpoint IndexedDB holds, with no damage notice.
      await page.reload();
      await page.waitForSelector('[data-testid=status][data-status=paused]', { timeout: 60_000 });
      const step = Number(await page.getAttribute('[data-testid=status]', 'data-step'));
      const notices = await page.$$eval('[role=status], [role=alert]', (els) => els.map((e) => e.textContent ?? ''));
      if (step !== stored!.iteration || notices.some((t) => /could not|damaged|failed/.test(t))) lost++;
      expect(step).toBe(stored!.iteration);
      expect(step).toBeGreaterThanOrEqual(previous);
      previous = step;
      await page.click('[data-testid=resume]');
      await page.waitForSelector('[data-testid=status][data-status=running]', { timeout: 60_000 });
    }
    console.log(`saves interrupted: ${interrupted}, losses: ${lost}, run reached step ${previous}`);
    expect(lost).toBe(0);
    expect(previous).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('a forced small quota: the clear message, training goes on, and every earlier checkpoint stays intact', async () => {
    const context: BrowserContext = await browser().newContext();
    const page = await context.newPage();
    await open(page);
    await page.setInputFiles('[data-testid=open-file]', {
      name: 'storm.json',
      mimeType: 'application/json',
      // Rounds enough to keep training well past the refused saves, however late Chromium applies the new quota.
      buffer: Buffer.from(JSON.stringify({ ...experiment, name: 'quota', schedule: { ...experiment.schedule, rounds: 40 } })),
    });
    await page.click('[data-testid=start]');
    // Let a few checkpoints land, pause (a save), then squeeze the quota below what is used.
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=status]')?.getAttribute('data-step')) >= 2, null, { timeout: 60_000 });
    await page.click('[data-testid=pause]');
    await page.waitForSelector('[data-testid=status][data-status=paused]');
    await new Promise((r) => setTimeout(r, 500));
    const cdp = await context.newCDPSession(page);
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(BASE_URL).origin, quotaSize: 1024 });
    await page.click('[data-testid=resume]');
    const notice = await page.waitForSelector('[role=status]:has-text("Browser storage is full")', { timeout: 60_000 });
    const text = (await notice.textContent()) ?? '';
    expect(text).toContain('this checkpoint was not saved; every earlier checkpoint is intact');
    expect(text).toContain('export the runs you want to keep');
    // (Chromium applies the new quota once its usage cache refreshes, so a few saves may land before the first refusal.)
    const before = await newestStored(page);
    // Training went on past the failed save, and its later saves were refused whole: nothing half-written, nothing
    // rotated out, the same newest checkpoint.
    const stepAtNotice = Number(await page.getAttribute('[data-testid=status]', 'data-step'));
    await page.waitForFunction((s) => Number(document.querySelector('[data-testid=status]')?.getAttribute('data-step')) > s + 2, stepAtNotice, { timeout: 60_000 });
    const during = await newestStored(page);
    expect(during).toEqual(before);
    expect(during!.iteration).toBeLessThan(Number(await page.getAttribute('[data-testid=status]', 'data-step')));
    // The quota back: the run reloads from the last checkpoint written before the squeeze.
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(BASE_URL).origin });
    await page.reload();
    await page.waitForSelector('[data-testid=status][data-status=paused]', { timeout: 60_000 });
    expect(Number(await page.getAttribute('[data-testid=status]', 'data-step'))).toBe(before!.iteration);
    await context.close();
  });
});
