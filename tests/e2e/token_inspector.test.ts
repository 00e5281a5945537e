// The token inspector in a real browser: after a small PPO text run, "Inspect" on a sample opens it character by
// character under the run's models (log π, log π_ref, KL, reward, value, advantage), by mouse and by keyboard.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { browserForFile, startFromFile, BASE_URL } from './browser';

const fixture = 'tests/fixtures/text-sim-tiny.json';
const experiment = JSON.parse(readFileSync(fixture, 'utf8'));

const browser = browserForFile();

describe('token inspector in the tab', () => {
  it('opens a text sample token by token with PPO’s numbers, by mouse and by keyboard', async () => {
    const page = await browser().newPage();
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await page.goto(`${BASE_URL}/`);
    await page.waitForSelector('[data-testid=backend]', { timeout: 60_000 });
    await startFromFile(page, fixture, experiment.name);
    await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.getAttribute('data-status') === 'done', null, {
      timeout: 240_000,
    });
    const completion = (await page.textContent('[data-testid=sample-row] .completion')) ?? '';
    const ended = (await page.textContent('[data-testid=sample-row] .end')) === '⏎';
    await page.click('[data-testid=inspect-sample]');
    const panel = await page.waitForSelector('[data-testid=token-inspector]', { timeout: 60_000 });
    expect(await panel.getAttribute('data-ppo')).toBe('true');
    // one token per character of the completion, the end of line included where the model ended it
    const tokens = await page.$$eval('[data-testid=token]', (els) => els.map((e) => e.textContent));
    expect(tokens.join('')).toBe(completion.replaceAll(' ', '␣') + (ended ? '⏎' : ''));
    // every row of the table: KL (k1) = log π − log π_ref, and PPO's value and advantage are there
    const rows = await page.$$eval('[data-testid=token-inspector] tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
    expect(rows).toHaveLength(tokens.length);
    for (const [, lp, ref, kl, , v, a] of rows) {
      expect(Math.abs(Number(lp) - Number(ref) - Number(kl))).toBeLessThanOrEqual(0.0011);
      expect(Number.isFinite(Number(v)) && Number.isFinite(Number(a))).toBe(true);
    }
    // hover one character, then reach the next with the keyboard: the detail line follows
    await page.hover('[data-testid=token] >> nth=0');
    const detail = async () => ((await page.textContent('[data-testid=token-detail]')) ?? '').replace(/\s+/g, ' ');
    expect(await detail()).toMatch(/log π -?\d+\.\d{3}, log π_ref -?\d+\.\d{3}, KL \(k1\) -?\d+\.\d{3}, reward -?\d+\.\d{3}, V -?\d+\.\d{3}, A -?\d+\.\d{3}/);
    await page.focus('[data-testid=token] >> nth=0');
    await page.keyboard.press('Tab');
    const second = await page.textContent('[data-testid=token] >> nth=1');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe(second);
    expect(await detail()).toContain(`"${second === '␣' ? ' ' : second === '⏎' ? '\\n' : second}"`);
    await page.click('[data-testid=inspector-close]');
    expect(await page.$('[data-testid=token-inspector]')).toBeNull();
    await page.close();
  });
});
