// rlhf-lab class merge FILES... --out DIR: a class's export bundles and preference files merged into one preference
// file that keeps who answered (labeler, source), and agreement.json: Krippendorff's α, Fleiss' κ, Cohen's κ per pair
// of labelers (each with the items it rests on), each labeler's position bias and agreement with the others. The same
// core (feedback/class_merge.ts) serves the tab. A file that is not valid is named with the reason; nothing is written.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { ImportError, readImport } from '../core/checkpoint/import';
import { classBundles, classPreferencesJsonl, classSourceOf, goldAnswers, mergeClass, type ClassSource } from '../core/feedback/class_merge';
import { whosePreferences } from '../core/feedback/whose_preferences';
import { selectBackend } from '../core/backend';
import type { Label } from '../core/feedback/labelers';
import { publicAssets } from './fs_assets';

export const CLASS_USAGE = `  rlhf-lab class merge FILES... --out DIR   pool a class's bundles (.zip) and preference files (.jsonl): writes
                                       DIR/preferences.jsonl (with each answer's labeler) and DIR/agreement.json
      [--models] [--group LABELER=GROUP]...  also fit a reward model per labeler (or per named group) and one on
                                       all bundles' labels pooled: DIR/whose.json (whose preferences it follows)`;

const fmt = (x: number | null) => (x === null ? 'n/a' : x.toFixed(3));

export async function classCommand(argv: string[], usage: (m: string) => Error, out: (s: string) => void): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub !== 'merge') throw usage(sub === undefined ? 'class needs a subcommand: class merge FILES... --out DIR' : `unknown class subcommand "${sub}" (there is: merge)`);
  const files: string[] = [];
  let dir: string | null = null;
  let models = false;
  const groupOf = new Map<string, string>();
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === '--out' || a.startsWith('--out=')) {
      dir = a.includes('=') ? a.slice(6) : rest[++i];
      if (!dir) throw usage('--out needs a folder');
    } else if (a === '--models') models = true;
    else if (a === '--group' || a.startsWith('--group=')) {
      const v = a.includes('=') ? a.slice(8) : rest[++i];
      const m = /^([^=]+)=(.+)$/.exec(v ?? '');
      if (!m) throw usage(`--group needs LABELER=GROUP (e.g. --group ann=morning), got ${v === undefined ? 'nothing' : `"${v}"`}`);
      groupOf.set(m[1].trim(), m[2].trim());
      models = true;
    } else if (a.startsWith('-')) throw usage(`unknown option ${a}`);
    else files.push(a);
  }
  if (files.length === 0) throw usage('class merge needs the files to pool: class merge FILES... --out DIR');
  if (!dir) throw usage('class merge needs --out DIR');

  const sources: ClassSource[] = [];
  for (const path of files) {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(path));
    } catch (e) {
      throw new ImportError(`cannot read ${path}: ${(e as Error).message}`);
    }
    const s = classSourceOf(await readImport(bytes, basename(path)), basename(path));
    sources.push(s.kind === 'bundle' ? { ...s, gold: await goldAnswers(s.experiment, s.labels, { assets: publicAssets }) } : s);
  }
  const merged = mergeClass(sources);
  const target = resolve(dir);
  await mkdir(target, { recursive: true });
  await writeFile(join(target, 'preferences.jsonl'), classPreferencesJsonl(merged));
  await writeFile(join(target, 'agreement.json'), JSON.stringify({ files: files.map((f) => basename(f)), raters: merged.raters, agreement: merged.agreement }, null, 2) + '\n');
  const g = merged.agreement;
  out(`${merged.answers.length} answers from ${g.raters.length} labelers in ${files.length} files; ${g.items} items, ${g.shared} labeled by two or more\n`);
  out(`Krippendorff's α ${fmt(g.krippendorff_alpha.value)} (${g.krippendorff_alpha.items} items), Fleiss' κ ${fmt(g.fleiss_kappa.value)} (${g.fleiss_kappa.items} items)\n`);
  for (const r of merged.raters) {
    out(`  ${r.rater}: ${r.answers} answers, chose A ${r.position_a === null ? 'n/a' : `${(100 * r.position_a).toFixed(0)}%`}, agrees with the others ${fmt(r.with_others.share)} (${r.with_others.items} items), with gold ${fmt(r.with_gold.share)} (${r.with_gold.items} answers)\n`);
  }
  if (models) {
    const b = classBundles(sources);
    if ('reason' in b) throw usage(`--models: ${b.reason}`);
    const unknown = [...groupOf.keys()].filter((r) => !merged.raters.some((x) => x.rater === r));
    if (unknown.length) throw usage(`--group names ${unknown.map((r) => `"${r}"`).join(', ')}, not a labeler of these files (there are: ${merged.raters.map((r) => r.rater).join(', ')})`);
    // The reward models train on wasm (a text or control model takes minutes on tfjs's cpu backend).
    await import('@tensorflow/tfjs-backend-wasm');
    await selectBackend('wasm', true);
    const by = new Map<string, Label[]>();
    for (const l of b.labels) {
      const g = groupOf.get(l.labeler) ?? l.labeler;
      by.set(g, [...(by.get(g) ?? []), l]);
    }
    const w = await whosePreferences(b.experiment, [...by].map(([name, labels]) => ({ name, labels })), {
      seed: 1,
      onProgress: (done, total) => out(`  reward model ${done} of ${total} fit\n`),
    }, { assets: publicAssets });
    await writeFile(join(target, 'whose.json'), JSON.stringify(w, null, 2) + '\n');
    out(`whose preferences (${w.pairs} pairs, ${w.steps} reward-model steps each):\n`);
    for (const g of w.groups) {
      out(`  ${g.name}: ${g.labels} labels; the pooled model orders pairs as theirs ${fmt(g.order_agreement)}, agrees with their answers ${fmt(g.pooled_on_their_labels)} (their own model ${fmt(g.own_on_their_labels)})\n`);
    }
  }
  out(`wrote ${join(target, 'preferences.jsonl')} and agreement.json${models ? ' and whose.json' : ''}\n`);
}
