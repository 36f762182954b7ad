import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync, realpathSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPhotoFolder } from '../../src/io/photoFolder';

const FERN = resolve('..', 'shared', 'data', 'scenes', 'llff-fern', 'images_8');

describe('readPhotoFolder', () => {
  it('reads the photos at the top level, sorted, following symlinks; else images/; names the folder when empty', async () => {
    const names = readdirSync(FERN).filter((n) => n.endsWith('.png')).slice(0, 2);
    const top = mkdtempSync(join(tmpdir(), 'photos-'));
    for (const n of [...names].reverse()) symlinkSync(realpathSync(join(FERN, n)), join(top, n));
    writeFileSync(join(top, 'notes.txt'), 'not a photo');
    const a = await readPhotoFolder(top);
    expect(a.dir).toBe(top);
    expect(a.photos.map((p) => p.name)).toEqual([...names].sort());
    expect(a.photos[0].bytes.subarray(1, 4)).toEqual(new TextEncoder().encode('PNG'));

    const nested = mkdtempSync(join(tmpdir(), 'photos-'));
    mkdirSync(join(nested, 'images'));
    symlinkSync(realpathSync(join(FERN, names[0])), join(nested, 'images', names[0]));
    expect((await readPhotoFolder(nested)).photos.map((p) => p.name)).toEqual([names[0]]);

    const empty = mkdtempSync(join(tmpdir(), 'photos-'));
    await expect(readPhotoFolder(empty)).rejects.toThrow(new RegExp(`${empty}: no PNG or JPEG photos`));
    await expect(readPhotoFolder(join(empty, 'nope'))).rejects.toThrow(/nope: folder not found/);
    await expect(readPhotoFolder(join(top, 'notes.txt'))).rejects.toThrow(/notes\.txt: not a folder/);
  });
});
