// The tab's two extra labeling modes in a real browser: thumbs (one completion up or down, KTO's unpaired feedback)
// on ↑ / U / + and ↓ / D / −, and a pair's strength of preference on Shift+1 … 4 (or its buttons) before A or B. Each
// run finishes, and the exported preferences.jsonl holds exactly what was pressed: TRL's unpaired lines with their
// boolean label, and TRL's margin on the pairs given a strength.
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { unzipSync, strFromU8 } from 'fflate';
import { browserForFile, nextPair, BASE_URL } from './browser';

const browser = browserForFile();

const tiny = {
  version: 1,
  seed: 1,
  task: { kind: 'text', gold: { kind: 'sentiment' }, prompts: ['the movie was', 'today was'], max_new_tokens: 10 },
  labelers: [{ kind: 'human' }],
  reward_model: { lr: 0.0003, steps: 3, batch_size: 4, holdout: 0 },
  policy: { kind: 'gpt' },
};

async function open(page: Page, experiment: Record<string, unknown> & { name: string }): Promise<void> {
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(`${BASE_URL}/?backend=cpu`);
  await page.waitForSelector('[data-testid=backend]', { timeout: 60_000 });
  const buffer = Buffer.from(JSON.stringify(experiment));
  await page.setInputFiles('[data-testid=open-file]', { name: `${experiment.name}.json`, mimeType: 'application/json', buffer });
  await page.waitForFunction((n) => (document.querySelector('[data-testid=preset]') as HTMLSelectElement).value === n, experiment.name);
  await page.click('[data-testid=start]');
}

/** Waits for the run to finish, exports it and returns its preferences.jsonl lines. */
async function exported(page: Page): Promise<Record<string, unknown>[]> {
  await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.getAttribute('data-status') === 'done', null, { timeout: 240_000 });
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-open]')]);
  const files = unzipSync(new Uint8Array(readFileSync((await download.path())!)));
  return strFromU8(files['preferences.jsonl']).trim().split('\n').map((l) => JSON.parse(l));
}

describe('labeling modes in the tab', () => {
  it('thumbs: one completion at a time, up and down on their keys, pair keys ignored; KTO trains on them', async () => {
    const context = await browser().newContext();
    const page = await context.newPage();
    await open(page, {
      ...tiny,
      name: 'thumbs-tiny',
      schedule: { rounds: 1, labels_per_round: 6, checkpoint_every_s: 30, feedback: 'thumbs' },
      optimizer: { algo: 'kto', kl_coef: 0.1, lr: 0.0003, batch_size: 4, eval_samples: 4, iterations: 2 },
    });
    const keys = ['u', 'ArrowDown', '+', 'd', 'ArrowUp', '-'];
    const want = [true, false, true, false, true, false];
    const shown: string[] = [];
    let id = '';
    for (const [i, key] of keys.entries()) {
      id = await nextPair(page, id, '[data-testid=thumb-sample]');
      if (i === 0) {
        // The view lists its own keys, and has no A/B or tie: a pair's keys answer nothing here.
        expect(await page.textContent('[data-testid=label-keys]')).toMatch(/↑\/U\/\+ up, ↓\/D\/− down, Space skip/);
        expect(await page.locator('[data-testid=pair-a]').count()).toBe(0);
        await page.keyboard.press('ArrowLeft');
        await page.keyboard.press('1');
        expect(await page.getAttribute('[data-testid=labeler]', 'data-pair-id')).toBe(id);
      }
      shown.push((await page.getAttribute('[data-testid=thumb-sample]', 'data-text'))!);
      await page.keyboard.press(key);
    }
    const lines = await exported(page);
    expect(lines.map((l) => l.label)).toEqual(want);
    expect(lines.map((l) => l.completion)).toEqual(shown);
    for (const l of lines) {
      expect(tiny.task.prompts).toContain(l.prompt);
      expect(l).not.toHaveProperty('chosen');
    }
    // Step 0 and two KTO steps reached its chart.
    expect(Number(await page.getAttribute('[data-testid=chart-kto]', 'data-points'))).toBe(3);
    await context.close();
  });

  it('strength: Shift+1 … 4 or a strength button before A or B gives the label TRL\'s margin; none without', async () => {
    const context = await browser().newContext();
    const page = await context.newPage();
    await open(page, {
      ...tiny,
      name: 'strength-tiny',
      schedule: { rounds: 1, labels_per_round: 5, checkpoint_every_s: 30 },
      optimizer: { algo: 'dpo', loss: 'sigmoid', kl_coef: 0.1, lr: 0.0003, batch_size: 4, eval_samples: 4, iterations: 1 },
    });
    // [strength key or button, answer key, the margin wanted]
    const steps: [string | null, string, number | undefined][] = [
      ['Shift+Digit4', 'ArrowLeft', 1],
      ['Shift+Digit1', 'ArrowRight', 0], // negligibly better: margin 0, so no column
      [null, 'ArrowLeft', undefined],
      ['button:3', 'ArrowRight', 2 / 3],
      ['Shift+Digit2', '2', 1 / 3],
    ];
    let id = '';
    for (const [i, [strength, key]] of steps.entries()) {
      id = await nextPair(page, id, '[data-testid=pair-a]');
      if (i === 0) expect(await page.textContent('[data-testid=label-keys]')).toMatch(/Shift\s*\+\s*1…4 says how much better/);
      if (strength?.startsWith('button:')) await page.click(`[data-testid=strength-${strength.slice(7)}]`);
      else if (strength) await page.keyboard.press(strength);
      if (strength) expect(await page.locator('[data-testid=strengths] [aria-pressed=true]').count()).toBe(1);
      await page.keyboard.press(key);
    }
    const lines = await exported(page);
    expect(lines).toHaveLength(5);
    const margins = lines.map((l) => l.margin as number | undefined);
    expect(margins[0]).toBeCloseTo(1, 9);
    expect(margins[1]).toBeUndefined();
    expect(margins[2]).toBeUndefined();
    expect(margins[3]).toBeCloseTo(2 / 3, 9);
    expect(margins[4]).toBeCloseTo(1 / 3, 9);
    await context.close();
  });
});
