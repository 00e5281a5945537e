// The tab explains itself (issue 15): every figure box has an accessible description read from the glossary and shown
// on keyboard focus; chart legends show values, not "--"; the "What is happening" line names an event of a short
// run; the status says the run is finished in words; and on the Runs page an over-optimization run shows the gold of
// its last RL iteration (not of the best-of-n sweep after it) and the parameters changed from its preset.
import { describe, expect, it } from 'vitest';
import { browserForFile, BASE_URL } from './browser';

const browser = browserForFile();

/** overopt-landscape made tiny in the Parameters panel, as a student would. */
const EDITS = { 'schedule.labels_per_round': 20, 'reward_model.steps': 25, 'optimizer.iterations': 8 };

describe('explained numbers', () => {
  it('a short over-optimization run: figures described, legends with values, an event named, the Runs row shows the RL gold', async () => {
    const page = await browser().newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${BASE_URL}/?backend=wasm`);
    await page.waitForSelector('[data-testid=backend]', { timeout: 60_000 });
    await page.selectOption('[data-testid=preset]', 'overopt-landscape');
    // the preset's words point to the Parameters panel, not to CLI flags
    const about = await page.textContent('.about');
    expect(about).toContain('Parameters panel');
    expect(about).not.toContain('--set');
    await page.click('[data-testid=params] summary');
    for (const [path, value] of Object.entries(EDITS)) {
      await page.fill(`[data-testid="param-${path}"]`, String(value));
      await page.press(`[data-testid="param-${path}"]`, 'Tab'); // the change lands on blur
    }
    await page.click('[data-testid=start]');

    // The line names the reward model's accuracy from few held-out pairs (20 labels, 1 in 5 held out) as training runs.
    await page.waitForSelector('[data-testid=happening] [data-kind=few-heldout]', { timeout: 120_000 });
    expect(await page.textContent('[data-testid=happening]')).toMatch(/What is happening:.*comes from only 4 pairs: each pair moves it by 0\.25/);
    await page.waitForSelector('[data-testid=status][data-status=done]', { timeout: 120_000 });
    expect(await page.textContent('[data-testid=status-words]')).toBe('finished');
    expect(await page.textContent('[data-testid=status]')).toContain('This run is finished');
    expect(await page.textContent('[data-testid=status-labels]')).toMatch(/^20 labels/);
    expect(await page.textContent('[data-testid=rm-heldout]')).toBe('on 4 pairs');

    // Every figure box: focusable, described by a glossary text of what it is, how it is computed, what is healthy.
    const figures = await page.$$eval('[data-testid=figures] > *', (els) =>
      els.map((el) => {
        const id = el.getAttribute('aria-describedby');
        return { tag: el.tagName, tabindex: el.getAttribute('tabindex'), text: id ? (document.getElementById(id)?.textContent ?? '') : '' };
      }),
    );
    expect(figures.length).toBe(6); // gold, optimum, proxy, KL, RM accuracy, labels
    for (const f of figures) {
      expect(f.tabindex).toBe('0');
      expect(f.text).toMatch(/\S.*Healthy run: \S/);
    }
    // keyboard focus shows the explanation; it is out of sight before
    const tip = '[data-testid=figures] > [data-key="rm/accuracy"] [role=tooltip]';
    expect(await page.$eval(tip, (t) => getComputedStyle(t).display)).toBe('none');
    await page.focus('[data-testid=figures] > [data-key="rm/accuracy"]');
    expect(await page.$eval(tip, (t) => getComputedStyle(t).display)).toBe('block');
    expect(await page.textContent(tip)).toContain('held-out');

    // Legends show the newest values (no "--" before hovering), and each series explains itself too.
    const legend = await page.textContent('[data-testid=chart-reward] [data-testid=legend]');
    expect(legend).not.toContain('--');
    expect(legend).toMatch(/gold\s*-?\d/);
    const described = await page.$$eval('[data-testid=chart-reward] [data-testid=legend] [aria-describedby]', (els) => els.length);
    expect(described).toBe(2);

    // The best-of-n fit is drawn over its own points only: up to √KL of n = 256, not out to the RL run's √KL.
    const bonRange = (await page.getAttribute('[data-testid=chart-overopt]', 'data-bon-fit-range'))!.split(',').map(Number);
    expect(bonRange[0]).toBe(0);
    expect(bonRange[1]).toBeCloseTo(Math.sqrt(Math.log(256) - 255 / 256), 6);

    // The Runs page: the row's gold is the last RL iteration's (the lab's figure), and it says what was changed.
    const rlGold = Number(await page.getAttribute('[data-testid=gold-mean]', 'data-value'));
    await page.click('[data-testid=nav-runs]');
    const row = await page.waitForSelector('[data-testid=run-row]');
    expect(Number(await row.$eval('[data-testid=run-gold]', (td) => td.getAttribute('data-value')))).toBe(rlGold);
    const changes = await row.$eval('[data-testid=run-changes]', (el) => el.textContent ?? '');
    expect(changes).toContain('changed: ');
    expect(changes).toContain('optimizer.iterations 8 (preset 120)');
    expect(changes).toContain('schedule.labels_per_round 20 (preset 100)');

    // A second run with another KL coefficient: compared, the page names the difference, and the overlay's legend
    // ends at the RL gold of each run (the best-of-n rows at the last step used to overwrite it).
    await page.click('[data-testid=nav-lab]');
    await page.fill('[data-testid="param-optimizer.kl_coef"]', '0.5');
    await page.press('[data-testid="param-optimizer.kl_coef"]', 'Tab');
    await page.click('[data-testid=start]');
    await page.waitForFunction((g) => document.querySelector('[data-testid=status]')?.getAttribute('data-status') === 'done' &&
      document.querySelector('[data-testid=gold-mean]')?.getAttribute('data-value') !== String(g), rlGold, { timeout: 120_000 });
    const rlGold2 = Number(await page.getAttribute('[data-testid=gold-mean]', 'data-value'));
    await page.click('[data-testid=nav-runs]');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=run-row]').length === 2);
    for (const box of await page.$$('[data-testid=compare]')) await box.check();
    const diff = await page.waitForSelector('[data-testid=compare-differences]');
    // newest first: A is the second run (β 0.5), B the first (β 0.02)
    expect(await diff.textContent()).toBe('They differ in: optimizer.kl_coef 0.5 vs 0.02 (A vs B).');
    const overlay = await page.$$eval('[data-testid=overlay-gold] [data-testid=legend-value]', (bs) => bs.map((b) => Number(b.textContent)));
    expect(overlay).toEqual([Number(rlGold2.toPrecision(3)), Number(rlGold.toPrecision(3))]);
    expect(errors).toEqual([]);
    await page.close();
  });
});
