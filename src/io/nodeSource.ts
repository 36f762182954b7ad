import { promises as fs } from 'node:fs';
import * as nodePath from 'node:path';
import type { Scene } from '../core/Scene';
import { isJunkPath, zipSource, type FileSource } from './FileSource';
import { fail } from './FormatError';
import { loadScene, type LoadOptions } from './loadScene';

/**
 * Node-only file access (imports node:fs; never import this from browser code).
 */

/**
 * A FileSource over a folder on disk (recursive; hidden folders such as .git skipped). Symbolic
 * links are followed, to files and to folders alike (a scene whose `train/` links elsewhere lists
 * `train/r_0.png`); a link back to a folder already being walked, or a broken link, is skipped.
 * @throws FormatError when the path is not a readable folder.
 */
export async function nodeDirSource(path: string): Promise<FileSource> {
  const st = await fs.stat(path).catch(() => undefined);
  if (!st?.isDirectory()) fail(path, 'folder', 'not found or not a folder');
  const files: string[] = [];
  // Real paths of the folders on the current walk, so that a link cycle ends.
  const walking = new Set<string>();
  const walk = async (rel: string): Promise<void> => {
    const abs = nodePath.join(path, rel);
    const real = await fs.realpath(abs);
    if (walking.has(real)) return;
    walking.add(real);
    const entries = await fs.readdir(abs, { withFileTypes: true });
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      // Dirent types describe the link itself; stat follows it to the target.
      const target = e.isSymbolicLink() ? await fs.stat(nodePath.join(abs, e.name)).catch(() => undefined) : e;
      if (target?.isDirectory()) {
        if (!e.name.startsWith('.')) await walk(r);
      } else if (target?.isFile()) {
        files.push(r);
      }
    }
    walking.delete(real);
  };
  await walk('');
  const set = new Set(files);
  return {
    name: path,
    list: () => files.filter((p) => !isJunkPath(p)),
    read: async (p: string) => {
      if (!set.has(p)) fail(path, p, 'no such file');
      return new Uint8Array(await fs.readFile(nodePath.join(path, p)));
    },
  };
}

/**
 * Loads a scene from a folder or a .zip file on disk (see loadScene).
 * @throws FormatError naming the path when it does not exist or holds no scene.
 */
export async function loadScenePath(path: string, opts?: LoadOptions): Promise<Scene> {
  const st = await fs.stat(path).catch(() => undefined);
  if (!st) fail(path, 'path', 'not found');
  if (st.isDirectory()) return loadScene(await nodeDirSource(path), opts);
  return loadScene(zipSource(path, new Uint8Array(await fs.readFile(path))), opts);
}

/**
 * Writes a file atomically: the bytes go to a temporary file in the same folder, which is then
 * renamed over `path`, so readers never see a half-written file.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const dir = nodePath.dirname(path);
  const st = await fs.stat(dir).catch(() => null);
  if (!st?.isDirectory()) throw new Error(`cannot write ${path}: folder ${dir} does not exist`);
  if ((await fs.stat(path).catch(() => null))?.isDirectory()) throw new Error(`cannot write ${path}: it is a folder`);
  const tmp = nodePath.join(nodePath.dirname(path), `.${nodePath.basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    await fs.writeFile(tmp, bytes);
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
}

/**
 * Writes a folder of files as a whole: they go to a temporary sibling folder, which then replaces
 * `dir` (the old folder, if any, is moved aside first and deleted last), so a failure never leaves
 * `dir` with only some of the files. Parent folders are created.
 * @param files file name (no path separators) -> bytes
 * @throws Error when `dir` is a file, a name has a path separator, or a write fails (nothing of
 *   `dir` is changed then)
 */
export async function writeFolderAtomic(dir: string, files: Record<string, Uint8Array>): Promise<void> {
  for (const name of Object.keys(files)) {
    if (!name || name !== nodePath.basename(name) || name === '.' || name === '..') throw new Error(`cannot write ${dir}: bad file name ${JSON.stringify(name)}`);
  }
  const old = await fs.stat(dir).catch(() => null);
  if (old && !old.isDirectory()) throw new Error(`cannot write ${dir}: it is a file`);
  const parent = nodePath.dirname(dir);
  await fs.mkdir(parent, { recursive: true });
  const stamp = `${process.pid}.${Date.now()}`;
  const tmp = nodePath.join(parent, `.${nodePath.basename(dir)}.${stamp}.tmp`);
  const aside = nodePath.join(parent, `.${nodePath.basename(dir)}.${stamp}.old`);
  try {
    await fs.mkdir(tmp);
    for (const [name, bytes] of Object.entries(files)) await fs.writeFile(nodePath.join(tmp, name), bytes);
    if (old) await fs.rename(dir, aside);
    try {
      await fs.rename(tmp, dir);
    } catch (e) {
      if (old) await fs.rename(aside, dir);
      throw e;
    }
  } catch (e) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw e;
  }
  if (old) await fs.rm(aside, { recursive: true, force: true });
}
