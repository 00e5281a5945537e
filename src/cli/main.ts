// rlhf-lab: the lab's experiments from a terminal, on the same core as the tab.
//   rlhf-lab presets
//   rlhf-lab run <preset | file.json> [--backend cpu|wasm|webgpu] [--seed N] [--set path=value ...] [--out DIR]
//   rlhf-lab sweep <preset | file.json> --grid 'path=[...]' [--seeds 1,2,3] [--jobs N] [--out DIR]
//   rlhf-lab import FILE
//   rlhf-lab attack RUN_DIR|export.zip [--budget N] [--seed S] [--steps N] [--rounds R] [--out DIR]
//   rlhf-lab challenge make RUN|export.zip --out FILE | challenge score FILE --model RUN ATTACK_DIR... --out DIR
//   rlhf-lab class merge FILES... --out DIR
//   rlhf-lab monitors RUN_DIR... [--out FILE]
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PRESETS, preset } from '../core/experiment/presets';
import { applyOverrides, ExperimentError, parseExperimentJson, type Experiment } from '../core/experiment/parse';
import { BackendError, parseBackendName, selectBackend, type BackendName } from '../core/backend';
import { DivergenceError, Runner } from '../core/runner';
import { tf } from '../core/tf';
import { taskOf } from '../core/tasks/registry';
import { FsStore, encodeJson, safeName } from './fs_store';
import { publicAssets } from './fs_assets';
import { registerWebgpuBackend } from './webgpu_node';
import { loadCheckpoint } from '../core/checkpoint/record';
import type { MetricRow } from '../core/checkpoint/record';
import { exportBundle } from '../core/checkpoint/export';
import { ImportError } from '../core/checkpoint/import';
import { importCommand } from './import_cmd';
import { HfImportError, importHfGpt2 } from '../core/checkpoint/hf';
import { readSafetensors } from '../core/checkpoint/safetensors';
import { BASE_BIN, BASE_JSON, encodeBaseModel } from '../core/tasks/text/base_model';
import { VOCAB } from '../core/tasks/text/vocab';
import type { Assets } from '../core/tasks/task_lab';
import { pretrainCommand, PRETRAIN_DEFAULTS, PIXEL_PRETRAIN_DEFAULTS } from './pretrain';
import { benchCommand, BENCH_USAGE } from './bench';
import { CorpusError } from '../core/tasks/text/corpus';
import { BaseModelError } from '../core/tasks/text/base_model';
import { overoptSummary } from '../core/analysis/overopt';
import { SweepError } from '../core/analysis/sweep';
import { sweepCommand, SWEEP_USAGE } from './sweep';
import { classCommand, CLASS_USAGE } from './class_cmd';
import { attackCommand, AttackError, ATTACK_USAGE } from './attack_cmd';
import { challengeCommand, CHALLENGE_USAGE } from './challenge_cmd';
import { monitorsCommand, monitorsReport, MonitorsError, MONITORS_USAGE } from './monitors_cmd';

/** Each command's lines of the usage, printed alone by `rlhf-lab COMMAND --help` and together by `rlhf-lab help`. */
const COMMAND_USAGE: Record<string, string> = {
  presets: `  rlhf-lab presets                     list the ready experiments, each with its description`,
  run: `  rlhf-lab run <preset | file.json>    run one to the end
      --backend cpu|wasm|webgpu        compute backend (default cpu; webgpu uses Dawn through the webgpu package)
      --seed N                         override the experiment's seed
      --set path=value                 override any field, e.g. --set optimizer.kl_coef=0.1 (repeatable)
      --out DIR                        where metrics.jsonl, summary.json, monitors.json, checkpoint.json and export.zip go
                                       (default runs/<name as letters and digits>-<hash>-<time>)
      --base DIR                       text tasks: start from a Hugging Face GPT-2 folder (config.json,
                                       model.safetensors, tokenizer.json of the lab's characters) instead of
                                       the shipped base model
      --fused on|off                   the lab's fused kernels on wasm and webgpu (default on; off computes with
                                       tfjs's own ops, as the golden runs do: the same function, other rounding)`,
  sweep: SWEEP_USAGE,
  import: `  rlhf-lab import FILE                 check an export bundle (.zip) or preference file (.jsonl) and say what it holds`,
  attack: ATTACK_USAGE,
  challenge: CHALLENGE_USAGE,
  class: CLASS_USAGE,
  monitors: MONITORS_USAGE,
  pretrain: `  rlhf-lab pretrain                    rebuild the text task's base model (public/text/base.json, base.bin)
      --seed N --steps N --batch N --lr X   (defaults ${JSON.stringify(PRETRAIN_DEFAULTS).replace(/"/g, '')}; backend wasm)
      --task pixels                        the pixels task's instead (public/pixels/base.json, base.bin; defaults
                                           ${JSON.stringify(PIXEL_PRETRAIN_DEFAULTS).replace(/"/g, '')})`,
  bench: BENCH_USAGE,
  help: `  rlhf-lab help [COMMAND]              this text, or one command's (also: rlhf-lab COMMAND --help)`,
};

const USAGE = `rlhf-lab: reinforcement learning from human feedback, small enough to watch

Usage:
${Object.values(COMMAND_USAGE).join('\n')}
`;

/** `rlhf-lab run --help` and the like: that command's usage, on stdout. */
function commandUsage(command: string): string {
  return `Usage:\n${COMMAND_USAGE[command]}\n`;
}

const wantsHelp = (argv: string[]) => argv.some((a) => a === '--help' || a === '-h');

class UsageError extends Error {}

interface RunArgs {
  target: string;
  backend: BackendName;
  seed: number | null;
  sets: string[];
  out: string | null;
  base: string | null;
  fused: boolean;
}

function parseRunArgs(argv: string[]): RunArgs {
  const args: RunArgs = { target: '', backend: 'cpu', seed: null, sets: [], out: null, base: null, fused: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${a} needs a value`);
      return v;
    };
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, null];
    const take = () => inline ?? value();
    switch (flag) {
      case '--backend':
        args.backend = parseBackendName(take());
        if (args.backend === 'webgl') throw new UsageError('--backend webgl: WebGL is for the tab; choose cpu, wasm or webgpu');
        break;
      case '--seed': {
        const s = take();
        if (!/^\d+$/.test(s) || Number(s) > 2 ** 32 - 1) throw new UsageError(`--seed ${s}: expected an integer from 0 to 4294967295`);
        args.seed = Number(s);
        break;
      }
      case '--set':
        args.sets.push(take());
        break;
      case '--out':
        args.out = take();
        break;
      case '--base':
        args.base = take();
        break;
      case '--fused': {
        const v = take();
        if (v !== 'on' && v !== 'off') throw new UsageError(`--fused ${v}: expected on or off`);
        args.fused = v === 'on';
        break;
      }
      default:
        if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
        if (args.target) throw new UsageError(`one experiment at a time (got "${args.target}" and "${a}")`);
        args.target = a;
    }
  }
  if (!args.target) throw new UsageError('run needs a preset name or an experiment file');
  return args;
}

async function loadTarget(target: string): Promise<Experiment> {
  const p = preset(target);
  if (p) return p;
  if (!target.endsWith('.json')) {
    throw new UsageError(`"${target}" is neither a preset (see \`rlhf-lab presets\`) nor a .json experiment file`);
  }
  let text: string;
  try {
    text = await readFile(target, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${target}: ${(e as Error).message}`);
  }
  return parseExperimentJson(text);
}


/** The lab's files with a Hugging Face GPT-2 folder in place of the text task's shipped base model. */
async function baseAssets(dir: string, experiment: Experiment): Promise<Assets> {
  if (experiment.task.kind !== 'text') throw new UsageError(`--base: ${experiment.name} is a ${experiment.task.kind} task; a base GPT is for text tasks`);
  const read = async (file: string) => {
    try {
      return new Uint8Array(await readFile(join(dir, file)));
    } catch (e) {
      throw new HfImportError(`${dir} cannot be the text task's base model: no ${file} (${(e as Error).message})`);
    }
  };
  const [config, safetensors, tokenizer] = await Promise.all([read('config.json'), read('model.safetensors'), read('tokenizer.json')]);
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  const base = importHfGpt2({ config: text(config), safetensors, tokenizer: text(tokenizer) }, (b) => readSafetensors(b).tensors, dir);
  const c = base.config;
  process.stderr.write(`base model: ${dir} (GPT-2, ${c.L} layers, width ${c.d}, ${c.H} heads, ${c.act}, context ${c.T}${base.notes.map((n) => `; ${n}`).join('')})\n`);
  const { json, bin } = await encodeBaseModel({
    config: c,
    weights: base.weights,
    meta: { seed: 0, steps: 0, batch: 0, lr: 0, loss: Number.NaN, corpus_sha256: '', vocab: VOCAB, source: resolve(dir) },
  });
  return async (path: string) => (path === BASE_JSON ? new TextEncoder().encode(json) : path === BASE_BIN ? bin : publicAssets(path));
}

async function run(argv: string[]): Promise<void> {
  const args = parseRunArgs(argv);
  let experiment = await loadTarget(args.target);
  const sets = args.seed === null ? args.sets : [...args.sets, `seed=${args.seed}`];
  if (sets.length) experiment = applyOverrides(experiment, sets);
  if (experiment.labelers.some((l) => l.kind === 'human')) {
    throw new UsageError(
      `${experiment.name} asks a human labeler, and the command line has no one to ask: run it in the tab, ` +
        `or replace the labeler, e.g. --set 'labelers=[{"kind":"simulated","beta":50,"epsilon":0.1,"tie_margin":0,"skip_prob":0}]'`,
    );
  }

  if (args.backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  if (args.backend === 'webgpu') await registerWebgpuBackend();
  const backend = await selectBackend(args.backend, true);
  process.stderr.write(`backend: ${backend.name}${backend.adapter ? ` (${backend.adapter})` : ''}\n`);

  // The name is never a path: the default folder and the run's store keys take its safe form.
  const runId = safeName(experiment.name);
  const out = resolve(args.out ?? join('runs', `${runId}-${new Date().toISOString().replace(/[:.]/g, '-')}`));
  await mkdir(out, { recursive: true });
  const store = new FsStore(join(out, 'store'));
  const metricsLines: string[] = [];
  let lastPrint = 0;
  const started = performance.now();
  const runner = await Runner.create(experiment, {
    store,
    runId,
    backend: backend.name,
    fused: args.fused,
    assets: args.base ? await baseAssets(args.base, experiment) : publicAssets,
    hooks: {
      onMetrics(row) {
        metricsLines.push(JSON.stringify(row));
        const t = performance.now();
        if (t - lastPrint > 1000 || row.step === 0) {
          lastPrint = t;
          process.stderr.write(
            `step ${row.step} round ${row.round + 1}: gold ${fmt(row['gold/mean'])} proxy ${fmt(row['proxy/mean'])} ` +
              `kl ${fmt(row['objective/kl'])} rm acc ${fmt(row['rm/accuracy'])} labels ${row['labels/count']}\n`,
          );
        }
      },
      onLog: (line) => process.stderr.write(`${line}\n`),
      // A checkpoint not saved (a full disk), and the like: the user must see it.
      onNotice: (message) => process.stderr.write(`notice: ${message}\n`),
    },
  });
  // Ctrl-C: stop after the current step, keep the checkpoint and what was measured.
  const onSigint = () => {
    process.stderr.write('\nstopping after this step (Ctrl-C again to quit at once)\n');
    process.off('SIGINT', onSigint);
    runner.stop();
  };
  process.on('SIGINT', onSigint);
  // A diverged run still writes what it measured and its last finite checkpoint (and the export of it), then fails.
  const tensorsBefore = tf.memory().numTensors;
  const diverged = await runner.run().then(
    () => null,
    (e: unknown) => {
      if (!(e instanceof DivergenceError)) throw e;
      return e;
    },
  );
  process.off('SIGINT', onSigint);
  // The same models are alive before and after a run: any difference is a leak.
  const tensors = { before: tensorsBefore, after: tf.memory().numTensors };
  const wallSeconds = (performance.now() - started) / 1000;

  await writeFile(join(out, 'metrics.jsonl'), metricsLines.join('\n') + '\n');
  const loaded = await loadCheckpoint(store, runId);
  if (loaded) await writeFile(join(out, 'checkpoint.json'), encodeJson(loaded.record));
  // The same bundle the tab exports: weights (tfjs + safetensors), preferences, Reward Report, Python scripts.
  if (loaded) await writeFile(join(out, 'export.zip'), await exportBundle(loaded.record));
  const first = runner.metrics[0];
  // The over-optimization lab's best-of-n rows come after training: "end" and "final" are the policy's last row.
  const trained = runner.metrics.filter((r) => r['overopt/bon'] !== 1);
  const last = trained[trained.length - 1];
  const optimum = taskOf(experiment.task).report.optimum?.(experiment) ?? null;
  const policyRows = trained.filter((r) => r.step > 0);
  const overopt = overoptSummary(runner.metrics);
  const summary = {
    experiment,
    backend: backend.name,
    adapter: backend.adapter,
    status: runner.status,
    wall_seconds: Number(wallSeconds.toFixed(3)),
    iterations: runner.position.iteration,
    labels: runner.labels.length,
    tensors,
    seconds_per_iteration: policyRows.length ? mean(policyRows.map((r) => r['time/iteration_ms'] / 1000)) : null,
    gold: {
      start: first['gold/mean'],
      end: last['gold/mean'],
      ...(optimum === null
        ? {}
        : { optimum, gap_closed: (last['gold/mean'] - first['gold/mean']) / (optimum - first['gold/mean']) }),
    },
    proxy: { start: first['proxy/mean'], end: last['proxy/mean'] },
    rounds: roundSummaries(runner.metrics),
    final: last,
    // Gao et al.'s fits of gold against √KL, RL and best-of-n, when the run has those rows (analysis/overopt.ts).
    ...(overopt.rl || overopt.bon ? { overoptimization: overopt } : {}),
  };
  await writeFile(join(out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  // The hacking-onset monitors replayed over the run's rows, each alarm scored against gold's peak (analysis/monitors.ts).
  await writeFile(join(out, 'monitors.json'), JSON.stringify(monitorsReport(runner.metrics), null, 2) + '\n');
  const gap = optimum === null ? '' : ` (optimum ${fmt(optimum)}, ${(100 * summary.gold.gap_closed!).toFixed(0)}% of the gap closed)`;
  process.stderr.write(
    `${diverged ? 'stopped' : 'done'} in ${wallSeconds.toFixed(1)} s: gold ${fmt(summary.gold.start)} → ${fmt(summary.gold.end)}${gap}, ` +
      `proxy ${fmt(summary.proxy.start)} → ${fmt(summary.proxy.end)}, ` +
      `rm accuracy ${fmt(last['rm/accuracy'])}, kl ${fmt(last['objective/kl'])}\nwrote ${out}\n`,
  );
  runner.dispose();
  if (diverged) throw diverged;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const fmt = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(3));

/** One line per preset: its name and its whole description (a first-sentence cut took "Christiano et al." for an end). */
function printPresets(): void {
  const width = Math.max(...PRESETS.map((p) => p.name.length));
  for (const p of PRESETS) process.stdout.write(`${p.name.padEnd(width)}  ${p.description.replace(/\s+/g, ' ').trim()}\n`);
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== undefined && Object.hasOwn(COMMAND_USAGE, command) && command !== 'help' && wantsHelp(rest)) {
    process.stdout.write(commandUsage(command));
    return 0;
  }
  try {
    switch (command) {
      case 'presets':
        printPresets();
        return 0;
      case 'run':
        await run(rest);
        return 0;
      case 'sweep':
        return await sweepCommand(rest, (m) => new UsageError(m), loadTarget);
      case 'class':
        await classCommand(rest, (m) => new UsageError(m), (t) => process.stdout.write(t));
        return 0;
      case 'import':
        await importCommand(rest, (t) => process.stdout.write(t));
        return 0;
      case 'monitors':
        await monitorsCommand(rest, (m) => new UsageError(m), (t) => process.stdout.write(t));
        return 0;
      case 'attack':
        await attackCommand(rest, (m) => new UsageError(m), (t) => process.stderr.write(t));
        return 0;
      case 'challenge':
        await challengeCommand(rest, (m) => new UsageError(m), (t) => process.stdout.write(t));
        return 0;
      case 'pretrain':
        await pretrainCommand(rest, (m) => new UsageError(m));
        return 0;
      case 'bench':
        await benchCommand(rest, (m) => new UsageError(m));
        return 0;
      case 'help':
        if (rest[0] !== undefined && Object.hasOwn(COMMAND_USAGE, rest[0])) {
          process.stdout.write(commandUsage(rest[0]));
          return 0;
        }
        if (rest[0] !== undefined) throw new UsageError(`help: unknown command "${rest[0]}"`);
        process.stdout.write(USAGE);
        return 0;
      case undefined:
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`rlhf-lab: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    if (e instanceof DivergenceError) {
      process.stderr.write(`rlhf-lab: ${e.message}\n`);
      return 3;
    }
    if (e instanceof ExperimentError || e instanceof BackendError || e instanceof CorpusError || e instanceof BaseModelError || e instanceof ImportError || e instanceof HfImportError || e instanceof SweepError || e instanceof AttackError || e instanceof MonitorsError) {
      process.stderr.write(`rlhf-lab: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`rlhf-lab: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
// tfjs backends (Dawn, wasm) can keep handles open; the work is done and written.
setTimeout(() => process.exit(process.exitCode), 50).unref();

/** Per round, where its policy stage ended: labels used so far, gold and proxy, KL, the reward model's accuracy. */
function roundSummaries(rows: MetricRow[]) {
  const ends = new Map<number, MetricRow>();
  for (const r of rows) if (r.step > 0) ends.set(r.round, r);
  return [...ends.values()].map((r) => ({
    round: r.round + 1,
    labels: r['labels/count'],
    gold: r['gold/mean'],
    proxy: r['proxy/mean'] ?? null,
    kl: r['objective/kl'],
    rm_accuracy: Number.isFinite(r['rm/accuracy']) ? r['rm/accuracy'] : null,
    rm_policy_agreement: r['rm/policy_agreement'] ?? null,
  }));
}
