// rlhf-lab pretrain: trains the text task's base model on the shipped corpus and writes public/text/base.{json,bin}.
// Deterministic: the same seed, steps and backend give the same bytes (the wasm backend runs single-threaded in Node).
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { tf } from '../core/tf';
import { selectBackend, parseBackendName } from '../core/backend';
import { sha256Hex } from '../core/checkpoint/record';
import { parseCorpus } from '../core/tasks/text/corpus';
import { BASE_BIN, BASE_JSON, CORPUS, encodeBaseModel, pretrain } from '../core/tasks/text/base_model';

export const PRETRAIN_DEFAULTS = { seed: 1, steps: 1200, batch: 32, lr: 3e-3 };

export async function pretrainCommand(argv: string[], usage: (message: string) => Error): Promise<void> {
  const opts = { ...PRETRAIN_DEFAULTS, backend: 'wasm', dir: 'public' };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[++i];
    if (value === undefined) throw usage(`${flag} needs a value`);
    const n = Number(value);
    switch (flag) {
      case '--seed':
      case '--steps':
      case '--batch':
        if (!Number.isInteger(n) || n < (flag === '--seed' ? 0 : 1)) throw usage(`${flag} ${value}: expected a whole number`);
        opts[flag.slice(2) as 'seed' | 'steps' | 'batch'] = n;
        break;
      case '--lr':
        if (!(n > 0 && n < 1)) throw usage(`--lr ${value}: expected a number between 0 and 1`);
        opts.lr = n;
        break;
      case '--backend':
        opts.backend = parseBackendName(value);
        break;
      case '--dir':
        opts.dir = value;
        break;
      default:
        throw usage(`unknown option ${flag}`);
    }
  }
  if (opts.backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  const backend = await selectBackend(opts.backend as 'wasm' | 'cpu', true);
  const corpusText = await readFile(join(opts.dir, CORPUS), 'utf8');
  const lines = parseCorpus(corpusText);
  const corpusSha = await sha256Hex(new TextEncoder().encode(corpusText));
  process.stderr.write(`pretraining on ${lines.length} lines with ${backend.name}: ${opts.steps} steps of ${opts.batch}\n`);
  const started = performance.now();
  const model = await pretrain(lines, corpusSha, {
    ...opts,
    onProgress(step, loss) {
      if (step % 50 === 0 || step === opts.steps - 1) {
        const s = (performance.now() - started) / 1000;
        process.stderr.write(`step ${step + 1}/${opts.steps}: loss ${loss.toFixed(3)} (${s.toFixed(0)} s)\n`);
      }
    },
  });
  const { json, bin } = await encodeBaseModel(model);
  await mkdir(join(opts.dir, 'text'), { recursive: true });
  await writeFile(join(opts.dir, BASE_BIN), bin);
  await writeFile(join(opts.dir, BASE_JSON), json + '\n');
  process.stderr.write(
    `wrote ${join(opts.dir, BASE_JSON)} and ${BASE_BIN} (${(bin.length / 1024).toFixed(0)} KB, loss ${model.meta.loss.toFixed(3)}, ` +
      `${((performance.now() - started) / 1000).toFixed(0)} s)\n`,
  );
  tf.disposeVariables();
}
