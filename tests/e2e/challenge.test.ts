// Challenge mode on the Class page in a real browser: the challenge file, the open model's export and two students'
// exploits.jsonl (made with the CLI, as a class would) give the same leaderboard as `rlhf-lab challenge score`; a file
// that is not a challenge is named in the error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { browserForFile, BASE_URL } from './browser';
import { tf } from '../../src/core/tf';
import { preset } from '../../src/core/experiment/presets';
import { buildBundle } from '../../src/core/checkpoint/export';
import { cli, firstCheckpointDir } from '../unit/cli_run';

const browser = browserForFile({ webgpu: false });
let tmp: string;
let zip: Buffer;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'rlhf-lab-challenge-e2e-'));
  await tf.setBackend('cpu');
  // The open model: landscape-ridge's first checkpoint (an untrained reward model, easy to hack).
  const record = await firstCheckpointDir(join(tmp, 'run'), preset('landscape-ridge')!, 'open', 'cpu');
  zip = Buffer.from(buildBundle(record, 'open'));
  const ok = async (args: string[]) => expect((await cli(args)).code).toBe(0);
  await ok(['challenge', 'make', join(tmp, 'run'), '--out', join(tmp, 'challenge.json'), '--budget', '16']);
  await ok(['attack', join(tmp, 'run'), '--budget', '16', '--seed', '1', '--out', join(tmp, 'ada')]);
  await ok(['attack', join(tmp, 'run'), '--budget', '16', '--seed', '2', '--steps', '1', '--out', join(tmp, 'bo')]);
  await ok(['challenge', 'score', join(tmp, 'challenge.json'), '--model', join(tmp, 'run'), join(tmp, 'ada'), join(tmp, 'bo'), '--out', join(tmp, 'board')]);
}, 180_000);
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('challenge mode in the tab', () => {
  it('ranks the class as the CLI does', async () => {
    const expected = JSON.parse(await readFile(join(tmp, 'board', 'leaderboard.json'), 'utf8')).rows as { name: string; rank: number; score: number }[];
    const page = await (await browser().newContext()).newPage();
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await page.goto(`${BASE_URL}/?backend=cpu#class`);
    await page.waitForSelector('[data-testid=class-files]:not([disabled])', { timeout: 60_000 });
    await page.setInputFiles('[data-testid=challenge-file]', { name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from('{"challenge": 1}') });
    await page.setInputFiles('[data-testid=challenge-model]', { name: 'open.rlhf-lab.zip', mimeType: 'application/zip', buffer: zip });
    const jsonl = async (who: string) => ({ name: `${who}.jsonl`, mimeType: 'application/jsonl', buffer: await readFile(join(tmp, who, 'exploits.jsonl')) });
    await page.setInputFiles('[data-testid=challenge-submissions]', [await jsonl('ada'), await jsonl('bo')]);
    await page.waitForSelector('[data-testid=challenge-error]', { timeout: 60_000 });
    expect(await page.textContent('[data-testid=challenge-error]')).toContain('is not a challenge file');

    await page.setInputFiles('[data-testid=challenge-file]', join(tmp, 'challenge.json'));
    await page.waitForSelector('[data-testid=challenge-board]', { timeout: 60_000 });
    const rows = await page.$$eval('[data-testid=challenge-row]', (trs) =>
      trs.map((tr) => ({ name: tr.getAttribute('data-name'), rank: Number(tr.getAttribute('data-rank')), score: Number(tr.getAttribute('data-score')) })),
    );
    expect(rows).toEqual(expected.map(({ name, rank, score }) => ({ name, rank, score })));
    expect(rows.map((r) => r.name).sort()).toEqual(['ada', 'bo']);
    await page.close();
  }, 120_000);
});
