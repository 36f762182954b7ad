import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSplatFile, writeSplatFile } from '../../src/io/splatFile';
import { randomCloud } from './ioFixtures';

describe('npm run convert', () => {
  it('converts .ply -> .spz -> .splat, printing count, SH degree and what was dropped', () => {
    const dir = mkdtempSync(join(tmpdir(), 'convert-'));
    const c = randomCloud(30, 2, 4);
    writeFileSync(join(dir, 'in.ply'), writeSplatFile('in.ply', c).bytes);
    const run = (a: string, b: string) =>
      execFileSync(resolve(__dirname, '../../node_modules/.bin/vite-node'), ['src/cli/convert.ts', '--', join(dir, a), join(dir, b)], {
        cwd: resolve(__dirname, '../..'),
        encoding: 'utf8',
      });
    const out1 = run('in.ply', 'mid.spz');
    expect(out1).toMatch(/splats: 30/);
    expect(out1).toMatch(/SH degree: 2/);
    const out2 = run('mid.spz', 'out.splat');
    expect(out2).toMatch(/dropped: SH bands 1-2/);
    const back = readSplatFile('out.splat', new Uint8Array(readFileSync(join(dir, 'out.splat'))));
    expect(back.count).toBe(30);
    expect(Math.abs(back.means[0] - c.means[0])).toBeLessThan(1e-3);
  });

  it('--help lists every format read and written; .ply -> meta.json (+ .webp) -> .sog -> .glb -> .ply', () => {
    const dir = mkdtempSync(join(tmpdir(), 'convert-st-'));
    const c = randomCloud(200, 0, 5);
    writeFileSync(join(dir, 'in.ply'), writeSplatFile('in.ply', c).bytes);
    const run = (...args: string[]) =>
      execFileSync(resolve(__dirname, '../../node_modules/.bin/vite-node'), ['src/cli/convert.ts', '--', ...args], {
        cwd: resolve(__dirname, '../..'),
        encoding: 'utf8',
      });
    const help = run('--help');
    const [reads, writes] = help.split('writes:');
    for (const ext of ['.ply', '.compressed.ply', '.splat', '.spz', '.glb', '.sog', 'meta.json', '.ksplat']) expect(reads).toContain(ext);
    for (const ext of ['.ply', '.splat', '.spz', '.sog', 'meta.json', '.glb']) expect(writes).toContain(ext);
    mkdirSync(join(dir, 'sog'));
    expect(run(join(dir, 'in.ply'), join(dir, 'sog/meta.json'))).toMatch(/splats: 200/);
    expect(existsSync(join(dir, 'sog/means_l.webp'))).toBe(true);
    run(join(dir, 'sog/meta.json'), join(dir, 'b.sog'));
    run(join(dir, 'b.sog'), join(dir, 'c.glb'));
    run(join(dir, 'c.glb'), join(dir, 'd.ply'));
    const back = readSplatFile('d.ply', new Uint8Array(readFileSync(join(dir, 'd.ply'))));
    expect(back.count).toBe(200);
  }, 60_000);
});
