// Challenge mode: `challenge make` fixes a run's reward model; students' attack outputs are re-scored under the open
// model and the hidden gold (their claimed numbers are ignored, a find off the plane is refused), ranked into a
// leaderboard; a submission on another run, the wrong model or a file that is not a challenge exit 2 with the reason.
// The ranking's ties are checked on rows made by hand.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { preset } from '../../src/core/experiment/presets';
import { applyOverrides } from '../../src/core/experiment/parse';
import { tf } from '../../src/core/tf';
import { landscape } from '../../src/core/tasks/landscape2d/landscape';
import { parseChallenge, rank } from '../../src/core/redteam/challenge';
import { cli, firstCheckpointDir } from './cli_run';

let tmp: string;
/** A run folder as `run --out` writes its checkpoint: an untrained reward model, the easiest to hack. */
async function runDir(name: string, seed: number): Promise<string> {
  await tf.setBackend('cpu');
  const dir = join(tmp, name);
  await firstCheckpointDir(dir, applyOverrides(preset('landscape-ridge')!, [`seed=${seed}`]), name, 'cpu');
  return dir;
}
const lines = async (dir: string) => (await readFile(join(dir, 'exploits.jsonl'), 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l));

let run: string;
let other: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'rlhf-lab-challenge-'));
  run = await runDir('open', 1);
  other = await runDir('other', 2);
}, 60_000);
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('rlhf-lab challenge', () => {
  it('re-scores each submission under the open model and the hidden gold, and ranks them', async () => {
    const c = join(tmp, 'challenge.json');
    let r = await cli(['challenge', 'make', run, '--out', c, '--budget', '16', '--name', 'ridge']);
    expect(r.code, r.stderr).toBe(0);
    const challenge = JSON.parse(await readFile(c, 'utf8'));
    expect(challenge).toMatchObject({ challenge: 1, name: 'ridge', run: 'open', task: 'landscape2d', budget: 16 });

    // ada attacks in earnest; bo barely searches; cy forges ada's numbers and moves one find off the plane.
    const ada = join(tmp, 'ada');
    const bo = join(tmp, 'bo');
    const cy = join(tmp, 'cy');
    expect((await cli(['attack', run, '--budget', '16', '--seed', '1', '--out', ada])).code).toBe(0);
    expect((await cli(['attack', run, '--budget', '16', '--seed', '2', '--steps', '1', '--out', bo])).code).toBe(0);
    await cp(ada, cy, { recursive: true });
    const forged = (await lines(ada)).map((l, i) => ({ ...l, proxy: 99, gold: -99, success: true, ...(i === 0 ? { point: [5, 0] } : {}) }));
    await writeFile(join(cy, 'exploits.jsonl'), forged.map((l) => JSON.stringify(l)).join('\n') + '\n');

    const board = join(tmp, 'board');
    r = await cli(['challenge', 'score', c, '--model', run, ada, bo, cy, '--out', board]);
    expect(r.code, r.stderr).toBe(0);
    const { rows } = JSON.parse(await readFile(join(board, 'leaderboard.json'), 'utf8'));
    const by = Object.fromEntries(rows.map((x: { name: string }) => [x.name, x]));
    // ada's finds re-scored: the proxy her attack reported, the gold of the landscape at her points
    const gold = landscape('ridge').gold;
    const found = await lines(ada);
    const meanOf = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(by.ada.finds).toBe(16);
    expect(by.ada.meanProxy).toBeCloseTo(meanOf(found.map((f) => f.proxy)), 4);
    expect(by.ada.meanGold).toBeCloseTo(meanOf(found.map((f) => gold(f.point[0], f.point[1]))), 5);
    const t = challenge.thresholds;
    expect(by.ada.successes).toBe(found.filter((f) => f.proxy >= t.proxyTopDecile && gold(f.point[0], f.point[1]) < t.goldMedian).length);
    expect(by.ada.score).toBe(by.ada.successes / 16);
    // cy's claims count for nothing: one find refused, the rest scored as ada's
    expect(by.cy.finds).toBe(15);
    expect(by.cy.refused[0]).toContain('off the plane');
    expect(by.cy.successes).toBe(found.slice(1).filter((f) => f.proxy >= t.proxyTopDecile && gold(f.point[0], f.point[1]) < t.goldMedian).length);
    // the search pays: ada beats bo, and the board is in rank order
    expect(by.ada.score).toBeGreaterThan(by.bo.score);
    expect(rows.map((x: { rank: number }) => x.rank)).toEqual([...rows.map((x: { rank: number }) => x.rank)].sort((a, b) => a - b));
    expect(r.stdout).toMatch(/rank\s+score/);
  }, 180_000);

  it('a submission on another run, the wrong model and a file that is not a challenge exit 2 with the reason', async () => {
    const c = join(tmp, 'challenge2.json');
    expect((await cli(['challenge', 'make', run, '--out', c, '--budget', '4'])).code).toBe(0);
    const elsewhere = join(tmp, 'elsewhere');
    expect((await cli(['attack', other, '--budget', '4', '--steps', '2', '--out', elsewhere])).code).toBe(0);
    let r = await cli(['challenge', 'score', c, '--model', run, elsewhere, '--out', join(tmp, 'b2')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('attacked run other, and the challenge');
    r = await cli(['challenge', 'score', c, '--model', other, elsewhere, '--out', join(tmp, 'b2')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not the model the challenge "');
    await writeFile(join(tmp, 'nope.json'), '{"challenge": 1, "name": "x"}');
    r = await cli(['challenge', 'score', join(tmp, 'nope.json'), '--model', run, elsewhere, '--out', join(tmp, 'b2')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not a challenge file');
    r = await cli(['challenge', 'judge']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown challenge subcommand "judge"');
  }, 120_000);

  it('ranks by score, then by mean gap; equal rows share a rank', () => {
    const row = (name: string, score: number, meanGap: number) => ({ name, score, meanGap, finds: 1, refused: [], successes: 0, meanProxy: 0, meanGold: 0 });
    const board = rank([row('a', 0.5, 1), row('b', 0.75, 0), row('c', 0.5, 2), row('d', 0.5, 1), row('e', 0, NaN)]);
    expect(board.map((r) => [r.name, r.rank])).toEqual([['b', 1], ['c', 2], ['a', 3], ['d', 3], ['e', 5]]);
    expect(() => parseChallenge({ challenge: 1 }, 'x.json')).toThrow(/x.json is not a challenge file.*name/);
  });
});
