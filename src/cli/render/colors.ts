const CODES = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90 } as const;
export type Color = keyof typeof CODES;

/** Colours only for terminals, and never when NO_COLOR is set. */
export function painter(enabled: boolean): (color: Color, text: string) => string {
  return enabled ? (color, text) => `\u001b[${CODES[color]}m${text}\u001b[39m` : (_c, text) => text;
}
