// `--help` on every command and the whole preset descriptions (issue 15): a student reads these before anything runs.
import { describe, expect, it } from 'vitest';
import { cli } from './cli_run';
import { PRESETS } from '../../src/core/experiment/presets';

describe('rlhf-lab COMMAND --help', () => {
  const first: Record<string, string> = {
    run: 'rlhf-lab run <preset | file.json>',
    sweep: 'rlhf-lab sweep <preset | file.json>',
    import: 'rlhf-lab import FILE',
    bench: 'rlhf-lab bench',
    pretrain: 'rlhf-lab pretrain',
    presets: 'rlhf-lab presets',
  };

  it.each(Object.keys(first))('%s --help and -h print that command\'s usage and exit 0, running nothing', async (command) => {
    for (const flag of ['--help', '-h']) {
      const r = await cli([command, flag]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      const lines = r.stdout.trimEnd().split('\n');
      expect(lines[0]).toBe('Usage:');
      expect(lines[1].trim().startsWith(first[command])).toBe(true);
      // Only this command: no other command's line.
      for (const [other, head] of Object.entries(first)) {
        if (other !== command) expect(r.stdout).not.toContain(head + ' ');
      }
    }
  });

  it('takes --help among other arguments, and `help COMMAND` says the same', async () => {
    const a = await cli(['run', 'landscape-hello', '--backend', 'cpu', '--help']);
    expect(a.code).toBe(0);
    expect(a.stdout).toContain('--set path=value');
    expect(a.stderr).toBe(''); // nothing ran: a run writes "backend: cpu" to stderr
    const b = await cli(['help', 'run']);
    expect(b).toEqual({ ...a, stdout: a.stdout });
    const all = await cli(['help']);
    expect(all.code).toBe(0);
    for (const head of Object.values(first)) expect(all.stdout).toContain(head);
    const bad = await cli(['help', 'fly']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('help: unknown command "fly"');
  });
});

describe('rlhf-lab presets', () => {
  it('prints each description whole, on its preset\'s line ("Christiano et al. 2017" is not cut at "al.")', async () => {
    const { code, stdout } = await cli(['presets']);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(PRESETS.length);
    PRESETS.forEach((p, i) => {
      expect(lines[i]).toMatch(new RegExp(`^${p.name}\\s+`));
      expect(lines[i].replace(/^\S+\s+/, '')).toBe(p.description.replace(/\s+/g, ' ').trim());
    });
    const cartpole = lines.find((l) => l.startsWith('control-cartpole '))!;
    expect(cartpole).toMatch(/al\. \S/);
  });
});
