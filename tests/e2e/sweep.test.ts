// A sweep opened in the tab (Debian's Chromium): the sweep.json that `rlhf-lab sweep` wrote, run here for real, is
// drawn on the Runs page as a table of each setting's figures over seeds and two charts; a file that is not a sweep
// is refused with a message and changes nothing.
import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { browserForFile, BASE_URL } from './browser';
import { cli } from '../unit/cli_run';

const browser = browserForFile({ webgpu: false });

describe('a sweep in the tab', () => {
  it('opens the CLI\'s sweep.json: one row per setting with its mean ± spread, and gold and KL charts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rlhf-lab-sweep-e2e-'));
    try {
      const sets = ['schedule.rounds=1', 'schedule.labels_per_round=20', 'reward_model.steps=20', 'optimizer.iterations=3'].flatMap((s) => ['--set', s]);
      const r = await cli(['sweep', 'landscape-hello', '--grid', 'optimizer.kl_coef=[0,0.5]', '--seeds', '1,2', '--out', dir, ...sets], 300_000);
      expect(r.code, r.stderr).toBe(0);
      const csv = (await readFile(join(dir, 'sweep.csv'), 'utf8')).trimEnd().split('\n').map((l) => l.split(','));
      const meanEnd = csv.slice(1).map((row) => Number(row[csv[0].indexOf('gold_end_mean')]));

      const context = await browser().newContext();
      const page = await context.newPage();
      await page.goto(`${BASE_URL}/?backend=cpu#runs`);
      await page.waitForSelector('[data-testid=open-sweep]', { timeout: 60_000 });
      await page.setInputFiles('[data-testid=open-sweep]', { name: 'nonsense.json', mimeType: 'application/json', buffer: Buffer.from('{"format":"other"}') });
      expect(await page.textContent('[data-testid=runs-error]')).toMatch(/nonsense\.json is not a sweep file.*Nothing was changed/);
      expect(await page.$('[data-testid=sweep]')).toBeNull();

      await page.setInputFiles('[data-testid=open-sweep]', join(dir, 'sweep.json'));
      await page.waitForSelector('[data-testid=sweep]');
      expect(await page.textContent('[data-testid=runs-info]')).toMatch(/a sweep of landscape-hello, 2 settings × 2 seeds/);
      const rows = await page.$$eval('[data-testid=sweep-row]', (trs) => trs.map((tr) => tr.textContent ?? ''));
      expect(rows).toHaveLength(2);
      expect(rows[0]).toContain('optimizer.kl_coef=0');
      expect(rows[1]).toContain('optimizer.kl_coef=0.5');
      const ends = await page.$$eval('[data-testid=sweep-gold-end]', (tds) => tds.map((td) => td.textContent ?? ''));
      ends.forEach((t, i) => expect(t).toMatch(new RegExp(`^${meanEnd[i].toFixed(3)} ± \\d\\.\\d{3}$`)));
      expect(Number(await page.getAttribute('[data-testid=sweep-gold]', 'data-points'))).toBe(4); // steps 0..3
      expect(Number(await page.getAttribute('[data-testid=sweep-kl]', 'data-points'))).toBe(4);
      await page.click('[data-testid=sweep-close]');
      expect(await page.$('[data-testid=sweep]')).toBeNull();
      await context.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
