// The red team's probe in a real browser: drag on the reward-model map, the readout shows the worker's proxy and
// the gold reward at the point (checked against the landscape's gold worked here), and C adds the probed point as
// the comparison to label now, against a policy sample; the pair it replaced is asked next. An attack marks 64 finds
// with a success rate, and labeling them puts the first find up for labeling; a second attack draws the loop's chart.
// On control, an attack perturbs the policy's clips: 64 finds, the most overrated clip plays, its finds go to labeling.
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { browserForFile, nextPair, startFromFile, BASE_URL } from './browser';
import { landscape } from '../../src/core/tasks/landscape2d/landscape';

const fixture = 'tests/fixtures/landscape-human-tiny.json';
const experiment = JSON.parse(readFileSync(fixture, 'utf8'));
const gold = landscape('one-hill').gold;
const browser = browserForFile();

const readout = (page: Page) =>
  page.$eval('[data-testid=probe]', (el) => ({
    x: Number(el.getAttribute('data-x')),
    y: Number(el.getAttribute('data-y')),
    proxy: Number(el.getAttribute('data-proxy')),
    gold: Number(el.getAttribute('data-gold')),
  }));
const pairPoint = (page: Page, which: 'a' | 'b') =>
  page.$eval(`[data-testid=pair-${which}]`, (el) => [Number(el.getAttribute('data-x')), Number(el.getAttribute('data-y'))]);

describe('the probe on the landscape', () => {
  it('probes a point, follows a drag, and adds the point as a label', async () => {
    const page = await (await browser().newContext()).newPage();
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await page.goto(`${BASE_URL}/`);
    await page.waitForSelector('[data-testid=backend]', { timeout: 60_000 });
    await page.setInputFiles('[data-testid=open-file]', fixture);
    await page.waitForFunction((name) => (document.querySelector('[data-testid=preset]') as HTMLSelectElement).value === name, experiment.name);
    await page.click('[data-testid=start]');
    await page.waitForSelector('[data-testid=status][data-status=waiting-for-labels]', { timeout: 60_000 });
    await page.waitForSelector('[data-testid=pair-a]');
    const shown = { a: await pairPoint(page, 'a'), b: await pairPoint(page, 'b') };

    // Press on the map at the plane's (1.5, 1.5) (a quarter in from the right and the top of a 300 px map)...
    const box = (await page.locator('[data-testid=rm-map]').boundingBox())!;
    const at = (x: number, y: number) => [box.x + ((x + 3) / 6) * box.width, box.y + ((3 - y) / 6) * box.height] as const;
    await page.mouse.move(...at(1.5, 1.5));
    await page.mouse.down();
    await page.waitForFunction(() => document.querySelector('[data-testid=probe]')?.hasAttribute('data-proxy'), null, { timeout: 30_000 });
    const first = await readout(page);
    expect(first.x).toBeCloseTo(1.5, 1);
    expect(first.y).toBeCloseTo(1.5, 1);
    expect(first.gold).toBeCloseTo(gold(first.x, first.y), 5);
    expect(Number.isFinite(first.proxy)).toBe(true);

    // ...and drag to (−2.5, −1): the readout follows, proxy and gold change.
    await page.mouse.move(...at(-2.5, -1), { steps: 8 });
    await page.mouse.up();
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=probe]')?.getAttribute('data-x')) < -2.4, null, { timeout: 30_000 });
    const second = await readout(page);
    expect(second.y).toBeCloseTo(-1, 1);
    expect(second.gold).toBeCloseTo(gold(second.x, second.y), 5);
    expect(second.gold).toBeLessThan(first.gold - 0.3); // one-hill: g(1.5, 1.5) ≈ 0.9, g(−2.5, −1) ≈ 0.02
    expect(second.proxy).not.toBeCloseTo(first.proxy, 3);

    // C: the probed point is the pair to label now (side A, against a policy sample on B).
    await page.keyboard.press('c');
    await page.waitForFunction((x) => Number(document.querySelector('[data-testid=pair-a]')?.getAttribute('data-x')) === x, second.x, { timeout: 30_000 });
    const [ax, ay] = await pairPoint(page, 'a');
    expect([ax, ay]).toEqual([second.x, second.y]);
    expect(await page.textContent('[data-testid=probe-message]')).toContain('is the pair to label now');
    expect(Number(await page.textContent('[data-testid=labeled-count]'))).toBe(0);

    // Label it (B is better than a point of gold 0.02); the count rises and the pair it replaced comes back.
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => document.querySelector('[data-testid=labeled-count]')?.textContent === '1', null, { timeout: 30_000 });
    await page.waitForFunction((x) => Number(document.querySelector('[data-testid=pair-a]')?.getAttribute('data-x')) === x, shown.a[0], { timeout: 30_000 });
    expect(await pairPoint(page, 'b')).toEqual(shown.b);

    // Attack: 64 finds on the map and a success rate; labeling them makes the first find the pair shown now.
    await page.click('[data-testid=attack-run]');
    await page.waitForSelector('[data-testid=attack][data-finds="64"]', { timeout: 90_000 });
    const rate = Number(await page.getAttribute('[data-testid=attack]', 'data-rate'));
    expect(rate).toBeGreaterThanOrEqual(0);
    expect(rate).toBeLessThanOrEqual(1);
    expect(Number.isInteger(rate * 64)).toBe(true);
    await page.click('[data-testid=attack-label]');
    await page.waitForFunction(() => document.querySelector('[data-testid=attack-message]')?.textContent?.includes('the first is the pair to label now'), null, { timeout: 30_000 });
    // the page hears of the new pair with the run's next update
    await page.waitForFunction((x) => Number(document.querySelector('[data-testid=pair-a]')?.getAttribute('data-x')) !== x, shown.a[0], { timeout: 30_000 });
    const [fx, fy] = await pairPoint(page, 'a');
    for (const c of [fx, fy]) expect(Math.abs(c)).toBeLessThanOrEqual(3); // a find stays on the plane

    // Label the find shown and attack again: the loop's chart has a point per attack, at the run's labels then.
    await page.keyboard.press('ArrowLeft');
    await page.waitForFunction(() => document.querySelector('[data-testid=labeled-count]')?.textContent === '2', null, { timeout: 30_000 });
    await page.click('[data-testid=attack-run]');
    await page.waitForSelector('[data-testid=attack][data-attacks="2"]', { timeout: 90_000 });
    await page.waitForSelector('[data-testid=chart-attack-loop]');
    expect(Number(await page.getAttribute('[data-testid=chart-attack-loop]', 'data-points'))).toBe(2);
    const curve = JSON.parse((await page.getAttribute('[data-testid=attack]', 'data-curve'))!) as [number, number][];
    expect(curve.map(([labels]) => labels)).toEqual([1, 2]);
    expect(curve[0][1]).toBe(rate);
    await page.close();
  }, 120_000);

  it('on wasm a probe answers a drag within 100 ms (median of 15, the run waiting for labels)', async () => {
    const page = await (await browser().newContext()).newPage();
    await page.goto(`${BASE_URL}/?backend=wasm`);
    await page.waitForSelector('[data-testid=backend][data-backend=wasm]', { timeout: 60_000 });
    await page.setInputFiles('[data-testid=open-file]', fixture);
    await page.waitForFunction((name) => (document.querySelector('[data-testid=preset]') as HTMLSelectElement).value === name, experiment.name);
    await page.click('[data-testid=start]');
    await page.waitForSelector('[data-testid=status][data-status=waiting-for-labels]', { timeout: 60_000 });
    // From a pointerdown on the map to the readout showing that point: the worker's call and the page's update.
    const times = await page.evaluate(async () => {
      const canvas = document.querySelector('[data-testid=rm-map]') as HTMLCanvasElement;
      const probe = () => document.querySelector('[data-testid=probe]');
      const r = canvas.getBoundingClientRect();
      const out: number[] = [];
      for (let i = 0; i < 15; i++) {
        const px = r.left + r.width * (0.1 + 0.05 * i);
        const t0 = performance.now();
        canvas.dispatchEvent(new PointerEvent('pointerdown', { clientX: px, clientY: r.top + r.height / 2, bubbles: true, pointerId: 1 }));
        canvas.dispatchEvent(new PointerEvent('pointerup', { clientX: px, clientY: r.top + r.height / 2, bubbles: true, pointerId: 1 }));
        const want = ((px - r.left) / r.width) * 6 - 3;
        while (Math.abs(Number(probe()?.getAttribute('data-x')) - want) > 1e-6) await new Promise((res) => setTimeout(res, 1));
        out.push(performance.now() - t0);
      }
      return out;
    });
    const median = [...times].sort((a, b) => a - b)[7];
    console.info(`probe on wasm: median ${median.toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms`);
    expect(median).toBeLessThan(100);
    await page.close();
  }, 120_000);

  it('on control, an attack perturbs the policy\'s clips; the most overrated plays and the finds go to labeling', async () => {
    const fixture = 'tests/fixtures/control-human-tiny.json';
    const page = await (await browser().newContext()).newPage();
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await page.goto(`${BASE_URL}/?backend=wasm`);
    await page.waitForSelector('[data-testid=backend][data-backend=wasm]', { timeout: 60_000 });
    await startFromFile(page, fixture, JSON.parse(readFileSync(fixture, 'utf8')).name);
    await nextPair(page, '', '[data-testid=clip-a]');
    await page.click('[data-testid=attack-run]');
    await page.waitForSelector('[data-testid=attack][data-finds="64"]', { timeout: 90_000 });
    const rate = Number(await page.getAttribute('[data-testid=attack]', 'data-rate'));
    expect(Number.isInteger(rate * 64)).toBe(true);
    // the top find's clip plays: 50 frames, the frame moves on
    await page.waitForSelector('[data-testid=attack-top-clip]');
    expect(Number(await page.getAttribute('[data-testid=attack-top-clip]', 'data-frames'))).toBe(50);
    const frame = Number(await page.getAttribute('[data-testid=attack-top-clip]', 'data-frame'));
    await page.waitForFunction((f) => Number(document.querySelector('[data-testid=attack-top-clip]')?.getAttribute('data-frame')) !== f, frame, { timeout: 10_000 });
    // label the finds: the first find replaces the pair shown
    await page.click('[data-testid=attack-label]');
    await page.waitForFunction(() => document.querySelector('[data-testid=attack-message]')?.textContent?.includes('the first is the pair to label now'), null, { timeout: 30_000 });
    const top = await page.getAttribute('[data-testid=attack-top]', 'data-start');
    await page.waitForFunction((s) => document.querySelector('[data-testid=pair-a]')?.getAttribute('data-start') === s, top, { timeout: 30_000 });
    // a second attack: the loop's chart
    await page.click('[data-testid=attack-run]');
    await page.waitForSelector('[data-testid=chart-attack-loop]', { timeout: 90_000 });
    expect(Number(await page.getAttribute('[data-testid=chart-attack-loop]', 'data-points'))).toBe(2);
    await page.close();
  }, 180_000);
});
