// rlhf-lab: the lab's experiments from a terminal, on the same core as the tab.
//   rlhf-lab presets
//   rlhf-lab run <preset | file.json> [--backend cpu|wasm|webgpu] [--seed N] [--set path=value ...] [--out DIR]
//   rlhf-lab sweep <preset | file.json> --grid 'path=[...]' [--seeds 1,2,3] [--jobs N] [--out DIR]
//   rlhf-lab import FILE
//   rlhf-lab attack RUN_DIR|export.zip [--budget N] [--seed S] [--rounds R] [--out DIR]
//   rlhf-lab class merge FILES... --out DIR
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
import { buildBundle } from '../core/checkpoint/export';
import { ImportError } from '../core/checkpoint/import';
import { importCommand } from './import_cmd';
import { pretrainCommand, PRETRAIN_DEFAULTS } from './pretrain';
import { benchCommand, BENCH_USAGE } from './bench';
import { CorpusError } from '../core/tasks/text/corpus';
import { BaseModelError } from '../core/tasks/text/base_model';
import { overoptSummary } from '../core/analysis/overopt';
import { SweepError } from '../core/analysis/sweep';
import { sweepCommand, SWEEP_USAGE } from './sweep';
import { classCommand, CLASS_USAGE } from './class_cmd';
import { attackCommand, AttackError, ATTACK_USAGE } from './attack_cmd';

const USAGE = `rlhf-lab: reinforcement learning from human feedback, small enough to watch

Usage:
  rlhf-lab presets                     list the ready experiments
  rlhf-lab run <preset | file.json>    run one to the end
      --backend cpu|wasm|webgpu        compute backend (default cpu; webgpu uses Dawn through the webgpu package)
      --seed N                         override the experiment's seed
      --set path=value                 override any field, e.g. --set optimizer.kl_coef=0.1 (repeatable)
      --out DIR                        where metrics.jsonl, summary.json, checkpoint.json and export.zip go
                                       (default runs/<name as letters and digits>-<hash>-<time>)
${SWEEP_USAGE}
  rlhf-lab import FILE                 check an export bundle (.zip) or preference file (.jsonl) and say what it holds
${ATTACK_USAGE}
${CLASS_USAGE}
  rlhf-lab pretrain                    rebuild the text task's base model (public/text/base.json, base.bin)
      --seed N --steps N --batch N --lr X   (defaults ${JSON.stringify(PRETRAIN_DEFAULTS).replace(/"/g, '')}; backend wasm)
${BENCH_USAGE}
  rlhf-lab help                        this text
`;

class UsageError extends Error {}

interface RunArgs {
  target: string;
  backend: BackendName;
  seed: number | null;
  sets: string[];
  out: string | null;
}

function parseRunArgs(argv: string[]): RunArgs {
  const args: RunArgs = { target: '', backend: 'cpu', seed: null, sets: [], out: null };
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
    assets: publicAssets,
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
  if (loaded) await writeFile(join(out, 'export.zip'), buildBundle(loaded.record));
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

function printPresets(): void {
  const width = Math.max(...PRESETS.map((p) => p.name.length));
  for (const p of PRESETS) {
    const line = p.description.split(/(?<=\.)\s/)[0];
    process.stdout.write(`${p.name.padEnd(width)}  ${line}\n`);
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
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
      case 'attack':
        await attackCommand(rest, (m) => new UsageError(m), (t) => process.stderr.write(t));
        return 0;
      case 'pretrain':
        await pretrainCommand(rest, (m) => new UsageError(m));
        return 0;
      case 'bench':
        await benchCommand(rest, (m) => new UsageError(m));
        return 0;
      case undefined:
      case 'help':
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
    if (e instanceof ExperimentError || e instanceof BackendError || e instanceof CorpusError || e instanceof BaseModelError || e instanceof ImportError || e instanceof SweepError || e instanceof AttackError) {
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
