import { mkdtempSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFolderAtomic } from '../../src/io/nodeSource';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('writeFolderAtomic', () => {
  it('creates the folder and its parents, then replaces it whole (stale files go)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'wfa-'));
    const dir = join(root, 'poses', 'sparse', '0');
    await writeFolderAtomic(dir, { 'a.txt': bytes('one'), 'b.txt': bytes('two') });
    expect(readdirSync(dir).sort()).toEqual(['a.txt', 'b.txt']);
    await writeFolderAtomic(dir, { 'a.txt': bytes('three') });
    expect(readdirSync(dir)).toEqual(['a.txt']);
    expect(readFileSync(join(dir, 'a.txt'), 'utf8')).toBe('three');
    expect(readdirSync(join(root, 'poses', 'sparse'))).toEqual(['0']); // no temporary folders left
  });
  it('a failed write leaves the old folder as it was and no temporary folder', async () => {
    const root = mkdtempSync(join(tmpdir(), 'wfa-'));
    const dir = join(root, 'm');
    mkdirSync(dir);
    writeFileSync(join(dir, 'old.txt'), 'kept');
    // the second file's bytes are not writable data: fs.writeFile throws after the first was written
    await expect(writeFolderAtomic(dir, { 'a.txt': bytes('new'), 'b.txt': 42 as unknown as Uint8Array })).rejects.toThrow();
    expect(readdirSync(dir)).toEqual(['old.txt']);
    expect(readFileSync(join(dir, 'old.txt'), 'utf8')).toBe('kept');
    expect(readdirSync(root)).toEqual(['m']);
  });
  it('refuses a path that is a file and names with separators', async () => {
    const root = mkdtempSync(join(tmpdir(), 'wfa-'));
    writeFileSync(join(root, 'f'), 'x');
    await expect(writeFolderAtomic(join(root, 'f'), { 'a.txt': bytes('') })).rejects.toThrow(/f: it is a file/);
    await expect(writeFolderAtomic(join(root, 'd'), { '../a.txt': bytes('') })).rejects.toThrow(/bad file name "\.\.\/a\.txt"/);
    expect(readdirSync(root)).toEqual(['f']);
  });
});
