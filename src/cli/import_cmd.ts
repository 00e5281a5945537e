// rlhf-lab import FILE: validates an export bundle (.zip) or a preference file (.jsonl, TRL or Anthropic HH layout)
// with the same core the tab uses, and prints what it holds. Exit 0 when valid, 2 with the reason when not.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { ImportError, readImport } from '../core/checkpoint/import';

export async function importCommand(argv: string[], out: (s: string) => void): Promise<void> {
  if (argv.length !== 1 || argv[0].startsWith('-')) throw new ImportError('import needs exactly one file: rlhf-lab import FILE (.zip bundle or .jsonl preferences)');
  const path = argv[0];
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (e) {
    throw new ImportError(`cannot read ${path}: ${(e as Error).message}`);
  }
  const read = await readImport(bytes, basename(path));
  const s = read.summary;
  if (s.kind === 'bundle') {
    out(`${path}: an RLHF Lab export bundle, valid (checkpoint SHA-256 verified, safetensors match it)\n`);
    out(`  run         ${s.name}\n  experiment  ${s.experiment} (task ${s.task}), written by RLHF Lab ${s.lab}\n`);
    const where = s.position.stage === 'done' ? 'finished' : `round ${s.position.round + 1}, stage ${s.position.stage}`;
    out(`  position    ${where}, ${s.position.iteration} policy iterations\n`);
    out(`  labels      ${s.labels}\n  metrics     ${s.metrics} rows\n`);
    for (const m of s.models) out(`  model       ${m.name}: ${m.parameters} parameters\n`);
  } else if (s.layout === 'unpaired') {
    const up = s.thumbPreview.length;
    out(`${path}: a preference file, valid: ${s.thumbs} thumbs (TRL's unpaired layout: prompt, completion, label)\n`);
    if (s.landscapeLabels !== null) out(`  every completion is a landscape point: usable as ${s.landscapeLabels} landscape thumbs\n`);
    if (s.ignoredColumns.length) out(`  ignored columns: ${s.ignoredColumns.join(', ')}\n`);
    const t = s.thumbPreview[0];
    if (up) out(`  first thumb ${t.label ? 'up' : 'down'}: prompt ${JSON.stringify(t.prompt.slice(0, 60))}\n              completion ${JSON.stringify(t.completion.slice(0, 60))}\n`);
  } else {
    out(`${path}: a preference file, valid: ${s.pairs} pairs (${s.layout === 'hh' ? 'Anthropic HH layout, prompts split out' : s.layout === 'trl' ? 'TRL layout' : 'TRL and HH lines'})\n`);
    if (s.landscapeLabels !== null) out(`  every pair is a landscape point pair: usable as ${s.landscapeLabels} landscape labels\n`);
    if (s.ignoredColumns.length) out(`  ignored columns: ${s.ignoredColumns.join(', ')}\n`);
    const p = s.preview[0];
    out(`  first pair  prompt ${JSON.stringify(p.prompt.slice(0, 60))}\n              chosen ${JSON.stringify(p.chosen.slice(0, 60))}\n              rejected ${JSON.stringify(p.rejected.slice(0, 60))}\n`);
  }
}
