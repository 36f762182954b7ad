import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CPU_PRESET, DEFAULT_SCENES_ROOT, PROTOCOLS, SCENE_FOLDERS, loadOptionsFor, meanOverScenes, parseQualityArgs, protocolFor, sceneSize,
  type RecipeResult,
} from '../../src/cli/qualityPlan';

const root = path.resolve(DEFAULT_SCENES_ROOT);

describe('bench:quality arguments', () => {
  it('defaults: the three shared scenes, both recipes, full protocol', () => {
    const p = parseQualityArgs([]);
    expect(p.scenes).toEqual([
      { key: 'fern', path: path.join(root, 'llff-fern') },
      { key: 'flower', path: path.join(root, 'llff-flower') },
      { key: 'lego', path: path.join(root, 'blender-lego') },
      { key: 'lego-wide', path: path.join(root, 'blender-lego'), protocol: 'blenderWide' },
    ]);
    expect(p.recipes).toEqual(['vanilla', 'sparse']);
    expect(p).toMatchObject({ help: false, cpu: false, size: undefined, views: undefined, iters: undefined, overrides: [], renders: undefined });
    expect(parseQualityArgs(['--renders', 'out/r']).renders).toBe('out/r');
    // A leading `--` (npm / vite-node) is dropped.
    expect(parseQualityArgs(['--', '--help']).help).toBe(true);
  });

  it('--scenes maps short and folder names; --scene adds any path; unknown names are refused', () => {
    expect(parseQualityArgs(['--scenes', 'lego, fern']).scenes.map((s) => s.key)).toEqual(['lego', 'fern']);
    expect(parseQualityArgs(['--scenes', 'llff-flower']).scenes).toEqual([{ key: 'flower', path: path.join(root, SCENE_FOLDERS.flower) }]);
    expect(parseQualityArgs(['--scenes', 'lego', '--scenes-root', '/data']).scenes[0].path).toBe(path.resolve('/data', 'blender-lego'));
    expect(() => parseQualityArgs(['--scenes', 'fern,trex'])).toThrow(/unknown scene "trex".*fern, flower, lego, lego-wide/);
    expect(() => parseQualityArgs(['--scenes', ','])).toThrow(/--scenes/);
    // --scene alone runs only that path; with --scenes both; keys stay unique.
    expect(parseQualityArgs(['--scene', '/x/my-room/']).scenes).toEqual([{ key: 'my-room', path: path.resolve('/x/my-room') }]);
    expect(parseQualityArgs(['--scene', '/x/a.zip', '--scene', '/y/a', '--scenes', 'fern']).scenes.map((s) => s.key)).toEqual(['fern', 'a', 'a-2']);
    expect(() => parseQualityArgs(['--bogus'])).toThrow();
  });

  it('--cpu preset: per-protocol sizes, preset overrides before --set, --iters and --size win', () => {
    const p = parseQualityArgs(['--cpu', '--set', 'randomCount=100']);
    expect(p.iters).toBe(Number(CPU_PRESET.iters));
    expect(p.overrides).toEqual([...CPU_PRESET.set, 'randomCount=100', `iterations=${CPU_PRESET.iters}`]);
    expect(sceneSize(PROTOCOLS.llff, p)).toEqual([252, 189]);
    expect(sceneSize(PROTOCOLS.blender, p)).toEqual([200, 200]);
    const q = parseQualityArgs(['--cpu', '--iters', '10', '--size', '100x100', '--views', '4']);
    expect(q.iters).toBe(10);
    expect(q.views).toBe(4);
    expect(sceneSize(PROTOCOLS.llff, q)).toEqual([100, 100]);
    expect(sceneSize(PROTOCOLS.blender, q)).toEqual([100, 100]);
    expect(() => parseQualityArgs(['--size', '100'])).toThrow(/--size/);
    expect(() => parseQualityArgs(['--iters', '0'])).toThrow(/--iters/);
  });

  it('protocols: LLFF images_8 at 504x378, Blender 400x400 over white, views 3 and 8', () => {
    const full = parseQualityArgs([]);
    expect(protocolFor('llff')).toBe(PROTOCOLS.llff);
    expect(protocolFor('blender')).toBe(PROTOCOLS.blender);
    expect(protocolFor('colmap')).toBe(PROTOCOLS.even);
    expect(protocolFor(undefined)).toBe(PROTOCOLS.even);
    expect(PROTOCOLS.llff.views).toBe(3);
    expect(PROTOCOLS.blender.views).toBe(8);
    expect(loadOptionsFor(PROTOCOLS.llff, full)).toEqual({ maxLongSide: 504, downscale: 8 });
    expect(loadOptionsFor(PROTOCOLS.blender, full)).toEqual({ maxLongSide: 400, background: [1, 1, 1] });
    expect(loadOptionsFor(PROTOCOLS.blender, parseQualityArgs(['--cpu']))).toEqual({ maxLongSide: 200, background: [1, 1, 1] });
  });
});

describe('bench:quality means', () => {
  const res = (psnr: number, ssim: number, lpips?: number): RecipeResult => ({
    psnr, ssim, ...(lpips !== undefined ? { lpips } : {}), perView: [], trainSeconds: 10, initSeconds: 1, iterations: 5, gaussians: 100,
  });
  it('per recipe over the scenes that ran; skipped and failed scenes left out; LPIPS only when every scene has it', () => {
    const m = meanOverScenes(
      {
        fern: { results: { vanilla: res(18, 0.6, 0.3), sparse: res(20, 0.7) } },
        flower: { results: { vanilla: res(20, 0.8, 0.1), sparse: res(22, 0.9, 0.2) } },
        lego: { error: 'boom', results: { vanilla: res(5, 0.1) } },
        trex: {},
      },
      ['vanilla', 'sparse', 'other'],
    );
    expect(Object.keys(m)).toEqual(['vanilla', 'sparse']);
    expect(m.vanilla.scenes).toEqual(['fern', 'flower']);
    expect(m.vanilla.psnr).toBeCloseTo(19);
    expect(m.vanilla.ssim).toBeCloseTo(0.7);
    expect(m.vanilla.lpips).toBeCloseTo(0.2);
    expect(m.sparse.psnr).toBeCloseTo(21);
    expect(m.sparse.lpips).toBeUndefined();
    expect(m.sparse).toMatchObject({ trainSeconds: 10, gaussians: 100 });
  });
});
