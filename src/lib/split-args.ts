/** Splits a string into arguments the way a POSIX shell would for quotes and backslashes (no expansion). */
export function splitArgs(input: string): string[] {
  const out: string[] = [];
  let current = '';
  let hasToken = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < input.length; i++) {
    const ch = input[i] as string;
    if (quote !== null) {
      if (ch === quote) quote = null;
      else if (ch === '\\' && quote === '"' && i + 1 < input.length) current += input[++i];
      else current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      hasToken = true;
    } else if (ch === '\\' && i + 1 < input.length) {
      current += input[++i];
      hasToken = true;
    } else if (/\s/.test(ch)) {
      if (hasToken) out.push(current);
      current = '';
      hasToken = false;
    } else {
      current += ch;
      hasToken = true;
    }
  }
  if (hasToken) out.push(current);
  return out;
}

/** Quotes one argument for /bin/sh (the inverse of `splitArgs` for one word). */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** A `shell: true` app's command line for `/bin/sh -c`: its script as written, then its arguments quoted. */
export function shellLine(script: string, args: readonly string[]): string {
  return [script, ...args.map(shellQuote)].join(' ');
}
