// The commands' one reading of their arguments: `--flag value` or `--flag=value`, a value never taken from the next
// flag. Each command says what a flag means; this walks argv and hands each argument over with a way to take its value.

/**
 * Calls `onArg` for each argument in turn with its flag (the part before `=` of `--flag=value`, else the whole
 * argument), `take` (its value: the inline one, else the next argument, which is then consumed) and the argument itself.
 */
export function readArgs(argv: readonly string[], usage: (m: string) => Error, onArg: (flag: string, take: () => string, arg: string) => void): void {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const [flag, inline] = eq >= 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, null];
    onArg(
      flag,
      () => {
        if (inline !== null) return inline;
        const v = argv[++i];
        if (v === undefined || v.startsWith('--')) throw usage(`${flag} needs a value`);
        return v;
      },
      a,
    );
  }
}
