// rlhf-lab pretrain: trains a GPT task's base model and writes it to public/: the text task's on the shipped corpus
// (public/text/base.{json,bin}), or with --task pixels the pixels task's on pictures its corpus generator draws from
// the seed (public/pixels/base.{json,bin}). Deterministic: the same seed, steps and backend give the same bytes (the
// wasm backend runs single-threaded in Node).
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { tf } from '../core/tf';
import { selectBackend, parseBackendName } from '../core/backend';
import { sha256Hex } from '../core/checkpoint/record';
import { parseCorpus } from '../core/tasks/text/corpus';
import { BASE_BIN, BASE_JSON, CORPUS, encodeBaseModel, pretrain } from '../core/tasks/text/base_model';
import { PIXEL_BASE_BIN, PIXEL_BASE_JSON, pretrainPixels } from '../core/tasks/pixels/base_model';
import type { BaseModel, PretrainOptions } from '../core/models/gpt_base';

export const PRETRAIN_DEFAULTS = { seed: 1, steps: 1200, batch: 32, lr: 3e-3 };
/** The pixels base model's: its rows are 101 tokens, so fewer steps of fewer rows fit the same minutes. */
export const PIXEL_PRETRAIN_DEFAULTS = { seed: 1, steps: 600, batch: 16, lr: 5e-3 };

const TASKS = {
  text: {
    defaults: PRETRAIN_DEFAULTS,
    files: [BASE_JSON, BASE_BIN] as const,
    async train(dir: string, opts: PretrainOptions): Promise<BaseModel> {
      const corpusText = await readFile(join(dir, CORPUS), 'utf8');
      const lines = parseCorpus(corpusText);
      process.stderr.write(`corpus: ${lines.length} lines\n`);
      return pretrain(lines, await sha256Hex(new TextEncoder().encode(corpusText)), opts);
    },
  },
  pixels: {
    defaults: PIXEL_PRETRAIN_DEFAULTS,
    files: [PIXEL_BASE_JSON, PIXEL_BASE_BIN] as const,
    train: (_dir: string, opts: PretrainOptions) => pretrainPixels(opts),
  },
};

export async function pretrainCommand(argv: string[], usage: (message: string) => Error): Promise<void> {
  const taskAt = argv.indexOf('--task');
  const taskName = taskAt >= 0 ? argv[taskAt + 1] : 'text';
  if (!(taskName in TASKS)) throw usage(`--task ${taskName ?? ''}: expected text or pixels (the tasks with a base model)`);
  const task = TASKS[taskName as keyof typeof TASKS];
  const opts = { ...task.defaults, backend: 'wasm', dir: 'public' };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[++i];
    if (value === undefined) throw usage(`${flag} needs a value`);
    const n = Number(value);
    switch (flag) {
      case '--task':
        break;
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
  process.stderr.write(`pretraining the ${taskName} base model with ${backend.name}: ${opts.steps} steps of ${opts.batch}\n`);
  const started = performance.now();
  const model = await task.train(opts.dir, {
    ...opts,
    onProgress(step, loss) {
      if (step % 50 === 0 || step === opts.steps - 1) {
        const s = (performance.now() - started) / 1000;
        process.stderr.write(`step ${step + 1}/${opts.steps}: loss ${loss.toFixed(3)} (${s.toFixed(0)} s)\n`);
      }
    },
  });
  const { json, bin } = await encodeBaseModel(model);
  const [jsonPath, binPath] = task.files;
  await mkdir(join(opts.dir, dirname(jsonPath)), { recursive: true });
  await writeFile(join(opts.dir, binPath), bin);
  await writeFile(join(opts.dir, jsonPath), json + '\n');
  process.stderr.write(
    `wrote ${join(opts.dir, jsonPath)} and ${binPath} (${(bin.length / 1024).toFixed(0)} KB, loss ${model.meta.loss.toFixed(3)}, ` +
      `${((performance.now() - started) / 1000).toFixed(0)} s)\n`,
  );
  tf.disposeVariables();
}
