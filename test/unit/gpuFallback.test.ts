// acquireGpu() when Dawn gives no adapter on the chosen driver (as with lavapipe from Mesa < 24): a
// stand-in "lavapipe" ICD whose library does not exist, with the real SwiftShader as the fallback.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { SWIFTSHADER_ICD } from '../../src/gpu/adapterChoice';

const brokenIcd = join(mkdtempSync(join(tmpdir(), 'icd-')), 'old_lvp_icd.json');
writeFileSync(brokenIcd, JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: '/nonexistent/libvulkan_lvp.so', api_version: '1.3.0' } }));

vi.mock('../../src/gpu/adapterChoice', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/gpu/adapterChoice')>();
  return {
    ...real,
    chooseAdapter: () => ({
      driver: 'lavapipe',
      icd: brokenIcd,
      fallback: { driver: 'swiftshader', icd: real.SWIFTSHADER_ICD },
      reason: 'lavapipe (auto: no GPU device node)',
    }),
  };
});

describe.skipIf(!existsSync(SWIFTSHADER_ICD))('GPU device fallback (Node, Dawn)', () => {
  it('falls back to SwiftShader with one warning when Dawn gives no adapter on lavapipe', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const { acquireGpu } = await import('../../src/gpu/device');
    const gpu = await acquireGpu();
    expect(gpu.adapterName).toMatch(/swiftshader/i);
    expect(gpu.adapterChoice).toBe('swiftshader (fallback: Dawn gave no adapter on lavapipe)');
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toMatch(/^warning: Dawn found no adapter on lavapipe .*Mesa older than 24.*using swiftshader instead/);
    warn.mockRestore();
  });
});
