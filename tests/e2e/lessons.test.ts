// A lesson opened from a link, as a student does: the answer is hidden and Start run waits for a prediction; the run
// goes to its end in the lab; the check's verdict shows the numbers it read and the answer shows; after a reload the
// progress is still there (IndexedDB, through the worker). A bad link says what is wrong; the lesson's text stays text.
import { describe, expect, it } from 'vitest';
import { browserForFile, BASE_URL } from './browser';
import { parseLesson } from '../../src/core/lessons/lesson';
import { decodeLesson, encodeLesson } from '../../src/core/lessons/link';
import { BUILTIN_LESSONS } from '../../src/core/lessons/builtin';

const browser = browserForFile({ webgpu: false });

const lesson = parseLesson({
  version: 1,
  id: 'e2e-lesson',
  title: 'A lesson for the browser test',
  summary: 'One short run.',
  steps: [
    {
      id: 'run',
      title: 'A short run',
      text: 'Press **Start run**. <b>not a tag</b>',
      run: { preset: 'landscape-hello', set: ['schedule.rounds=1', 'schedule.labels_per_round=20', 'reward_model.steps=20', 'optimizer.iterations=5'] },
      question: { prompt: 'How many comparisons will the run have?', choices: ['twenty', 'none'], answer: 0, explanation: 'One round of twenty, all answered.' },
      check: {
        kind: 'all',
        checks: [
          { kind: 'compare', metric: 'labels/count', at: 'end', op: '>=', than: 20 },
          { kind: 'compare', metric: 'objective/kl', at: 'max', op: '>', than: 0 },
        ],
      },
    },
    { id: 'after', title: 'Read the KL', text: 'The run moved.', check: { kind: 'compare', metric: 'step', at: 'end', op: '>=', than: 5, step: 'run' } },
  ],
});

describe('lessons', () => {
  it('a lesson link: predict, run, see the verdict and the answer; progress kept over a reload', async () => {
    const ctx = await browser().newContext();
    const page = await ctx.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${BASE_URL}/?backend=cpu${encodeLesson(lesson)}`);
    const step = '[data-testid=lesson-step][data-step=run]';
    await page.waitForSelector('[data-testid=lesson][data-lesson=e2e-lesson]', { timeout: 60_000 });
    await page.waitForSelector('[data-testid=backend]', { timeout: 60_000 });

    // Text is text: the tag shows as typed, and bold is the lesson's own markup.
    expect(await page.textContent(`${step} p`)).toBe('Press Start run. <b>not a tag</b>');
    expect(await page.locator(`${step} b`).count()).toBe(0);
    // Predict first: Start run waits for it, and the answer is not shown.
    expect(await page.isDisabled(`${step} [data-testid=lesson-start]`)).toBe(true);
    expect(await page.locator('[data-testid=lesson-answer]').count()).toBe(0);
    await page.locator(`${step} [data-testid=lesson-choice]`).first().check();
    await page.waitForFunction((s) => !(document.querySelector(`${s} [data-testid=lesson-start]`) as HTMLButtonElement).disabled, step);
    await page.click(`${step} [data-testid=lesson-start]`);

    await page.waitForSelector(`${step} [data-testid=lesson-verdict]`, { timeout: 180_000 });
    expect(await page.getAttribute(`${step} [data-testid=lesson-verdict]`, 'data-passed')).toBe('true');
    const readings = await page.locator(`${step} [data-testid=lesson-reading]`).allTextContents();
    expect(readings[0]).toBe('✓ labels/count at end = 20 >= 20');
    expect(readings[1]).toMatch(/^✓ max of objective\/kl = [\d.e-]+ > 0$/);
    const answer = (await page.textContent(`${step} [data-testid=lesson-answer]`))!;
    expect(answer).toContain('Answer: twenty.');
    expect(answer).toContain('You predicted “twenty”: right.');
    expect(answer).toContain('One round of twenty, all answered.');
    // The prediction is fixed once the run started.
    expect(await page.locator(`${step} [data-testid=lesson-choice]`).first().isDisabled()).toBe(true);

    // The next step reads the first one's run, fetched from the worker by its id.
    await page.click('[data-testid=lesson-step][data-step=after] [data-testid=lesson-complete]');
    await page.waitForSelector('[data-testid=lesson-step][data-step=after] [data-testid=lesson-verdict][data-passed=true]');
    expect(await page.textContent('[data-testid=lesson-step][data-step=after] [data-testid=lesson-reading]')).toBe('✓ step at end of step "run" = 5 >= 5');

    // The open lesson shares as a link that holds the same lesson.
    await page.click('[data-testid=lesson-share]');
    const link = await page.inputValue('[data-testid=lesson-link]');
    expect(link.startsWith(`${BASE_URL}/#lesson=v1.`)).toBe(true);
    expect(decodeLesson(link.slice(link.indexOf('#')))).toEqual(lesson);

    await page.reload();
    await page.waitForSelector(`${step}[data-done=true] [data-testid=lesson-verdict][data-passed=true]`, { timeout: 60_000 });
    expect(await page.getAttribute('[data-testid=lesson-step][data-step=after]', 'data-done')).toBe('true');
    expect(await page.isChecked(`${step} [data-testid=lesson-choice] >> nth=0`)).toBe(true);
    expect(await page.textContent(`${step} [data-testid=lesson-answer]`)).toContain('You predicted “twenty”: right.');

    // The list shows the progress of built-in lessons beside this one (none done yet).
    await page.click('[data-testid=lesson-back]');
    expect(await page.getAttribute('[data-testid=lesson-item][data-lesson=e2e-lesson] [data-testid=lesson-progress]', 'data-done')).toBe('2');
    expect(await page.locator('[data-testid=lesson-item]').count()).toBe(BUILTIN_LESSONS.length + 1);
    expect(await page.getAttribute(`[data-testid=lesson-item][data-lesson=${BUILTIN_LESSONS[0].id}] [data-testid=lesson-progress]`, 'data-done')).toBe('0');
    expect(errors).toEqual([]);
    await ctx.close();
  }, 300_000);

  it('a built-in lesson from the list: two runs, a check that reads both', async () => {
    const ctx = await browser().newContext();
    const page = await ctx.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${BASE_URL}/?backend=cpu`);
    await page.waitForSelector('[data-testid=backend]', { timeout: 60_000 });
    await page.click('[data-testid=nav-lessons]');
    await page.click('[data-testid=lesson-item][data-lesson=dpo-vs-rl] button');
    const rl = '[data-testid=lesson-step][data-step=rl]';
    const dpo = '[data-testid=lesson-step][data-step=dpo]';
    await page.click(`${rl} [data-testid=lesson-start]`);
    await page.waitForSelector(`${rl}[data-done=true]`, { timeout: 240_000 });
    await page.locator(`${dpo} [data-testid=lesson-choice]`).nth(2).check();
    await page.waitForFunction((s) => !(document.querySelector(`${s} [data-testid=lesson-start]`) as HTMLButtonElement).disabled, dpo);
    await page.click(`${dpo} [data-testid=lesson-start]`);
    await page.waitForSelector(`${dpo} [data-testid=lesson-verdict]`, { timeout: 240_000 });
    const readings = await page.locator(`${dpo} [data-testid=lesson-reading]`).allTextContents();
    expect(readings).toHaveLength(3);
    expect(readings[1]).toMatch(/^. gold\/mean at end = [\d.e-]+ < gold\/mean at end of step "rl" = [\d.e-]+$/);
    expect(readings[2]).toMatch(/^. objective\/kl at end = [\d.e-]+ < objective\/kl at end of step "rl" = [\d.e-]+$/);
    // The verdict is what the numbers say, and on the tab's cpu backend it holds as in Node (lessons_builtin.test.ts).
    const nums = readings.map((r) => [...r.matchAll(/= ([\d.e-]+)/g)].map((m) => Number(m[1])));
    expect(nums[0][0] > nums[0][1] && nums[1][0] < nums[1][1] && nums[2][0] < nums[2][1]).toBe(true);
    expect(await page.getAttribute(`${dpo} [data-testid=lesson-verdict]`, 'data-passed')).toBe('true');
    await page.click('[data-testid=lesson-back]');
    expect(await page.getAttribute('[data-testid=lesson-item][data-lesson=dpo-vs-rl] [data-testid=lesson-progress]', 'data-done')).toBe('2');
    expect(errors).toEqual([]);
    await ctx.close();
  }, 600_000);

  it('a lesson file: a bad one is refused with the field named, a good one opens', async () => {
    const ctx = await browser().newContext();
    const page = await ctx.newPage();
    await page.goto(`${BASE_URL}/?backend=cpu#lessons`);
    await page.waitForSelector('[data-testid=backend]', { timeout: 60_000 });
    const source = JSON.parse(JSON.stringify(lesson, (k, v) => (k === 'experiment' ? undefined : v)));
    const bad = structuredClone(source);
    bad.steps[0].check.checks[0].metric = 'gold/mena';
    await page.setInputFiles('[data-testid=lesson-file]', { name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(bad)) });
    expect(await page.textContent('[data-testid=lesson-error]')).toBe(
      'bad.json is not a valid lesson, nothing was changed: steps[0].check.checks[0].metric: unknown metric key "gold/mena"',
    );
    await page.setInputFiles('[data-testid=lesson-file]', { name: 'good.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(source)) });
    await page.waitForSelector('[data-testid=lesson][data-lesson=e2e-lesson]');
    expect(await page.locator('[data-testid=lesson-step]').count()).toBe(2);
    expect(await page.locator('[data-testid=lesson-error]').count()).toBe(0);
    await ctx.close();
  }, 120_000);

  it('a damaged lesson link says so and opens nothing', async () => {
    const ctx = await browser().newContext();
    const page = await ctx.newPage();
    const f = encodeLesson(lesson);
    await page.goto(`${BASE_URL}/?backend=cpu${f.slice(0, 40)}${f[40] === 'A' ? 'B' : 'A'}${f.slice(41)}`);
    await page.waitForSelector('[data-testid=lesson-error]', { timeout: 60_000 });
    expect(await page.textContent('[data-testid=lesson-error]')).toMatch(/This lesson link is damaged/);
    expect(await page.locator('[data-testid=lesson]').count()).toBe(0);
    await ctx.close();
  }, 120_000);
});
