// The Class page in a real browser: three students' preference files and one export bundle dropped together (and a
// broken file, named and left out); the page shows Krippendorff's α worked out by hand below, each labeler's row, the
// position bias the bundle records, and offers the pooled preferences for download. Nothing is stored. Bundles of one
// landscape fit a reward model per group beside a pooled one, and train one policy on the pooled labels.
import { describe, expect, it } from 'vitest';
import { browserForFile, BASE_URL } from './browser';
import { tf } from '../../src/core/tf';
import { MemoryStore } from '../../src/core/checkpoint/store';
import { Runner } from '../../src/core/runner';
import { applyOverrides } from '../../src/core/experiment/parse';
import { preset } from '../../src/core/experiment/presets';
import { hashRecord, loadCheckpoint } from '../../src/core/checkpoint/record';
import { buildBundle } from '../../src/core/checkpoint/export';
import { landscape } from '../../src/core/tasks/landscape2d/landscape';

const browser = browserForFile({ webgpu: false });
const line = (prompt: string, chosen: string, rejected: string) => JSON.stringify({ prompt, chosen, rejected });
const file = (name: string, lines: string[]) => ({ name, mimeType: 'application/jsonl', buffer: Buffer.from(lines.join('\n')) });

describe('the Class page', () => {
  it('pools three students and a bundle: α by hand, position bias from the bundle, a broken file named', async () => {
    await tf.setBackend('cpu');
    const store = new MemoryStore();
    const e = applyOverrides(preset('landscape-hello')!, ['schedule.rounds=1', 'schedule.labels_per_round=12', 'reward_model.steps=2', 'optimizer.iterations=1']);
    const r = await Runner.create(e, { store, runId: 'dee', backend: 'cpu' });
    await r.run();
    r.dispose();
    const record = (await loadCheckpoint(store, 'dee'))!.record;
    const decisive = record.labels.filter((l) => l.answer === 'a' || l.answer === 'b');
    const choseA = Math.round((100 * decisive.filter((l) => l.answer === 'a').length) / decisive.length);
    // How often the simulated labeler's decisive answers pick the side one-hill's gold prefers, counted here.
    const g = landscape('one-hill').gold;
    const judged = decisive.filter((l) => g(...(l.a as [number, number])) !== g(...(l.b as [number, number])));
    const withGold = judged.filter((l) => (g(...(l.a as [number, number])) > g(...(l.b as [number, number]))) === (l.answer === 'a')).length / judged.length;

    const context = await browser().newContext();
    const page = await context.newPage();
    await page.goto(`${BASE_URL}/?backend=cpu#class`);
    await page.waitForSelector('[data-testid=class-files]:not([disabled])', { timeout: 60_000 });
    await page.setInputFiles('[data-testid=class-files]', [
      file('ann.jsonl', [line('p1', 'good', 'bad'), line('p2', 'yes', 'no'), line('p3', 'x', 'y'), line('p4', 'up', 'down')]),
      file('bob.jsonl', [line('p1', 'good', 'bad'), line('p2', 'yes', 'no'), line('p3', 'x', 'y'), line('p4', 'down', 'up')]),
      file('cy.jsonl', [line('p1', 'bad', 'good')]),
      file('broken.jsonl', ['{"prompt": 1']),
      { name: 'dee.rlhf-lab.zip', mimeType: 'application/zip', buffer: Buffer.from(buildBundle(record, 'dee')) },
    ]);
    await page.waitForSelector('[data-testid=class-summary]');
    expect(await page.textContent('[data-testid=class-error]')).toMatch(/broken\.jsonl.*It was left out\./s);
    // α by hand over p1 (s, s, f), p2 (s, s), p3 (f, f), p4 (s, f), sides in text order: o_ss 3, o_ff 2, o_sf = o_fs = 2;
    // n_s 5, n_f 4, n 9: α = 1 − 8·(2 + 2) / (2·5·4) = 0.2. The bundle's points are items no one else labeled.
    expect(await page.textContent('[data-testid=class-alpha]')).toBe('0.200');
    expect(await page.textContent('[data-testid=class-summary]')).toMatch(new RegExp(`${9 + decisive.length + record.labels.filter((l) => l.answer === 'tie').length} answers from 4 labelers in 4 files`));
    const rows = await page.$$eval('[data-testid=class-rater]', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent?.trim() ?? '')));
    const dee = rows.find((c) => c[0].startsWith('dee'))!;
    expect(dee[3]).toBe(`${choseA}%`);
    expect(dee[5]).toBe(`${withGold.toFixed(2)} (${judged.length} answers)`);
    expect(rows.find((c) => c[0] === 'ann')![5]).toMatch(/^– \(0 answers\)$/); // a preference file has no gold to check
    expect(rows.find((c) => c[0] === 'cy')![4]).toMatch(/^0\.00 \(1 items\)$/);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=class-download-preferences]')]);
    expect(download.suggestedFilename()).toBe('class-preferences.jsonl');
    // Removing a file takes its answers out.
    await page.click('[data-testid=class-rater]:has-text("cy") [data-testid=class-remove]');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=class-rater]').length === 3);
    expect(await page.textContent('[data-testid=class-alpha]')).not.toBe('0.200');
    await context.close();
  });

  it('three landscape bundles: a reward model per group beside one pooled, then one policy on the pooled labels', async () => {
    await tf.setBackend('cpu');
    const bundles: Buffer[] = [];
    let total = 0;
    for (const seed of [1, 2, 3]) {
      const store = new MemoryStore();
      const e = applyOverrides(preset('landscape-hello')!, ['schedule.rounds=1', 'schedule.labels_per_round=16', 'reward_model.steps=150', 'optimizer.iterations=1', `seed=${seed}`]);
      const r = await Runner.create(e, { store, runId: `s${seed}`, backend: 'cpu' });
      await r.run();
      r.dispose();
      const record = (await loadCheckpoint(store, `s${seed}`))!.record;
      // The third student answers against the other two: every decisive answer flipped.
      if (seed === 3) {
        record.labels = record.labels.map((l) => ({ ...l, answer: l.answer === 'a' ? 'b' : l.answer === 'b' ? 'a' : l.answer }));
        record.sha256 = await hashRecord(record);
      }
      total += record.labels.length;
      bundles.push(Buffer.from(buildBundle(record, `s${seed}`)));
    }
    const context = await browser().newContext();
    const page = await context.newPage();
    await page.goto(`${BASE_URL}/?backend=cpu#class`);
    await page.waitForSelector('[data-testid=class-files]:not([disabled])', { timeout: 60_000 });
    await page.setInputFiles('[data-testid=class-files]', bundles.map((buffer, i) => ({ name: `student${i + 1}.rlhf-lab.zip`, mimeType: 'application/zip', buffer })));
    // Students 1 and 2 are put in one group, "majority"; student 3 stays a group of their own.
    const groups = page.locator('[data-testid=class-group]');
    await groups.nth(0).fill('majority');
    await groups.nth(1).fill('majority');
    await page.click('[data-testid=class-fit-groups]');
    await page.waitForSelector('[data-testid=class-whose]', { timeout: 120_000 });
    const rows = await page.$$eval('[data-testid=class-whose-group]', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent?.trim() ?? '')));
    expect(rows.map((r) => r[0])).toEqual(['majority', 'student3:simulated:0']);
    const share = (cell: string) => Number(cell.replace('%', ''));
    // The pooled model orders the class's pairs as the majority's model does, and against the flipped student's.
    expect(share(rows[0][2])).toBeGreaterThan(share(rows[1][2]));
    expect(share(rows[0][4])).toBeGreaterThan(50);
    expect(share(rows[1][4])).toBeLessThan(50);
    expect(await page.locator('[data-testid=class-disputed-pair]').count()).toBeGreaterThan(0);
    // Everyone in one group leaves nothing to compare.
    await groups.nth(2).fill('majority');
    expect(await page.isDisabled('[data-testid=class-fit-groups]')).toBe(true);
    expect(await page.locator('[data-testid=class-whose]').count()).toBe(0);

    await page.click('[data-testid=class-use-pooled]');
    await page.waitForSelector('[data-testid=start-labels]');
    expect(await page.textContent('[data-testid=start-labels]')).toContain(`${total} labels`);
    expect(await page.inputValue('[data-testid=preset]')).toBe('landscape-hello (class)');
    await page.click('[data-testid=start]');
    await page.waitForSelector('[data-testid=status][data-status=done]', { timeout: 120_000 });
    // The run's comparisons are the class's plus its own round's.
    expect(Number(await page.textContent('[data-testid=labels-count]'))).toBeGreaterThanOrEqual(total);
    await context.close();
  });
});
