// ?threads=N in the tab (core/backend_names.ts parseThreadCount): whole numbers 1..64 pass, anything else is an error
// that repeats the value and says what to give.
import { describe, expect, it } from 'vitest';
import { parseThreadCount } from '../../src/core/backend';

describe('parseThreadCount', () => {
  it('takes whole numbers from 1 to 64', () => {
    expect(parseThreadCount('1')).toBe(1);
    expect(parseThreadCount('4')).toBe(4);
    expect(parseThreadCount('64')).toBe(64);
  });

  it('refuses anything else, naming it', () => {
    for (const bad of ['0', '65', '-2', '1.5', 'lots', '', '2x']) {
      expect(() => parseThreadCount(bad), bad).toThrow(`?threads=${bad} is not a thread count: give a whole number from 1 to 64`);
    }
  });
});
