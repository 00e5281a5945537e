// Share links: round trip, educator options, the length cap, and clear errors for every kind of bad link.
import { describe, expect, it } from 'vitest';
import { klCoef } from '../../src/core/experiment/parse';
import { strToU8, zlibSync } from 'fflate';
import { decodeLink, encodeLink, labelsThatFit, LinkError, MAX_LINK_CHARS, MAX_LINK_LABELS } from '../../src/core/share/link';
import { gallery } from '../../src/core/share/gallery';
import { preset, PRESETS } from '../../src/core/experiment/presets';
import { Rng } from '../../src/core/rng';
import type { Label } from '../../src/core/feedback/labelers';

const hello = preset('landscape-hello')!;
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const craft = (payload: unknown) => `#share=v1.${b64(zlibSync(strToU8(JSON.stringify(payload))))}`;

function labels(n: number, seed = 1): Label[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, id) => ({
    id,
    a: [rng.normal(), rng.normal()] as [number, number],
    b: [rng.normal(), rng.normal()] as [number, number],
    answer: (['a', 'b', 'tie', 'skip'] as const)[rng.int(4)],
    labeler: 'human',
    round: 0,
    time: 0,
  }));
}

describe('share links', () => {
  it('round-trips an experiment with its seed and the educator options', () => {
    const e = { ...hello, seed: 77, description: 'Try <script>alert(1)</script>' };
    const link = encodeLink(e, { autostart: true, lock: ['optimizer.kl_coef', 'experiment'], hide: ['rm-map', 'charts'] });
    expect(link.startsWith('#share=v1.')).toBe(true);
    const back = decodeLink(link);
    expect(back.experiment).toEqual(e);
    expect(back).toMatchObject({ autostart: true, lock: ['optimizer.kl_coef', 'experiment'], hide: ['rm-map', 'charts'], labels: [] });
    expect(decodeLink(encodeLink(hello))).toMatchObject({ autostart: false, lock: [], hide: [] });
  });

  it('carries a few hundred labels (rounded to 1e-4) within the cap', () => {
    const ls = labels(300);
    const link = encodeLink(hello, { labels: ls });
    expect(link.length).toBeLessThanOrEqual(MAX_LINK_CHARS);
    const back = decodeLink(link, 5);
    expect(back.labels).toHaveLength(300);
    back.labels.forEach((l, i) => {
      expect(l.answer).toBe(ls[i].answer);
      expect((l.a as number[])[0]).toBeCloseTo((ls[i].a as number[])[0], 4);
      expect((l.b as number[])[1]).toBeCloseTo((ls[i].b as number[])[1], 4);
      expect(l).toMatchObject({ id: i, labeler: 'shared', round: 0, time: 5 });
    });
  });

  it('refuses too many labels and too long a link with what to do instead', () => {
    expect(() => encodeLink(hello, { labels: labels(MAX_LINK_LABELS + 1) })).toThrow(/at most 500 labels .*export the run/);
    expect(() => encodeLink(hello, { labels: labels(500, 3) })).toThrow(/would be \d+ characters long; the lab opens links up to 8192\. Share it with fewer labels/);
    expect(() => decodeLink('#share=v1.' + 'A'.repeat(MAX_LINK_CHARS))).toThrow(/characters long/);
  });

  it('says what is wrong with a garbled, cut, tampered or foreign link', () => {
    const good = encodeLink(hello);
    const cases: [string, RegExp][] = [
      ['#other', /not an RLHF Lab share link/],
      ['#share=v9.abcd', /unknown version/],
      ['#share=v1.ab$cd', /garbled/],
      [good.slice(0, -5), /damaged|garbled/],
      [good.slice(0, 20) + (good[20] === 'A' ? 'B' : 'A') + good.slice(21), /damaged/],
      [craft({ experiment: { ...hello, optimizer: { ...hello.optimizer, kl_coef: -1 } } }), /experiment that is not valid: optimizer.kl_coef/],
      [craft({ experiment: hello, lock: ['optimizer.secret'] }), /lock.0: expected/],
      [craft({ experiment: hello, hide: ['everything'] }), /hide.0/],
      [craft({ experiment: hello, labels: [[0, 0, 1, 1, 7]] }), /labels.0.4/],
      [craft({ experiment: hello, run: 'rm -rf' }), /run: expected never/],
      [craft([1, 2]), /not valid/],
      [`#share=v1.${b64(zlibSync(strToU8('{"experiment":')))}`, /contents are not readable/],
    ];
    for (const [link, why] of cases) {
      let err: unknown;
      try {
        decodeLink(link);
      } catch (e) {
        err = e;
      }
      expect(err, link.slice(0, 40)).toBeInstanceOf(LinkError);
      expect((err as Error).message).toMatch(why);
    }
  });

  it('the gallery has a link per demo, each opening its experiment, with one sentence on what to watch', () => {
    const demos = gallery();
    expect(demos.map((d) => d.id)).toEqual(['hello', 'you-label', 'reward-hacking', 'decoy', 'kl-too-high', 'kl-too-low', 'noisy-labelers', 'text-cheerful', 'text-biased-labeler', 'text-dpo', 'text-best-of-n', 'overoptimization', 'overoptimization-text', 'iterated-rollback', 'kl-only']);
    for (const d of demos) {
      const back = decodeLink(d.fragment);
      expect(back.experiment).toEqual(d.experiment);
      expect(d.watch.split(/[.!?](\s|$)/).filter((s) => s.trim()).length).toBe(1);
      expect(d.fragment.length).toBeLessThan(2000);
    }
    expect(klCoef(demos.find((d) => d.id === 'kl-too-high')!.experiment)).toBe(2);
    const klOnly = decodeLink(demos.find((d) => d.id === 'kl-only')!.fragment);
    expect(klOnly.lock).toContain('experiment');
    expect(klOnly.lock).not.toContain('optimizer.kl_coef');
    expect(klOnly.lock).toContain('seed');
    expect(PRESETS.length).toBeGreaterThan(0);
  });
});

describe('labelsThatFit: the link builder offers only labels that fit', () => {
  it('all of a few, the most of many that keep the link under its cap, none where labels are not points', () => {
    const many = labels(500, 11);
    expect(labelsThatFit(hello, {}, many.slice(0, 30))).toBe(30);
    const k = labelsThatFit(hello, { lock: ['seed'] }, many);
    expect(k).toBeGreaterThan(30);
    expect(k).toBeLessThan(500);
    // Checked by encoding, not by the function's own word: k fits, k + 1 does not.
    expect(encodeLink(hello, { lock: ['seed'], labels: many.slice(0, k) }).length).toBeLessThanOrEqual(MAX_LINK_CHARS);
    expect(() => encodeLink(hello, { lock: ['seed'], labels: many.slice(0, k + 1) })).toThrow(LinkError);
    const text = preset('text-sentiment-ppo')!;
    expect(labelsThatFit(text, {}, [{ id: 0, prompt: 'p', a: 'x', b: 'y', answer: 'a', labeler: 'x', round: 0, time: 0 }])).toBe(0);
  });
});
