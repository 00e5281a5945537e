// The over-optimization lab in a real browser: an ensemble run draws its disagreement map, the gold/proxy-vs-√KL chart
// gets the RL rows and the best-of-n rows with their fits, and the reward-hacking panel lists the overrated samples.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { browserForFile, BASE_URL } from './browser';

const fixture = 'tests/fixtures/overopt-ensemble-tiny.json';
const experiment = JSON.parse(readFileSync(fixture, 'utf8'));

const browser = browserForFile();

describe('over-optimization lab in the tab', () => {
  it('runs an ensemble to the end and shows disagreement, the √KL chart with fits, and the hacking panel', async () => {
    const page = await browser().newPage();
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await page.goto(`${BASE_URL}/`);
    await page.waitForSelector('[data-testid=backend]', { timeout: 60_000 });
    await page.setInputFiles('[data-testid=open-file]', fixture);
    await page.waitForFunction((name) => (document.querySelector('[data-testid=preset]') as HTMLSelectElement).value === name, experiment.name);
    await page.click('[data-testid=start]');
    await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.getAttribute('data-status') === 'done', null, {
      timeout: 240_000,
    });
    await page.waitForSelector('[data-testid=disagreement-map]');
    const chart = await page.waitForSelector('[data-testid=chart-overopt][data-bon="3"]');
    // the untrained policy and 8 iterations on the RL curve; a fit line for each curve
    expect(Number(await chart.getAttribute('data-rl'))).toBe(9);
    const fits = await page.textContent('[data-testid=chart-overopt] .fits');
    expect(fits).toMatch(/RL: .*α -?\d+\.\d{3}, β -?\d+\.\d{3}/);
    expect(fits).toMatch(/best-of-n: .*α -?\d+\.\d{3}, β -?\d+\.\d{3}/);
    const panel = await page.waitForSelector('[data-testid=hacking-panel][data-rows="5"]');
    const gaps = await panel.$$eval('tbody tr td:last-child', (tds) => tds.map((td) => Number(td.textContent)));
    expect(gaps).toHaveLength(5);
    // largest proxy − gold first
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]).toBeLessThanOrEqual(gaps[i - 1]);
    // the step charts keep to training: the best-of-n rows are not drawn as extra steps
    expect(Number(await page.getAttribute('[data-testid=chart-reward]', 'data-points'))).toBe(9);
    await page.close();
  });
});
