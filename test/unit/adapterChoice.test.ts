import { describe, expect, it } from 'vitest';
import {
  AdapterChoiceError,
  chooseAdapter,
  LAVAPIPE_ICD,
  parseAdapterRequest,
  SWIFTSHADER_ICD,
  type AdapterChoiceInput,
} from '../../src/gpu/adapterChoice';
import { applyAdapterArg, joinNegativeValues, takeAdapterArg } from '../../src/cli/args';

/** A machine with exactly these files; Linux unless told otherwise. */
function machine(files: string[], env: Record<string, string> = {}, platform = 'linux'): AdapterChoiceInput {
  const set = new Set(files);
  return { env, platform, exists: (p) => set.has(p) };
}

const BOTH = [LAVAPIPE_ICD, SWIFTSHADER_ICD];

function errorOf(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

describe('chooseAdapter (auto)', () => {
  it('prefers lavapipe without a GPU device node, with SwiftShader as fallback', () => {
    const c = chooseAdapter(machine(BOTH));
    expect(c.driver).toBe('lavapipe');
    expect(c.icd).toBe(LAVAPIPE_ICD);
    expect(c.fallback).toEqual({ driver: 'swiftshader', icd: SWIFTSHADER_ICD });
  });

  it('uses lavapipe without fallback when SwiftShader is absent', () => {
    const c = chooseAdapter(machine([LAVAPIPE_ICD]));
    expect(c).toMatchObject({ driver: 'lavapipe', icd: LAVAPIPE_ICD });
    expect(c.fallback).toBeUndefined();
  });

  it('uses SwiftShader when lavapipe is not installed', () => {
    const c = chooseAdapter(machine([SWIFTSHADER_ICD], { SPARSESPLAT_ADAPTER: 'auto' }));
    expect(c).toMatchObject({ driver: 'swiftshader', icd: SWIFTSHADER_ICD });
    expect(c.reason).toContain(LAVAPIPE_ICD);
  });

  it('leaves the loader alone when neither driver is installed', () => {
    const c = chooseAdapter(machine([]));
    expect(c.driver).toBe('system');
    expect(c.icd).toBeUndefined();
  });

  it('keeps the system drivers when a GPU device node exists', () => {
    for (const node of ['/dev/dri', '/dev/nvidia0', '/dev/nvidiactl']) {
      const c = chooseAdapter(machine([...BOTH, node]));
      expect(c.driver).toBe('system');
      expect(c.icd).toBeUndefined();
    }
  });

  it('respects VK_ICD_FILENAMES and VK_DRIVER_FILES set by the user', () => {
    for (const k of ['VK_ICD_FILENAMES', 'VK_DRIVER_FILES']) {
      const c = chooseAdapter(machine(BOTH, { [k]: '/my/icd.json' }));
      expect(c.driver).toBe('system');
      expect(c.icd).toBeUndefined();
      expect(c.reason).toContain('/my/icd.json');
    }
  });

  it('keeps the system drivers off Linux', () => {
    expect(chooseAdapter(machine(BOTH, {}, 'darwin')).driver).toBe('system');
  });
});

describe('chooseAdapter (forced)', () => {
  it('forces either driver, even with a GPU node or VK_ICD_FILENAMES set', () => {
    expect(chooseAdapter(machine(BOTH, { SPARSESPLAT_ADAPTER: 'swiftshader' }))).toMatchObject({ driver: 'swiftshader', icd: SWIFTSHADER_ICD });
    const l = chooseAdapter(machine([...BOTH, '/dev/dri'], { SPARSESPLAT_ADAPTER: 'LavaPipe', VK_ICD_FILENAMES: '/my/icd.json' }));
    expect(l).toMatchObject({ driver: 'lavapipe', icd: LAVAPIPE_ICD });
    expect(l.fallback).toBeUndefined(); // forced: no silent switch to the other driver
    expect(l.reason).toContain('/my/icd.json');
  });

  it('says what to install when the forced driver is missing', () => {
    const e = errorOf(() => chooseAdapter(machine([SWIFTSHADER_ICD], { SPARSESPLAT_ADAPTER: 'lavapipe' })));
    expect(e).toBeInstanceOf(AdapterChoiceError);
    expect(e.message).toContain(`lavapipe is not installed (${LAVAPIPE_ICD} is missing`);
    expect(e.message).toContain('apt-get install -t bookworm-backports mesa-vulkan-drivers');
    expect(e.message).toContain('apt-get install chromium libvulkan1');
    expect(e.message).toContain('libvulkan1');
    const s = errorOf(() => chooseAdapter(machine([LAVAPIPE_ICD], { SPARSESPLAT_ADAPTER: 'swiftshader' })));
    expect(s.message).toContain(`SwiftShader is not installed (${SWIFTSHADER_ICD} is missing`);
    expect(s.message).toMatch(/lavapipe.*SwiftShader/s);
  });

  it('rejects an unknown value naming both drivers', () => {
    const e = errorOf(() => chooseAdapter(machine(BOTH, { SPARSESPLAT_ADAPTER: 'llvm' })));
    expect(e).toBeInstanceOf(AdapterChoiceError);
    expect(e.message).toBe(
      'SPARSESPLAT_ADAPTER: unknown adapter "llvm"; expected lavapipe (Mesa\'s CPU Vulkan driver), swiftshader ' +
        "(SwiftShader, from Debian's chromium) or auto (a GPU if present, else lavapipe, else SwiftShader)",
    );
  });

  it('treats a blank value as auto', () => {
    expect(parseAdapterRequest('  ')).toBe('auto');
    expect(parseAdapterRequest(undefined)).toBe('auto');
  });
});

describe('--adapter', () => {
  it('sets SPARSESPLAT_ADAPTER and is removed from hand-parsed argv', () => {
    const env: Record<string, string | undefined> = {};
    expect(takeAdapterArg(['a.ply', '--adapter', 'swiftshader', 'b.spz'], env)).toEqual(['a.ply', 'b.spz']);
    expect(env.SPARSESPLAT_ADAPTER).toBe('swiftshader');
    expect(takeAdapterArg(['--adapter=Lavapipe', '--iters', '3'], env)).toEqual(['--iters', '3']);
    expect(env.SPARSESPLAT_ADAPTER).toBe('lavapipe');
    applyAdapterArg(undefined, env);
    expect(env.SPARSESPLAT_ADAPTER).toBe('lavapipe');
  });

  it('names the option in its errors', () => {
    expect(() => applyAdapterArg('metal', {})).toThrow(/^--adapter: unknown adapter "metal"; expected lavapipe/);
    expect(() => takeAdapterArg(['--adapter'], {})).toThrow(/--adapter: expected lavapipe, swiftshader or auto/);
    expect(() => takeAdapterArg(['--adapter', '--iters', '3'], {})).toThrow(AdapterChoiceError);
  });
});

describe('joinNegativeValues', () => {
  it('joins a negative number to its valued option, leaves flags and other tokens', () => {
    expect(joinNegativeValues(['--rate', '-5', '--no-physics', '--noise', '-.5', '--clips', 'a'], ['rate', 'noise', 'clips'])).toEqual(['--rate=-5', '--no-physics', '--noise=-.5', '--clips', 'a']);
    // a flag followed by a negative number, or an option that takes no value, is left for parseArgs to reject
    expect(joinNegativeValues(['--no-physics', '-5'], ['rate'])).toEqual(['--no-physics', '-5']);
    expect(joinNegativeValues(['--rate', '-x'], ['rate'])).toEqual(['--rate', '-x']);
  });
});
