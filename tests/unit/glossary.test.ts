// Every number the tab shows explains itself: each figure's and chart series' key, read from the code that shows it
// (the algorithms' charts in core/algos/registry.ts, and every `key:`/`term` literal of src/ui), has a glossary text
// with what it is, how it is computed and what a healthy run shows.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { GLOSSARY, explain, explanationOf } from '../../src/core/analysis/glossary';
import { ALGO_NAMES, algorithmOf } from '../../src/core/algos/registry';
import { PRESETS } from '../../src/core/experiment/presets';
import { applyOverrides } from '../../src/core/experiment/parse';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : /\.(ts|svelte)$/.test(f) ? [p] : [];
  });
}

/** Keys named in the UI's source: chart series and figures (`key: '…'`), explained things (`term="…"`, `term: '…'`). */
function uiKeys(): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of files('src/ui')) {
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/\b(?:key|term)(?::\s*|=)['"]([^'"`]+)['"]/g)) out.set(m[1], f);
  }
  return out;
}

/** Every series key of every algorithm's charts, over the presets and the GRPO family's variants. */
function chartKeys(): Map<string, string> {
  const out = new Map<string, string>();
  const variants = [
    ...PRESETS,
    applyOverrides(PRESETS.find((p) => p.optimizer.algo === 'grpo')!, ['optimizer.loss_type="cispo"', 'optimizer.epsilon_high=5']),
  ];
  for (const e of variants) for (const c of algorithmOf(e.optimizer).charts(e.optimizer)) for (const s of c.series) out.set(s.key, `${e.optimizer.algo}: ${c.testid}`);
  return out;
}

describe('glossary', () => {
  it('finds the keys the UI shows (the scan itself works)', () => {
    const ui = uiKeys();
    for (const k of ['gold/mean', 'proxy/mean', 'objective/kl', 'rm/accuracy', 'labels/count', 'landscape/optimum', 'objective/kl_coef', 'text/length', 'env/true_return', 'overopt/bon_fit'])
      expect(ui.has(k), k).toBe(true);
    const charts = chartKeys();
    expect(new Set(PRESETS.map((p) => p.optimizer.algo)).size).toBeGreaterThan(3);
    for (const k of ['policy/clipfrac', 'rewards/margins', 'cispo_clip_ratio', 'clip_ratio/high_mean', 'loss/value']) expect(charts.has(k), k).toBe(true);
    expect(ALGO_NAMES.length).toBeGreaterThan(5);
  });

  it('has a text for every figure and chart series key the UI uses', () => {
    const missing = [...uiKeys(), ...chartKeys()].filter(([k]) => !/^c\d+$/.test(k) && !explanationOf(k)).map(([k, where]) => `${k} (${where})`);
    expect(missing).toEqual([]);
  });

  it('explains each with what, how and what a healthy run shows, in sentences', () => {
    for (const [k, e] of Object.entries(GLOSSARY)) {
      for (const part of [e.what, e.how, e.healthy]) expect(part.trim().length, k).toBeGreaterThan(5);
      expect(explain(k)).toContain('Healthy run:');
    }
    // the runs page's overlay tags its keys with the run; the metric's text is used
    expect(explain('A:gold/mean')).toBe(explain('gold/mean'));
    expect(explain('no/such-key')).toBe('');
  });
});
