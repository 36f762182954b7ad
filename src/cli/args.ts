/** Parsing of CLI option values with errors that name the option. */

/**
 * Parses an integer option; undefined when the option was not given.
 * @throws Error "--name: expected an integer >= min, got "v"" otherwise.
 */
export function intArg(name: string, v: string | undefined, min = 1): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < min) throw new Error(`--${name}: expected an integer >= ${min}, got "${v}"`);
  return n;
}

/**
 * Parses a WxH size option (pixels), e.g. "252x189".
 * @throws Error naming the option when the value is not two positive integers.
 */
export function sizeArg(name: string, v: string): [number, number] {
  const m = /^(\d+)x(\d+)$/.exec(v);
  if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) throw new Error(`--${name}: expected WxH in pixels (e.g. 252x189), got "${v}"`);
  return [Number(m[1]), Number(m[2])];
}
