/**
 * The plain photos of a folder (Node): for pose estimation when a folder has no poses file.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { isImagePath } from './imageDecode';

/** A folder's photos: the directory they were read from, and each file's name and bytes. */
export interface PhotoFolder {
  dir: string;
  photos: { name: string; bytes: Uint8Array }[];
}

/**
 * Reads the PNG/JPEG photos at the top level of `folder`, else in its `images/` subfolder, sorted by
 * name; symlinks to files are followed.
 * @throws Error naming the folder when it does not exist, is not a folder, or neither place holds a photo
 */
export async function readPhotoFolder(folder: string): Promise<PhotoFolder> {
  const st = await fs.stat(folder).catch(() => null);
  if (!st) throw new Error(`${folder}: folder not found`);
  if (!st.isDirectory()) throw new Error(`${folder}: not a folder`);
  const list = async (dir: string) => {
    const entries = (await fs.readdir(dir).catch(() => [] as string[])).filter(isImagePath).sort();
    const isFile = await Promise.all(entries.map(async (n) => (await fs.stat(join(dir, n)).catch(() => null))?.isFile() ?? false));
    return entries.filter((_, k) => isFile[k]);
  };
  let dir = folder;
  let names = await list(folder);
  if (names.length === 0) {
    dir = join(folder, 'images');
    names = await list(dir);
  }
  if (names.length === 0) throw new Error(`${folder}: no PNG or JPEG photos found (looked in the folder and in images/)`);
  return { dir, photos: await Promise.all(names.map(async (n) => ({ name: n, bytes: new Uint8Array(await fs.readFile(join(dir, n))) }))) };
}
