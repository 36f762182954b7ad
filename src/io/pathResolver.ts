import { basename, joinPath } from './FileSource';
import { fail } from './FormatError';

/** Where a scene file refers to another file; both parts appear in every error. */
export interface PathReference {
  /** The scene file holding the reference, as shown in errors (e.g. `lego/transforms_train.json`). */
  file: string;
  /** The field holding it (e.g. `frames[3].file_path`). */
  field: string;
}

/** One path to find, as a scene file wrote it. */
export interface PathRequest {
  /** The path as written: relative, './'-prefixed, absolute or from another machine, extension optional. */
  written: string;
  /** Folder inside the source that `written` is relative to ('' for the top level). */
  base: string;
  /** Extensions tried when the written one is absent or missing (e.g. IMAGE_EXTENSIONS); lower case. */
  extensions?: readonly string[];
  /** Only paths passing this count as fallback candidates (e.g. isImagePath); the exact path always counts. */
  accept?: (path: string) => boolean;
  /** Word for the thing looked for in errors ('image', 'point cloud'); default 'file'. */
  what?: string;
}

/** Finds the files a scene refers to among the paths of a FileSource. */
export interface PathResolver {
  /**
   * The listed path for `req` (see createPathResolver for the order tried).
   * @throws FormatError naming `ref.file` and `ref.field` when nothing matches, or when two or more
   *   files match equally well (the candidates are named).
   */
  resolve(ref: PathReference, req: PathRequest): string;
  /** The exact path (`base/written`, with the extensions) when listed, else undefined; never guesses. */
  exact(req: PathRequest): string | undefined;
}

/** At most this many candidates are named in an ambiguity error. */
const MAX_NAMED = 6;

function splitName(name: string): { stem: string; ext: string } {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? { stem: name.slice(0, dot), ext: name.slice(dot).toLowerCase() } : { stem: name, ext: '' };
}

/**
 * A resolver over `paths` ('/'-separated, as FileSource.list returns them), so that scenes load from
 * folders, zips with another layout and loose file lists (a browser pick or drop has no folders).
 * For a request it tries, in order, and stops at the first step that finds anything:
 *   1. exact: `base/written`, then with each extension appended (lower and upper case);
 *   2. path tail: listed paths ending in the last k components of `written` (k from all but the
 *      first down to 2; extensions appended as in 1), e.g. `/home/me/cap/images/a.jpg` -> `.../images/a.jpg`;
 *   3. file name: paths whose last component is the written file name;
 *   4. stem: paths named `stem + extension` for the extensions given (`./train/r_0` -> `r_0.png`;
 *      `images/0001.jpg` -> `0001.png`), extension compared case-insensitively.
 * Steps 2-4 consider only `accept`ed paths. A step that finds one path returns it; a step that finds
 * several fails, naming them, rather than guess.
 */
export function createPathResolver(paths: readonly string[]): PathResolver {
  const listed = new Set(paths);
  // Indexes by last component and by stem make each lookup independent of the source's size.
  const byName = new Map<string, string[]>();
  const byStem = new Map<string, string[]>();
  for (const p of paths) {
    const name = basename(p);
    const { stem } = splitName(name);
    if (!byName.has(name)) byName.set(name, []);
    byName.get(name)!.push(p);
    if (!byStem.has(stem)) byStem.set(stem, []);
    byStem.get(stem)!.push(p);
  }
  const variants = (p: string, exts: readonly string[]) => [p, ...exts.map((e) => p + e), ...exts.map((e) => p + e.toUpperCase())];

  const exact = (req: PathRequest): string | undefined => {
    const rel = joinPath(req.base, req.written);
    return rel ? variants(rel, req.extensions ?? []).find((p) => listed.has(p)) : undefined;
  };

  const resolve = (ref: PathReference, req: PathRequest): string => {
    const hit = exact(req);
    if (hit) return hit;
    const exts = req.extensions ?? [];
    const accept = req.accept ?? (() => true);
    const what = req.what ?? 'file';
    const parts = req.written.replace(/\\/g, '/').split('/').filter((s) => s && s !== '.' && s !== '..');
    const pick = (found: string[], how: string): string | undefined => {
      const unique = [...new Set(found)].sort();
      if (unique.length === 1) return unique[0];
      if (unique.length > 1) {
        const named = unique.slice(0, MAX_NAMED).map((p) => `"${p}"`).join(', ');
        const more = unique.length > MAX_NAMED ? ` and ${unique.length - MAX_NAMED} more` : '';
        fail(ref.file, ref.field, `${what} "${req.written}" is not at "${joinPath(req.base, req.written)}", and ${unique.length} files match it by ${how}: ${named}${more}; remove all but one or keep the folder layout`);
      }
      return undefined;
    };
    // 2. Path tail, longest first: a longer matching tail is stronger evidence.
    for (let k = parts.length - 1; k >= 2; k--) {
      const tails = variants(parts.slice(-k).join('/'), exts);
      const found = tails.flatMap((t) => (byName.get(basename(t)) ?? []).filter((p) => accept(p) && (p === t || p.endsWith(`/${t}`))));
      const p = pick(found, `its last ${k} path components`);
      if (p) return p;
    }
    const name = parts[parts.length - 1];
    if (name) {
      // 3. File name.
      const p = pick((byName.get(name) ?? []).filter(accept), 'file name');
      if (p) return p;
      // 4. Stem with each extension (the written extension, if any, is one of the alternatives).
      const { stem, ext } = splitName(name);
      const base = exts.includes(ext) ? stem : name;
      const q = pick((byStem.get(base) ?? []).filter((c) => accept(c) && exts.includes(splitName(basename(c)).ext)), `name with ${exts.join(', ')}`);
      if (q) return q;
    }
    const tried = exts.length ? ` with ${exts.join(', ')}` : '';
    fail(ref.file, ref.field, `${what} "${req.written}" not found (tried "${joinPath(req.base, req.written)}"${tried}, then by path tail, file name and stem among ${listed.size} files)`);
  };

  return { resolve, exact };
}
