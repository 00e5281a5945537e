// The red team on a text run in a real browser: while the run waits for a person's labels, an attack lists its finds
// (edited completions of the run's prompts, with proxy and gold, largest gap first), and labeling them puts the first
// find up as the pair to label now: its own prompt, its completion on A, a policy completion on B.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { browserForFile, startFromFile, BASE_URL } from './browser';

const fixture = 'tests/fixtures/text-human-tiny.json';
const experiment = JSON.parse(readFileSync(fixture, 'utf8'));
const browser = browserForFile();

describe('the attack on a text run', () => {
  it('lists edited completions of the run\'s prompts and sends the first to be labeled, prompt and all', async () => {
    const page = await (await browser().newContext()).newPage();
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await page.goto(`${BASE_URL}/`);
    await page.waitForSelector('[data-testid=backend]', { timeout: 60_000 });
    await startFromFile(page, fixture, experiment.name);
    await page.waitForSelector('[data-testid=status][data-status=waiting-for-labels]', { timeout: 120_000 });
    await page.waitForSelector('[data-testid=pair-a]');

    await page.click('[data-testid=attack-run]');
    await page.waitForSelector('[data-testid=attack][data-finds]', { timeout: 180_000 });
    const n = Number(await page.getAttribute('[data-testid=attack]', 'data-finds'));
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThanOrEqual(16);
    const finds = await page.$$eval('[data-testid=attack-find]', (rows) =>
      rows.map((r) => ({
        prompt: r.getAttribute('data-prompt'),
        completion: r.getAttribute('data-completion'),
        proxy: Number(r.querySelectorAll('td')[1].textContent),
        text: r.querySelector('td')?.textContent ?? '',
      })),
    );
    expect(finds.length).toBe(Math.min(n, 8));
    for (const f of finds) {
      expect(experiment.task.prompts).toContain(f.prompt);
      expect(f.text.startsWith(f.prompt!)).toBe(true); // the prompt, then the edited completion
    }

    // Label the finds: the first is the pair shown now, with its prompt.
    await page.click('[data-testid=attack-label]');
    await page.waitForFunction(() => document.querySelector('[data-testid=attack-message]')?.textContent?.includes('the first is the pair to label now'), null, { timeout: 30_000 });
    await page.waitForFunction((c) => document.querySelector('[data-testid=pair-a]')?.getAttribute('data-text') === c, finds[0].completion, { timeout: 30_000 });
    expect(await page.textContent('[data-testid=pair-a] .prompt')).toBe(finds[0].prompt);
    expect(await page.textContent('[data-testid=pair-b] .prompt')).toBe(finds[0].prompt);
    await page.close();
  });
});
