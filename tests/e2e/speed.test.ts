// Honest speed in a real browser (Debian's Chromium, WebGPU on SwiftShader): the lab sees that WebGPU runs on a
// software adapter, trains on WebAssembly and says why; ?backend=webgpu still gives WebGPU; and while a run trains,
// each stage shows done/total, a rate and a time left that moves.
import { describe, expect, it } from 'vitest';
import { browserForFile, nextPair, startFromFile, BASE_URL } from './browser';
import { applyOverrides } from '../../src/core/experiment/parse';
import { preset } from '../../src/core/experiment/presets';

const browser = browserForFile();

describe('backend choice and progress in the tab', () => {
  it('on SwiftShader picks WebAssembly and says why; ?backend=webgpu keeps WebGPU', async () => {
    const context = await browser().newContext();
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await page.goto(`${BASE_URL}/`);
    await page.waitForSelector('[data-testid=backend]', { timeout: 60_000 });
    expect(await page.getAttribute('[data-testid=backend]', 'data-backend')).toBe('wasm');
    expect(await page.textContent('[data-testid=backend]')).toContain('Training on WebAssembly');
    const why = (await page.textContent('[data-testid=backend-fallback]')) ?? '';
    expect(why).toMatch(/^WebGPU here runs on SwiftShader, a software adapter .*: training on WebAssembly instead, which trained this lab's landscape-hello more than 30× faster in our measurement\./);
    expect(why).toContain('?backend=webgpu');

    await page.goto(`${BASE_URL}/?backend=webgpu`);
    await page.waitForSelector('[data-testid=backend]', { timeout: 60_000 });
    expect(await page.getAttribute('[data-testid=backend]', 'data-backend')).toBe('webgpu');
    expect(await page.textContent('[data-testid=backend]')).toContain('WebGPU (google swiftshader)');
    expect(await page.$('[data-testid=backend-fallback]')).toBeNull();
    await context.close();
  });

  it('shows done/total, a rate and a time left while the reward model fits and the policy trains, and the time left changes', async () => {
    const context = await browser().newContext();
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await page.goto(`${BASE_URL}/`);
    await page.waitForSelector('[data-testid=backend]', { timeout: 60_000 });
    // Every 50 ms, what the status line says about the stage (the page's own clock, so no sample is missed).
    await page.evaluate(() => {
      const w = window as unknown as { __eta: { stage: string; step: string; text: string; remaining: string; rate: string }[] };
      w.__eta = [];
      setInterval(() => {
        const status = document.querySelector('[data-testid=status]');
        const eta = document.querySelector('[data-testid=eta]');
        if (!status || !eta) return;
        w.__eta.push({
          stage: status.getAttribute('data-stage') ?? '',
          step: status.textContent ?? '',
          text: eta.textContent?.trim() ?? '',
          remaining: eta.getAttribute('data-remaining') ?? '',
          rate: eta.getAttribute('data-rate') ?? '',
        });
      }, 50);
    });
    // landscape-hello made slow enough that each stage lasts seconds on any machine (an idle one ran the preset's
    // 40 iterations between two updates of the page, and never showed a policy rate).
    const slow = { ...applyOverrides(preset('landscape-hello')!, ['reward_model.steps=1500', 'optimizer.iterations=300', 'optimizer.batch_size=2048']), name: 'slow-hello' };
    await page.setInputFiles('[data-testid=open-file]', { name: 'slow.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(slow)) });
    await page.waitForFunction(() => (document.querySelector('[data-testid=preset]') as HTMLSelectElement).value === 'slow-hello');
    await page.click('[data-testid=start]');
    // Two rounds: each stage of round 1 and round 2 goes by.
    await page.waitForFunction(() => {
      const el = document.querySelector('[data-testid=status]');
      return el?.getAttribute('data-stage') === 'policy' && el.textContent?.includes('round 2 of');
    }, null, { timeout: 180_000 });
    await page.click('[data-testid=pause]');
    const seen = await page.evaluate(() => (window as unknown as { __eta: { stage: string; step: string; text: string; remaining: string; rate: string }[] }).__eta);
    for (const stage of ['reward', 'policy']) {
      const timed = seen.filter((s) => s.stage === stage && s.rate !== '');
      expect(timed.length, `${stage}: ${JSON.stringify(seen.filter((s) => s.stage === stage).slice(0, 5))}`).toBeGreaterThan(0);
      const unit = stage === 'reward' ? 'steps' : 'iterations';
      for (const s of timed) {
        expect(s.text).toMatch(new RegExp(`^· [\\d.]+ ${unit}/(s|min) · about (\\d+ s|\\d+ min \\d\\d s) left$`));
        expect(Number(s.rate)).toBeGreaterThan(0);
        expect(Number(s.remaining)).toBeGreaterThanOrEqual(0);
      }
      // done/total beside it
      expect(timed[0].step).toMatch(/\d+\/\d+/);
    }
    // The time left moves as the run goes (several different values over the run).
    expect(new Set(seen.filter((s) => s.remaining !== '').map((s) => s.remaining)).size).toBeGreaterThan(3);
    await context.close();
  });

  it('times a person\'s labels too: labels per minute and the time the round\'s comparisons will take', async () => {
    const context = await browser().newContext();
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await page.goto(`${BASE_URL}/`);
    await page.waitForSelector('[data-testid=backend]', { timeout: 60_000 });
    await startFromFile(page, 'tests/fixtures/landscape-human-tiny.json', 'landscape-human-tiny');
    let id = '';
    for (let i = 0; i < 3; i++) {
      id = await nextPair(page, id, '[data-testid=pair-a]', 60_000);
      await page.waitForTimeout(400); // a person's pace: a few labels a second at most
      await page.keyboard.press('ArrowLeft');
    }
    await nextPair(page, id, '[data-testid=pair-a]', 60_000);
    const eta = await page.waitForSelector('[data-testid=eta][data-rate]:not([data-rate=""])', { timeout: 10_000 });
    expect((await eta.textContent())?.trim()).toMatch(/^· [\d.]+ labels\/(s|min) · about (\d+ s|\d+ min \d\d s) left$/);
    expect(await page.textContent('[data-testid=status]')).toMatch(/collecting comparisons.*3\/10/s);
    await context.close();
  });
});
