import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { fileListSource, memorySource, zipSource } from '../../src/io/FileSource';
import { FormatError } from '../../src/io/FormatError';
import { IMAGE_EXTENSIONS, isImagePath } from '../../src/io/imageDecode';
import { loadScene } from '../../src/io/loadScene';
import { loadScenePath, nodeDirSource } from '../../src/io/nodeSource';
import { createPathResolver } from '../../src/io/pathResolver';
import { llffScene, makePng } from './ioFixtures';

/**
 * "Any file list" (issue 13, point 2): a scene whose relative image paths do not exist in the source
 * (loose files picked without folders, a zip of another layout, a symlinked folder) still loads when
 * each image is found unambiguously by path tail, name or stem; otherwise the error names the scene
 * file, the field and the candidates.
 */

const LEGO = resolve(__dirname, '../../../shared/data/scenes/blender-lego');
const enc = (s: string) => new TextEncoder().encode(s);
const identity = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 4], [0, 0, 0, 1]];

/** A File as an <input type=file multiple> pick gives it: a bare name, no folder. */
const looseFile = (name: string, bytes: Uint8Array) => new File([bytes as BlobPart], name);

/** transforms.json with one frame per written path (identity poses, camera_angle_x 0.8). */
function transforms(paths: string[]): Uint8Array {
  return enc(JSON.stringify({ camera_angle_x: 0.8, frames: paths.map((file_path) => ({ file_path, transform_matrix: identity })) }));
}

/** Expects a FormatError whose message matches every pattern. */
async function expectFormatError(p: Promise<unknown>, ...patterns: RegExp[]): Promise<FormatError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e, 'expected a FormatError').toBeInstanceOf(FormatError);
  for (const re of patterns) expect((e as Error).message).toMatch(re);
  return e as FormatError;
}

describe('createPathResolver', () => {
  const images = { extensions: IMAGE_EXTENSIONS, accept: isImagePath, what: 'image' };
  const ref = { file: 's/transforms.json', field: 'frames[0].file_path' };

  it('tries the exact path, then the path tail, then the file name, then the stem with each extension', () => {
    const r = createPathResolver(['scene/train/r_0.png', 'elsewhere/train/r_1.png', 'loose/0001.jpg', 'x/IMG_7.PNG', 'notes/r_9.txt']);
    expect(r.resolve(ref, { ...images, written: './train/r_0', base: 'scene' })).toBe('scene/train/r_0.png');
    expect(r.resolve(ref, { ...images, written: '/home/me/capture/train/r_1.png', base: 'scene' })).toBe('elsewhere/train/r_1.png');
    expect(r.resolve(ref, { ...images, written: 'images/0001.jpg', base: '' })).toBe('loose/0001.jpg');
    expect(r.resolve(ref, { ...images, written: 'images/IMG_7.jpg', base: '' })).toBe('x/IMG_7.PNG');
    // Only accepted paths are fallback candidates: r_9.txt is no image.
    expect(() => r.resolve(ref, { ...images, written: './train/r_9', base: '' })).toThrow(/s\/transforms\.json: frames\[0\]\.file_path: image "\.\/train\/r_9" not found/);
    expect(r.exact({ ...images, written: 'r_0', base: 'scene/train' })).toBe('scene/train/r_0.png');
    expect(r.exact({ ...images, written: 'r_1', base: 'scene/train' })).toBeUndefined();
  });

  it('a longer matching path tail wins over a name shared by several files', () => {
    const r = createPathResolver(['a/images/f.png', 'a/images_2/f.png', 'a/images_4/f.png']);
    expect(r.resolve(ref, { ...images, written: '/data/images/f.png', base: '' })).toBe('a/images/f.png');
  });

  it('names every candidate when two or more files match equally well', () => {
    const r = createPathResolver(['a/r_0.png', 'b/r_0.jpg', 'c/r_0.png']);
    expect(() => r.resolve(ref, { ...images, written: './train/r_0', base: '' })).toThrow(
      /s\/transforms\.json: frames\[0\]\.file_path: image "\.\/train\/r_0".*3 files match.*"a\/r_0\.png", "b\/r_0\.jpg", "c\/r_0\.png"/,
    );
  });
});

describe('Blender transforms.json from any file list', () => {
  it('loose files without folders load (browser pick), with and without extensions in file_path', async () => {
    const json = transforms(['images/0001.png', './train/r_1', 'C:\\capture\\images\\0002.jpg']);
    const files = [looseFile('transforms.json', json), looseFile('0001.png', makePng(8, 6)), looseFile('r_1.png', makePng(8, 6)), looseFile('0002.png', makePng(8, 6))];
    const s = await loadScene(fileListSource(files, 'picked'));
    expect(s.imageNames).toEqual(['0001.png', 'r_1.png', '0002.png']);
    expect(s.cameras[0].fx).toBeCloseTo(8 / (2 * Math.tan(0.4)), 9);
  });

  it('a zip of another layout loads, and so does a folder dropped with its relative paths', async () => {
    const zipped = zipSync({ 'meta/transforms.json': transforms(['./train/r_0', './train/r_1']), 'photos/r_0.png': makePng(8, 6), 'photos/r_1.png': makePng(8, 6) });
    const s = await loadScene(zipSource('other.zip', zipped));
    expect(s.imageNames).toEqual(['r_0.png', 'r_1.png']);
    const dropped = ['transforms.json', 'pics/r_0.png'].map((k) => {
      const f = looseFile(k.split('/').pop()!, k.endsWith('.json') ? transforms(['./train/r_0']) : makePng(8, 6));
      Object.defineProperty(f, 'webkitRelativePath', { value: `drop/${k}` });
      return f;
    });
    expect((await loadScene(fileListSource(dropped, 'drop'))).cameras).toHaveLength(1);
  });

  it('an image name matching several files is an error naming transforms.json, the field and the candidates', async () => {
    const files = { 'transforms.json': transforms(['./train/r_0']), 'a/r_0.png': makePng(8, 6), 'b/r_0.png': makePng(8, 6) };
    await expectFormatError(loadScene(memorySource('dup', files)), /dup\/transforms\.json/, /frames\[0\]\.file_path/, /"a\/r_0\.png"/, /"b\/r_0\.png"/);
    await expectFormatError(loadScene(zipSource('dup.zip', zipSync(files))), /dup\.zip\/transforms\.json/, /"a\/r_0\.png", "b\/r_0\.png"/);
  });

  it('two picked files of the same name are refused instead of one being read', async () => {
    const files = [looseFile('transforms.json', transforms(['./train/r_0'])), looseFile('r_0.png', makePng(8, 6)), looseFile('r_0.png', makePng(4, 4))];
    await expectFormatError(loadScene(fileListSource(files, 'picked')), /picked: r_0\.png: 2 of the files share this name/);
  });

  it.skipIf(!existsSync(LEGO))('lego: transforms_train.json and its train images picked without folders (read in place)', async () => {
    const meta = JSON.parse(readFileSync(join(LEGO, 'transforms_train.json'), 'utf8'));
    meta.frames = meta.frames.slice(0, 3); // three 400x400 images keep the test short
    const names = meta.frames.map((f: { file_path: string }) => `${f.file_path.split('/').pop()}.png`);
    const files = [looseFile('transforms_train.json', enc(JSON.stringify(meta))), ...names.map((n: string) => looseFile(n, readFileSync(join(LEGO, 'train', n))))];
    const s = await loadScene(fileListSource(files, 'lego-picked'));
    expect(s.imageNames).toEqual(['r_0.png', 'r_1.png', 'r_2.png']);
    expect(s.cameras[0].fx).toBeCloseTo(400 / (2 * Math.tan(0.6911112070083618 / 2)), 6);
  });
});

describe('COLMAP and LLFF from any file list', () => {
  const colmapModel = {
    'cameras.txt': enc('1 PINHOLE 8 6 5 5 4 3\n'),
    'images.txt': enc('1 1 0 0 0 0 0 1 1 a.png\n\n2 1 0 0 0 1 0 1 1 b.png\n\n'),
  };

  it('COLMAP: loose model files and images load; a name shared by two files names images.txt and both', async () => {
    const loose = [...Object.entries(colmapModel), ['a.png', makePng(8, 6)], ['b.png', makePng(8, 6)]] as [string, Uint8Array][];
    const s = await loadScene(fileListSource(loose.map(([k, v]) => looseFile(k, v)), 'picked'));
    expect(s.imageNames).toEqual(['a.png', 'b.png']);
    const files = { 'sparse/0/cameras.txt': colmapModel['cameras.txt'], 'sparse/0/images.txt': colmapModel['images.txt'], 'x/a.png': makePng(8, 6), 'y/a.png': makePng(8, 6), 'b.png': makePng(8, 6) };
    await expectFormatError(loadScene(memorySource('c', files)), /c\/sparse\/0\/images\.txt/, /image 1 name/, /"x\/a\.png", "y\/a\.png"/);
  });

  it('LLFF: loose images next to poses_bounds.npy load, their reduction read from the width', async () => {
    const { files, cams } = llffScene(3, 4); // images_4/ at 64x48 for W = 256
    const loose = Object.entries(files).map(([k, v]) => looseFile(k.split('/').pop()!, v));
    const s = await loadScene(fileListSource(loose, 'picked'));
    expect(s.imageNames).toEqual(['IMG_1000.png', 'IMG_1001.png', 'IMG_1002.png']);
    expect(s.cameras[1].fx).toBeCloseTo(cams[1].resized(64, 48).fx, 9);
    // Images in two folders and none named images*: the error names both folders.
    const two: Record<string, Uint8Array> = { 'poses_bounds.npy': files['poses_bounds.npy'] };
    for (const [k, v] of Object.entries(files)) if (k !== 'poses_bounds.npy') two[k.replace('images_4/', 'p/')] = two[k.replace('images_4/', 'q/')] = v;
    await expectFormatError(loadScene(memorySource('two', two)), /two\/\.: images/, /"p\/", "q\/"/);
  });
});

describe('Node folders with symbolic links', () => {
  it('a scene whose train/ is a symlink to a folder loads; a link cycle does not hang the walk', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'symlinked-'));
    const real = join(dir, 'real-train');
    mkdirSync(real);
    for (const n of ['r_0.png', 'r_1.png']) writeFileSync(join(real, n), makePng(8, 6));
    const scene = join(dir, 'scene');
    mkdirSync(scene);
    writeFileSync(join(scene, 'transforms.json'), transforms(['./train/r_0', './train/r_1']));
    symlinkSync(real, join(scene, 'train'), 'dir');
    symlinkSync(scene, join(scene, 'loop'), 'dir'); // scene/loop -> scene
    symlinkSync(join(dir, 'gone'), join(scene, 'broken.png')); // dangling link: skipped
    expect((await nodeDirSource(scene)).list().sort()).toEqual(['train/r_0.png', 'train/r_1.png', 'transforms.json']);
    const s = await loadScenePath(scene);
    expect(s.imageNames).toEqual(['r_0.png', 'r_1.png']);
    expect(s.cameras).toHaveLength(2);
  });
});
