/** Parsing of CLI option values with errors that name the option. */
import { ADAPTER_ENV, AdapterChoiceError, parseAdapterRequest } from '../gpu/adapterChoice';

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

/** The `--adapter` option for node:util parseArgs; pass its value to applyAdapterArg(). */
export const ADAPTER_OPTION = { adapter: { type: 'string' } } as const;

/** Usage line of `--adapter`, shared by the CLIs' help texts. */
export const ADAPTER_USAGE = '  --adapter NAME    WebGPU driver without a GPU: lavapipe | swiftshader | auto (default; also SPARSESPLAT_ADAPTER)';

/**
 * Applies `--adapter lavapipe|swiftshader|auto` by setting SPARSESPLAT_ADAPTER, which acquireGpu()
 * reads; call before acquireGpu(). Nothing happens when the option was not given.
 * @throws AdapterChoiceError naming the accepted values when the value is unknown.
 */
export function applyAdapterArg(v: string | undefined, env: Record<string, string | undefined> = process.env): void {
  if (v === undefined) return;
  env[ADAPTER_ENV] = parseAdapterRequest(v, '--adapter');
}

/**
 * For CLIs that read argv by hand: removes `--adapter NAME` / `--adapter=NAME` from `argv`, applies
 * it (applyAdapterArg) and returns the other arguments.
 * @throws AdapterChoiceError for an unknown or missing value.
 */
export function takeAdapterArg(argv: readonly string[], env: Record<string, string | undefined> = process.env): string[] {
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--adapter') {
      if (i + 1 >= argv.length || argv[i + 1].startsWith('--')) throw new AdapterChoiceError('--adapter: expected lavapipe, swiftshader or auto');
      applyAdapterArg(argv[++i], env);
    } else if (a.startsWith('--adapter=')) {
      applyAdapterArg(a.slice('--adapter='.length), env);
    } else {
      rest.push(a);
    }
  }
  return rest;
}

/**
 * Joins `--name -5` into `--name=-5` for the options that take a value, so node's parseArgs reads a
 * negative number as the value (it takes a token starting with '-' for an option and fails).
 * @param argv command-line tokens
 * @param valueOptions long option names (without '--') that take a value
 * @returns the tokens, with each such pair joined
 */
export function joinNegativeValues(argv: readonly string[], valueOptions: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = argv[i + 1];
    if (a.startsWith('--') && valueOptions.includes(a.slice(2)) && next !== undefined && /^-(\d|\.\d)/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else {
      out.push(a);
    }
  }
  return out;
}
