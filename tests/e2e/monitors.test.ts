// The hacking-onset monitors in a real browser: an over-optimizing run (overopt-landscape) shows each monitor's
// first alarm as a dashed line on the gold/proxy chart, and, once gold has turned down, how many iterations before
// its peak each alarm came; the panel is rebuilt from the stored rows after a reload.
import { describe, expect, it } from 'vitest';
import { browserForFile, BASE_URL } from './browser';

const browser = browserForFile();

describe('hacking-onset monitors in the tab', () => {
  it('marks the alarms on the chart and scores them against gold’s peak, also after a reload', async () => {
    const page = await browser().newPage();
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await page.goto(`${BASE_URL}/`);
    await page.waitForSelector('[data-testid=backend]', { timeout: 60_000 });
    await page.selectOption('[data-testid=preset]', 'overopt-landscape');
    await page.click('[data-testid=start]');
    await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.getAttribute('data-status') === 'done', null, {
      timeout: 240_000,
    });
    const read = () =>
      page.$$eval('[data-testid=monitor]', (els) =>
        els.map((e) => ({ monitor: e.getAttribute('data-monitor'), step: e.getAttribute('data-step'), verdict: e.getAttribute('data-verdict'), text: e.textContent ?? '' })),
      );
    const monitors = await read();
    // landscape rows have KL, entropy and the reward model's agreement on the policy's pairs; no completion lengths
    expect(monitors.map((m) => m.monitor)).toEqual(['kl-acceleration', 'entropy-slope', 'proxy-gold-divergence']);
    // this preset's gold peaks and falls (README: 0.71 → 0.12): the panel says so and the divergence alarm precedes it
    const peak = await page.textContent('[data-testid=gold-peak]');
    const peakStep = Number(/around step (\d+)/.exec(peak ?? '')?.[1]);
    expect(peakStep).toBeGreaterThan(20);
    const divergence = monitors.find((m) => m.monitor === 'proxy-gold-divergence')!;
    expect(divergence.verdict).toBe('early');
    expect(Number(divergence.step)).toBeLessThan(peakStep);
    expect(divergence.text).toContain(`${peakStep - Number(divergence.step)} iterations before gold's peak`);
    // every alarm and the peak are drawn on the chart
    const marks = (await page.getAttribute('[data-testid=chart-monitors]', 'data-marks'))!.split(' ').map(Number);
    const fired = monitors.filter((m) => m.step !== null).map((m) => Number(m.step));
    expect(marks).toEqual([...fired, peakStep]);
    expect(Number(await page.getAttribute('[data-testid=monitor-panel]', 'data-alarms'))).toBe(fired.length);

    await page.reload();
    await page.waitForSelector('[data-testid=monitor-panel]', { timeout: 60_000 });
    expect(await read()).toEqual(monitors);
    await page.close();
  });
});
