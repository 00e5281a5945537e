// `rlhf-lab bench --vs-torch`: the PyTorch reference (../shared/bench/torch_reference.py) timed on the same workload
// in alternating pairs with the lab's step (core/bench/pairs.ts), in a Python that has torch: $RLHF_LAB_PYTHON, or
// the project's .venv-py (.ci/run makes it from tests/python/requirements.txt).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';
import { BENCH_MODELS, parseWorkload } from '../core/bench/workloads';
import { benchPaired, type BenchOptions, type BenchResult } from '../core/bench/measure';
import type { PairSummary } from '../core/bench/pairs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The pip command .ci/run uses to make .venv-py (the machine's package index when it has one). */
export const MAKE_VENV =
  'python3 -m venv .venv-py && .venv-py/bin/pip install -r tests/python/requirements.txt' +
  ' (on a machine with a local index, add --index-url file:///opt/pypi/simple' +
  ' --extra-index-url file:///opt/pypi-more/simple --find-links /opt/wheels, as .ci/run does)';

/** The reference's kinds (the PPO iteration is the lab's own, with no PyTorch twin). */
export const TORCH_KINDS = ['lm', 'rm', 'dpo'];

export class VsTorchError extends Error {
  override name = 'VsTorchError';
}

/** The Python to run the reference with: $RLHF_LAB_PYTHON, else ROOT/.venv-py/bin/python; an error says how to get one. */
export function torchPython(env: NodeJS.ProcessEnv = process.env, root = ROOT): string {
  const fromEnv = env.RLHF_LAB_PYTHON;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new VsTorchError(`RLHF_LAB_PYTHON=${fromEnv}: no such file; point it at a python that has torch, or unset it to use .venv-py`);
    return fromEnv;
  }
  const venv = join(root, '.venv-py', 'bin', 'python');
  if (!existsSync(venv)) {
    throw new VsTorchError(`--vs-torch needs a Python with torch: none at ${venv} and RLHF_LAB_PYTHON is not set. Make one in the repository root with: ${MAKE_VENV}`);
  }
  return venv;
}

/** torch_reference.py: $RLHF_LAB_TORCH_REFERENCE, else ../shared/bench/ beside the repository. */
export function torchReferenceScript(env: NodeJS.ProcessEnv = process.env, root = ROOT): string {
  const path = env.RLHF_LAB_TORCH_REFERENCE ?? resolve(root, '../shared/bench/torch_reference.py');
  if (!existsSync(path)) {
    throw new VsTorchError(`--vs-torch: the PyTorch reference ${path} is missing; set RLHF_LAB_TORCH_REFERENCE to torch_reference.py's path`);
  }
  return path;
}

function runPython(python: string, args: string[]): Promise<string> {
  return new Promise((res, rej) => {
    const child = spawn(python, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (e) => rej(new VsTorchError(`${python} did not start: ${e.message}`)));
    child.on('close', (code) => {
      if (code === 0) res(stdout);
      else rej(new VsTorchError(`${python} ${args.slice(0, 2).join(' ')} … exited ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
    });
  });
}

/** torch's version, threads and CUDA, which also checks that the Python imports torch. */
export async function torchInfo(python: string): Promise<{ torch: string; threads: number; cuda: boolean }> {
  const probe = 'import json, torch; print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "cuda": torch.cuda.is_available()}))';
  try {
    return JSON.parse((await runPython(python, ['-c', probe])).trim());
  } catch (e) {
    throw new VsTorchError(`--vs-torch: ${python} cannot import torch (${e instanceof Error ? e.message : e}). Make .venv-py with: ${MAKE_VENV}`);
  }
}

/** One torch_reference.py line (its JSON; ms_per_step is the median of its timed steps). */
export interface TorchLine {
  impl: string;
  ms_per_step: number;
  tokens_per_s: number;
  params: number;
  loss: number;
}

export function parseTorchLine(stdout: string): TorchLine {
  const last = stdout.trim().split('\n').pop() ?? '';
  let line: TorchLine;
  try {
    line = JSON.parse(last);
  } catch {
    throw new VsTorchError(`torch_reference.py printed no JSON line (got: ${last.slice(0, 200) || 'nothing'})`);
  }
  if (!(typeof line.ms_per_step === 'number' && line.ms_per_step > 0)) throw new VsTorchError(`torch_reference.py's line has no ms_per_step: ${last.slice(0, 200)}`);
  return line;
}

export interface VsTorchLine extends PairSummary {
  workload: string;
  backend: string;
  /** torch_reference.py's impl ("torch-eager-cpu"), version and threads. */
  torch: { impl: string; version: string; threads: number; params: number; loss: number };
  steps_per_side: number;
  /** The lab's last pair as `rlhf-lab bench` prints it. */
  lab: BenchResult;
}

/** Times `workload` on the current backend against torch_reference.py in `pairs` alternating pairs. */
export async function benchVsTorch(
  workload: string,
  opts: BenchOptions & { pairs: number },
  adapter: string | null,
  log: (line: string) => void,
): Promise<VsTorchLine> {
  const { model, kind } = parseWorkload(workload);
  if (!TORCH_KINDS.includes(kind)) throw new VsTorchError(`--vs-torch: ${workload} has no PyTorch reference; choose a kind of ${TORCH_KINDS.join(', ')}`);
  const python = torchPython();
  const script = torchReferenceScript();
  const info = await torchInfo(python);
  let torch: TorchLine | null = null;
  const reference = async () => {
    torch = parseTorchLine(await runPython(python, [script, kind, JSON.stringify(BENCH_MODELS[model]), '--steps', String(opts.steps)]));
    return torch.ms_per_step;
  };
  const { lab, summary } = await benchPaired(workload, opts, reference, adapter, (i, p) =>
    log(`pair ${i + 1}/${opts.pairs} (${p.first} first): lab ${p.lab_ms.toFixed(1)} ms, torch ${p.torch_ms.toFixed(1)} ms per step`),
  );
  const t = torch as TorchLine | null;
  return {
    workload,
    backend: lab.backend,
    ...summary,
    torch: { impl: t?.impl ?? '', version: info.torch, threads: info.threads, params: t?.params ?? 0, loss: t?.loss ?? Number.NaN },
    steps_per_side: opts.steps,
    lab,
  };
}
