// The Experiment spec: presets validate; bad input is refused with a message that names the field and what was
// expected; --set overrides reach nested fields and are validated as a whole.
import type { OptimizerOf } from '../../src/core/experiment/parse';
import { describe, expect, it } from 'vitest';
import {
  applyOverrides,
  ExperimentError,
  parseExperiment,
  parseExperimentJson,
  type Experiment,
} from '../../src/core/experiment/parse';
import { DEFAULT_PRESET, PRESETS, preset } from '../../src/core/experiment/presets';
import type { LandscapeExperiment } from '../../src/core/tasks/landscape2d/spec';

const base = () => preset('landscape-hello')! as LandscapeExperiment;

/** The problems an ExperimentError lists (fails the test if something else, or nothing, is thrown). */
function problemsOf(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ExperimentError);
    return (e as ExperimentError).problems;
  }
  throw new Error('expected an ExperimentError, but the input was accepted');
}

describe('presets', () => {
  it('every preset validates and survives a JSON round trip unchanged', () => {
    expect(PRESETS.length).toBeGreaterThanOrEqual(5);
    for (const p of PRESETS) {
      expect(parseExperiment(p)).toEqual(p);
      expect(parseExperimentJson(JSON.stringify(p))).toEqual(p);
    }
  });

  it('names are unique and the default exists', () => {
    const names = PRESETS.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain(DEFAULT_PRESET);
    expect(names).toContain('landscape-hello');
    expect(preset('no-such-preset')).toBeUndefined();
  });

  it('preset() hands out a copy', () => {
    const p = base();
    (p.optimizer as OptimizerOf<'reinforce'>).lr = 0.5;
    p.labelers.push({ kind: 'human', weight: 1 });
    expect((base().optimizer as OptimizerOf<'reinforce'>).lr).toBe(0.04);
    expect(base().labelers).toHaveLength(1);
  });

  it('fills defaults: description "" and labeler weight 1', () => {
    const { description: _d, ...rest } = base();
    const input = { ...rest, labelers: [{ kind: 'simulated', beta: 5, epsilon: 0, tie_margin: 0, skip_prob: 0 }] };
    const e = parseExperiment(input);
    expect(e.description).toBe('');
    expect(e.labelers[0].weight).toBe(1);
  });
});

describe('parseExperiment refuses bad input', () => {
  it('names an unknown key with its path', () => {
    const e = base() as unknown as { reward_model: Record<string, unknown> };
    e.reward_model.lrr = 0.1;
    const problems = problemsOf(() => parseExperiment(e));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^reward_model\.lrr: unknown key/);
  });

  it('names an unknown top-level key and an unknown key inside a labeler', () => {
    expect(problemsOf(() => parseExperiment({ ...base(), colour: 'red' }))[0]).toMatch(/^colour: unknown key/);
    const e = base() as unknown as { labelers: Record<string, unknown>[] };
    e.labelers[0].betta = 2;
    expect(problemsOf(() => parseExperiment(e))[0]).toMatch(/^labelers\[0\]\.betta: unknown key/);
  });

  it('names the field, the expected type and what it got for a wrong type', () => {
    const e = base() as unknown as { reward_model: Record<string, unknown> };
    e.reward_model.lr = 'fast';
    const [p] = problemsOf(() => parseExperiment(e));
    expect(p).toMatch(/^reward_model\.lr: /);
    expect(p).toContain('number');
    expect(p).toContain('"fast"');
    const h = base() as unknown as { reward_model: Record<string, unknown> };
    h.reward_model.hidden = 64;
    const [q] = problemsOf(() => parseExperiment(h));
    expect(q).toMatch(/^reward_model\.hidden: /);
    expect(q).toMatch(/Array/i);
  });

  it('names the field and the bound for out-of-range values', () => {
    const neg = base();
    (neg.optimizer as OptimizerOf<'reinforce'>).lr = -1;
    const [p] = problemsOf(() => parseExperiment(neg));
    expect(p).toMatch(/^optimizer\.lr: /);
    expect(p).toContain('1e-7');
    expect(p).toContain('-1');

    const big = base();
    big.labelers[0] = { ...big.labelers[0], kind: 'simulated', epsilon: 1.5 } as Experiment['labelers'][0];
    const [q] = problemsOf(() => parseExperiment(big));
    expect(q).toMatch(/^labelers\[0\]\.epsilon: /);
    expect(q).toContain('1.5');

    const frac = base();
    (frac.optimizer as OptimizerOf<'reinforce'>).iterations = 2.5;
    expect(problemsOf(() => parseExperiment(frac))[0]).toMatch(/^optimizer\.iterations: .*integer/);

    const far = base();
    far.policy.init_mean = [0, 5];
    expect(problemsOf(() => parseExperiment(far))[0]).toMatch(/^policy\.init_mean\[1\]: .*3/);

    const nan = base();
    (nan.optimizer as OptimizerOf<'reinforce'>).kl_coef = Number.NaN;
    expect(problemsOf(() => parseExperiment(nan))[0]).toMatch(/^optimizer\.kl_coef: /);
  });

  it('names unknown choices: labeler kind, landscape, version', () => {
    const k = problemsOf(() => parseExperiment({ ...base(), labelers: [{ kind: 'robot' }] }));
    expect(k[0]).toMatch(/^labelers\[0\]\.kind: /);
    expect(k[0]).toContain('"simulated"');
    expect(k[0]).toContain('"human"');
    expect(k[0]).toContain('"robot"');
    const l = problemsOf(() => parseExperiment({ ...base(), task: { kind: 'landscape2d', landscape: 'three-hills' } }));
    expect(l[0]).toMatch(/^task\.landscape: /);
    expect(l[0]).toContain('"one-hill"');
    expect(problemsOf(() => parseExperiment({ ...base(), version: 2 }))[0]).toMatch(/^version: expected 1/);
  });

  it('lists every problem at once', () => {
    const e = base() as unknown as Record<string, Record<string, unknown>>;
    (e.optimizer as OptimizerOf<'reinforce'>).lr = -1;
    e.schedule.rounds = 0;
    e.reward_model.lrr = 1;
    const problems = problemsOf(() => parseExperiment(e));
    expect(problems).toHaveLength(3);
    const err = (() => {
      try {
        parseExperiment(e);
      } catch (x) {
        return x as Error;
      }
    })()!;
    for (const field of ['optimizer.lr', 'schedule.rounds', 'reward_model.lrr']) expect(err.message).toContain(field);
  });

  it('refuses a labeler with no members, null and a non-object', () => {
    expect(problemsOf(() => parseExperiment({ ...base(), labelers: [] }))[0]).toMatch(/^labelers: /);
    expect(problemsOf(() => parseExperiment(null))).toHaveLength(1);
    expect(problemsOf(() => parseExperiment(42))).toHaveLength(1);
  });

  // The spec promises a message that "names the field and what was expected": for a missing field that is its
  // type (a number), or at least the word "missing"; `expected "epsilon"` repeats the key's own name instead.
  it('says a missing field is missing, or which type it needs', () => {
    const problems = problemsOf(() => parseExperiment({ ...base(), labelers: [{ kind: 'simulated', beta: 1, tie_margin: 0, skip_prob: 0 }] }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^labelers\[0\]\.epsilon: /);
    expect(problems[0]).toMatch(/missing|number/);
  });
});

describe('parseExperimentJson', () => {
  it('reports invalid JSON as such', () => {
    const problems = problemsOf(() => parseExperimentJson('{ "version": 1,'));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^not valid JSON/);
    expect(problemsOf(() => parseExperimentJson(''))[0]).toMatch(/^not valid JSON/);
  });

  it('validates what parses', () => {
    const e = JSON.parse(JSON.stringify(base()));
    e.reward_model.lrr = 1;
    expect(problemsOf(() => parseExperimentJson(JSON.stringify(e)))[0]).toMatch(/^reward_model\.lrr: unknown key/);
  });
});

describe('applyOverrides', () => {
  it('sets numbers, strings, arrays and indexed fields, and leaves the base untouched', () => {
    const b = base();
    const e = applyOverrides(b, [
      'optimizer.kl_coef=0.5',
      'labelers[0].beta=3',
      'task.landscape=ridge', // not JSON: taken as a string
      'reward_model.hidden=[8,4]',
      'policy.init_mean[1]=-0.25',
      'seed=77',
    ]) as LandscapeExperiment;
    expect((e.optimizer as OptimizerOf<'reinforce'>).kl_coef).toBe(0.5);
    expect(e.labelers[0]).toMatchObject({ kind: 'simulated', beta: 3 });
    expect(e.task.landscape).toBe('ridge');
    expect(e.reward_model.hidden).toEqual([8, 4]);
    expect(e.policy.init_mean).toEqual([-1.8, -0.25]);
    expect(e.seed).toBe(77);
    // everything else as in the preset
    expect({ ...e, optimizer: b.optimizer, labelers: b.labelers, task: b.task, reward_model: b.reward_model, policy: b.policy, seed: b.seed }).toEqual(b);
    expect(b).toEqual(base());
  });

  it('replaces a whole labeler panel from JSON', () => {
    const e = applyOverrides(base(), ['labelers=[{"kind":"human"}]']);
    expect(e.labelers).toEqual([{ kind: 'human', weight: 1 }]);
  });

  it('later overrides win', () => {
    expect(applyOverrides(base(), ['seed=1', 'seed=2']).seed).toBe(2);
  });

  it('validates the result: a bad value names the field', () => {
    expect(problemsOf(() => applyOverrides(base(), ['optimizer.lr=-1']))[0]).toMatch(/^optimizer\.lr: .*1e-7.*-1/);
    expect(problemsOf(() => applyOverrides(base(), ['optimizer.lr=abc']))[0]).toMatch(/^optimizer\.lr: expected number, got "abc"/);
    expect(problemsOf(() => applyOverrides(base(), ['optimizer.lrr=1']))[0]).toMatch(/^optimizer\.lrr: unknown key/);
  });

  it('refuses a path through something that is not an object, and a malformed override', () => {
    const [p] = problemsOf(() => applyOverrides(base(), ['foo.bar=1']));
    expect(p).toContain('--set foo.bar=1');
    expect(p).toContain('foo is not an object or array');
    expect(problemsOf(() => applyOverrides(base(), ['optimizer.lr.x=1']))[0]).toContain('optimizer.lr is not an object');
    expect(problemsOf(() => applyOverrides(base(), ['labelers[3].beta=1']))[0]).toContain('not an object or array');
    expect(problemsOf(() => applyOverrides(base(), ['optimizer.lr']))[0]).toContain('expected path=value');
    expect(problemsOf(() => applyOverrides(base(), ['=1']))[0]).toContain('expected path=value');
  });

  // A path is user input (the CLI's --set, and anything else that forwards overrides). Walking it must not
  // reach Object.prototype: `__proto__.x=1` would otherwise set x on every object in the process.
  it('refuses __proto__ in a path without touching Object.prototype', () => {
    const proto = Object.prototype as unknown as Record<string, unknown>;
    try {
      let thrown: unknown = null;
      try {
        applyOverrides(base(), ['__proto__.polluted=1']);
      } catch (e) {
        thrown = e;
      }
      const polluted = proto.polluted;
      delete proto.polluted;
      expect(polluted).toBeUndefined();
      expect(thrown).toBeInstanceOf(ExperimentError);
    } finally {
      delete proto.polluted;
    }
  });
});

describe('preset descriptions', () => {
  it('point students to the Parameters panel, not to CLI flags, and name its knobs as the panel labels them', async () => {
    const { LOCKABLE } = await import('../../src/core/share/params');
    for (const p of PRESETS) expect(p.description, p.name).not.toMatch(/--set|rlhf-lab /);
    const labels = new Set(LOCKABLE.map((k) => k.label));
    for (const p of PRESETS.filter((x) => x.description.includes('Parameters panel'))) {
      const named = [...p.description.matchAll(/set ([A-Z][a-z ]+?) to \d/g)].map((m) => m[1]);
      for (const n of named) expect(labels.has(n), `${p.name}: "${n}" is not a knob of the Parameters panel`).toBe(true);
    }
    expect(PRESETS.find((p) => p.name === 'iterated-rollback')!.description).toContain('set Rounds to 1 and Labels per round to 400');
  });
});
