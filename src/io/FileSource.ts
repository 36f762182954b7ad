import { unzipSync } from 'fflate';
import { fail, guardDecode } from './FormatError';

/**
 * One read-only view over a set of files: a Node folder (nodeSource.ts), a .zip (zipSource) or a
 * browser File list / dropped folder (fileListSource). Paths are relative, '/'-separated.
 */
export interface FileSource {
  /** Display name (folder, zip or drop name), used in error messages. */
  name: string;
  /** 'zip' when reads inflate entries (load progress then says "Unzipping"). */
  kind?: 'zip';
  /** Every file's relative path ('/'-separated, no leading './'), folders excluded. */
  list(): string[];
  /** The bytes of one listed file. @throws Error naming the source and path when absent. */
  read(path: string): Promise<Uint8Array>;
}

/** Largest single entry a zip may inflate to (guards against zip bombs). */
const MAX_ZIP_ENTRY = 2 ** 31 - 1;

function cleanPath(p: string): string {
  return p.replace(/\\/g, '/').replace(/^(\.\/)+/, '').replace(/^\/+/, '');
}

/** Skips OS metadata that zips and folder drops drag along. */
export function isJunkPath(p: string): boolean {
  return p.startsWith('__MACOSX/') || p.split('/').some((s) => s === '.DS_Store' || s.startsWith('._') || s === 'Thumbs.db');
}

/**
 * A FileSource over the bytes of a .zip (fflate; stored and deflate entries). Entries are inflated
 * on read, one at a time.
 * @throws FormatError naming the zip when its directory is corrupt.
 */
export function zipSource(name: string, bytes: Uint8Array): FileSource {
  const entries = new Map<string, { name: string; originalSize: number }>();
  guardDecode(name, 'zip directory', () =>
    unzipSync(bytes, {
      filter: (f) => {
        if (!f.name.endsWith('/')) entries.set(cleanPath(f.name), { name: f.name, originalSize: f.originalSize });
        return false;
      },
    }),
  );
  return {
    name,
    kind: 'zip',
    list: () => [...entries.keys()].filter((p) => !isJunkPath(p)),
    read: async (path: string) => {
      const e = entries.get(cleanPath(path));
      if (!e) fail(name, path, 'no such file in the zip');
      if (e.originalSize > MAX_ZIP_ENTRY) fail(name, path, `entry inflates to ${e.originalSize} bytes`);
      const out = guardDecode(name, path, () => unzipSync(bytes, { filter: (f) => f.name === e.name }));
      const data = out[e.name];
      if (!data) fail(name, path, 'could not extract the entry');
      return data;
    },
  };
}

/**
 * A FileSource over browser Files (an <input webkitdirectory> list or a drop, see
 * filesFromDataTransfer). Paths come from `webkitRelativePath` when set, else a `relativePath` or
 * `path` property (set by drop helpers), else the file name. Loose files (a plain multi-file pick)
 * thus have no folders; the loaders find them by name (see pathResolver.ts).
 * @param files the files; `name` labels the source in error messages
 * @throws (from read) FormatError when the path is absent, or when several files share it (loose
 *   files of the same name picked from different folders), rather than read an arbitrary one.
 */
export function fileListSource(files: File[], name = 'dropped files'): FileSource {
  const byPath = new Map<string, File[]>();
  for (const f of files) {
    const g = f as File & { webkitRelativePath?: string; relativePath?: string; path?: string };
    const rel = cleanPath(g.webkitRelativePath || g.relativePath || g.path || f.name);
    if (!byPath.has(rel)) byPath.set(rel, []);
    byPath.get(rel)!.push(f);
  }
  return {
    name,
    list: () => [...byPath.keys()].filter((p) => !isJunkPath(p)),
    read: async (path: string) => {
      const same = byPath.get(cleanPath(path));
      if (!same) fail(name, path, 'no such file');
      if (same.length > 1) fail(name, path, `${same.length} of the files share this name (${same.map((f) => `${f.size} bytes`).join(', ')}); pick only one, or the folder`);
      return new Uint8Array(await same[0].arrayBuffer());
    },
  };
}

/** Directory part of a '/'-path ('' for top level). */
export function dirname(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

/** Last component of a '/'-path. */
export function basename(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

/** Joins and normalizes '/'-path parts ('.' and '..' resolved, never above the root). */
export function joinPath(...parts: string[]): string {
  const out: string[] = [];
  for (const part of parts) {
    for (const s of part.replace(/\\/g, '/').split('/')) {
      if (s === '' || s === '.') continue;
      if (s === '..') out.pop();
      else out.push(s);
    }
  }
  return out.join('/');
}

/** A FileSource over in-memory files (tests, generated scenes). Keys are '/'-separated paths. */
export function memorySource(name: string, files: Record<string, Uint8Array>): FileSource {
  const map = new Map(Object.entries(files).map(([k, v]) => [cleanPath(k), v]));
  return {
    name,
    list: () => [...map.keys()].filter((p) => !isJunkPath(p)),
    read: async (path: string) => {
      const d = map.get(cleanPath(path));
      if (!d) fail(name, path, 'no such file');
      return d;
    },
  };
}

/**
 * Browser only: collects the files of a drop (files and whole folders, recursively, through
 * `webkitGetAsEntry`), each tagged with its folder-relative path as `relativePath`, ready for
 * fileListSource. Falls back to `dataTransfer.files` where entries are unavailable.
 */
export async function filesFromDataTransfer(dt: DataTransfer): Promise<File[]> {
  const entries = Array.from(dt.items ?? [])
    .map((it) => (it.kind === 'file' && typeof it.webkitGetAsEntry === 'function' ? it.webkitGetAsEntry() : null))
    .filter((e): e is FileSystemEntry => !!e);
  if (entries.length === 0) return Array.from(dt.files);
  const out: File[] = [];
  const visit = async (entry: FileSystemEntry, prefix: string): Promise<void> => {
    if (entry.isFile) {
      const file = await new Promise<File>((res, rej) => (entry as FileSystemFileEntry).file(res, rej));
      Object.defineProperty(file, 'relativePath', { value: prefix + entry.name });
      out.push(file);
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      // readEntries returns batches (<= 100 in Chromium) until an empty one.
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((res, rej) => reader.readEntries(res, rej));
        if (batch.length === 0) break;
        for (const e of batch) await visit(e, `${prefix}${entry.name}/`);
      }
    }
  };
  for (const e of entries) await visit(e, '');
  return out;
}
