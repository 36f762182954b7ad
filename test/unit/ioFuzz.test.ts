import { describe, expect, it } from 'vitest';
import jpeg from 'jpeg-js';
import { readSplatFile, readSplatFileAsync, writeSplatFile, writeSplatFileAsync } from '../../src/io/splatFile';
import { writeKsplat } from './ksplatFixture';
import type { GaussianCloud } from '../../src/core/GaussianCloud';
import { decodeImage } from '../../src/io/imageDecode';
import { readNpy } from '../../src/io/npy';
import { parseCamerasBinary, parseImagesBinary, parseCamerasText, parseImagesText } from '../../src/io/colmapModel';
import { memorySource } from '../../src/io/FileSource';
import { FormatError } from '../../src/io/FormatError';
import { loadScene } from '../../src/io/loadScene';
import { makeNpy, makePng, randomCloud, rng, spzV4 } from './ioFixtures';

/**
 * 1,000 random mutations of each valid file must never crash or hang a parser: either a cloud comes
 * back, or an Error (not a RangeError/TypeError from a typed array or a library) naming the file.
 */
function mutate(src: Uint8Array, rnd: () => number): Uint8Array {
  const r = rnd();
  const pos = Math.floor(rnd() * src.length);
  if (r < 0.35) {
    const out = src.slice();
    const flips = 1 + Math.floor(rnd() * 4);
    for (let k = 0; k < flips; k++) out[Math.floor(rnd() * out.length)] = Math.floor(rnd() * 256);
    return out;
  }
  if (r < 0.5) return src.slice(0, pos); // truncation
  if (r < 0.6) {
    const out = src.slice(); // 4 bytes set to an extreme value
    const v = [0xff, 0x7f, 0x80, 0x00][Math.floor(rnd() * 4)];
    for (let k = 0; k < 4 && pos + k < out.length; k++) out[pos + k] = v;
    return out;
  }
  if (r < 0.7) {
    const len = Math.floor(rnd() * 16) + 1; // deletion
    const head = src.subarray(0, pos);
    const tail = src.subarray(Math.min(src.length, pos + len));
    const out = new Uint8Array(head.length + tail.length);
    out.set(head);
    out.set(tail, head.length);
    return out;
  }
  if (r < 0.8) {
    const len = Math.floor(rnd() * 16) + 1; // insertion of random bytes
    const out = new Uint8Array(src.length + len);
    out.set(src.subarray(0, pos));
    for (let k = 0; k < len; k++) out[pos + k] = Math.floor(rnd() * 256);
    out.set(src.subarray(pos), pos + len);
    return out;
  }
  if (r < 0.9) {
    // Header-targeted: mutate within the first 64 bytes, where counts and sizes live.
    const out = src.slice();
    const p = Math.floor(rnd() * Math.min(64, out.length));
    out[p] = Math.floor(rnd() * 256);
    return out;
  }
  const out = src.slice(); // a random ASCII digit swapped (PLY counts)
  const text = new TextDecoder('latin1').decode(out.subarray(0, 600));
  const digits = [...text.matchAll(/\d/g)];
  if (digits.length) out[digits[Math.floor(rnd() * digits.length)].index!] = 0x30 + Math.floor(rnd() * 10);
  return out;
}

type SplatReader = (name: string, bytes: Uint8Array) => GaussianCloud | Promise<GaussianCloud>;

/**
 * `n` mutations of `valid` read by `read`: each parses or throws an Error naming the file (no
 * RangeError/TypeError crash). `boundedByFile`: a parsed count never exceeds the file's size.
 */
async function fuzzSplat(name: string, valid: Uint8Array, seed: number, n: number, read: SplatReader, boundedByFile: boolean): Promise<{ ok: number; errors: number; slowestMs: number }> {
  const rnd = rng(seed);
  let ok = 0;
  let errors = 0;
  let slowestMs = 0;
  for (let i = 0; i < n; i++) {
    const bytes = mutate(valid, rnd);
    const t = performance.now();
    try {
      const c = await read(name, bytes);
      expect(c.means.length).toBe(c.count * 3);
      if (boundedByFile) expect(c.count).toBeLessThanOrEqual(bytes.length); // allocation bounded by the file size
      ok++;
    } catch (e) {
      errors++;
      if (!(e instanceof Error) || e instanceof RangeError || e instanceof TypeError || !e.message.includes(name)) {
        throw new Error(`mutation ${i} of ${name}: unexpected ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
      }
    }
    slowestMs = Math.max(slowestMs, performance.now() - t);
  }
  return { ok, errors, slowestMs };
}

/** 1,000 mutations through the sync reader, counts bounded by the file (the formats we parse). */
const fuzz = (name: string, valid: Uint8Array, seed: number) => fuzzSplat(name, valid, seed, 1000, readSplatFile, true);

describe('fuzz: 1,000 mutations per format never crash or hang a parser', () => {
  const cases: [string, Uint8Array][] = [
    ['fuzz.ply', writeSplatFile('fuzz.ply', randomCloud(24, 1, 7)).bytes],
    ['fuzz.splat', writeSplatFile('fuzz.splat', randomCloud(24, 0, 8)).bytes],
    ['fuzz.spz', writeSplatFile('fuzz.spz', randomCloud(24, 1, 9)).bytes],
    ['fuzz-v4.spz', spzV4(randomCloud(24, 1, 10))],
  ];
  for (const [name, valid] of cases) {
    it(name, async () => {
      expect(() => readSplatFile(name, valid)).not.toThrow();
      const r = await fuzz(name, valid, name.length * 7919);
      console.log(`${name}: ${r.ok} parsed, ${r.errors} clear errors, slowest ${r.slowestMs.toFixed(1)} ms`);
      expect(r.ok + r.errors).toBe(1000);
      expect(r.errors).toBeGreaterThan(0); // the mutations do reach the checks
      expect(r.slowestMs).toBeLessThan(2000);
    });
  }
});

/** `n` mutations through the async reader (splat-transform formats). */
const fuzzAsync = (name: string, valid: Uint8Array, seed: number, n: number) => fuzzSplat(name, valid, seed, n, readSplatFileAsync, false);

describe('fuzz: the splat-transform formats and our .glb reader never crash or hang', () => {
  it('fuzz.glb (1,000 mutations, our reader)', async () => {
    const { bytes } = await writeSplatFileAsync('fuzz.glb', randomCloud(24, 1, 11));
    const r = await fuzz('fuzz.glb', bytes, 4242);
    console.log(`fuzz.glb: ${r.ok} parsed, ${r.errors} clear errors, slowest ${r.slowestMs.toFixed(1)} ms`);
    expect(r.errors).toBeGreaterThan(0);
    expect(r.slowestMs).toBeLessThan(2000);
  });

  for (const level of [0, 1] as const) {
    it(`fuzz-l${level}.ksplat (100 mutations, splat-transform behind our header checks)`, async () => {
      const name = `fuzz-l${level}.ksplat`;
      const r = await fuzzAsync(name, writeKsplat(randomCloud(40, level === 0 ? 1 : 0, 12), level), 777 + level, 100);
      console.log(`${name}: ${r.ok} parsed, ${r.errors} clear errors, slowest ${r.slowestMs.toFixed(1)} ms`);
      expect(r.errors).toBeGreaterThan(0);
      expect(r.slowestMs).toBeLessThan(2000);
    });
  }

  it('fuzz.sog (150 mutations of a bundle)', async () => {
    const { bytes } = await writeSplatFileAsync('fuzz.sog', randomCloud(24, 0, 13));
    const r = await fuzzAsync('fuzz.sog', bytes, 999, 150);
    console.log(`fuzz.sog: ${r.ok} parsed, ${r.errors} clear errors, slowest ${r.slowestMs.toFixed(1)} ms`);
    expect(r.errors).toBeGreaterThan(0);
    expect(r.slowestMs).toBeLessThan(2000);
  }, 60_000);
});

describe('fuzz: scene-side parsers (300 mutations each)', () => {
  async function fuzzAsync(name: string, valid: Uint8Array, parse: (b: Uint8Array) => unknown): Promise<void> {
    const rnd = rng(name.length * 31);
    let errors = 0;
    for (let i = 0; i < 300; i++) {
      const bytes = mutate(valid, rnd);
      const t = performance.now();
      try {
        await parse(bytes);
      } catch (e) {
        errors++;
        if (!(e instanceof Error) || e instanceof RangeError || e instanceof TypeError || !e.message.includes(name)) {
          throw new Error(`mutation ${i} of ${name}: unexpected ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
        }
      }
      expect(performance.now() - t).toBeLessThan(2000);
    }
    expect(errors).toBeGreaterThan(0);
  }
  const enc = (s: string) => new TextEncoder().encode(s);
  const dec = (b: Uint8Array) => new TextDecoder().decode(b);

  it('PNG and JPEG decoding', async () => {
    await fuzzAsync('f.png', makePng(16, 12), (b) => decodeImage('f.png', b));
    const jpg = new Uint8Array(jpeg.encode({ width: 16, height: 12, data: Buffer.alloc(16 * 12 * 4, 90) }, 80).data);
    await fuzzAsync('f.jpg', jpg, (b) => decodeImage('f.jpg', b));
  });

  it('poses_bounds.npy', async () => {
    await fuzzAsync('p.npy', makeNpy([[1, 2, 3], [4, 5, 6]]), (b) => readNpy('p.npy', b));
  });

  it('COLMAP text and binary models', async () => {
    const cams = enc('1 OPENCV 8 6 5 5 4 3 0.1 0.01 0 0\n2 PINHOLE 8 6 5 5 4 3\n');
    const imgs = enc('1 1 0 0 0 0 0 1 1 a.png\n1 2 3\n2 1 0 0 0 0 0 2 2 b.png\n\n');
    await fuzzAsync('cameras.txt', cams, (b) => parseCamerasText('cameras.txt', dec(b)));
    await fuzzAsync('images.txt', imgs, (b) => parseImagesText('images.txt', dec(b)));
    const u64 = (v: number) => [v, 0, 0, 0, 0, 0, 0, 0];
    const i32 = (v: number) => [v, 0, 0, 0];
    const f64 = (v: number) => Array.from(new Uint8Array(Float64Array.of(v).buffer));
    const camBin = Uint8Array.from([...u64(1), ...i32(1), ...i32(1), ...u64(8), ...u64(6), ...[5, 5, 4, 3].flatMap(f64)]);
    const imgBin = Uint8Array.from([...u64(1), ...i32(1), ...[1, 0, 0, 0, 0, 0, 1].flatMap(f64), ...i32(1), ...enc('a.png'), 0, ...u64(1), ...[1, 2].flatMap(f64), ...u64(3)]);
    expect(parseImagesBinary('images.bin', imgBin)[0].name).toBe('a.png');
    await fuzzAsync('cameras.bin', camBin, (b) => parseCamerasBinary('cameras.bin', b));
    await fuzzAsync('images.bin', imgBin, (b) => parseImagesBinary('images.bin', b));
  });
});

describe('fuzz: 300 mutated transforms.json files load or fail naming transforms.json and a field', () => {
  // Values that reach the checks: signs, zero, huge angles (tan wraps), wrong types, empty containers.
  const VALUES: unknown[] = [-1, 0, 65536, -65536, 1e308, 1e-300, Math.PI, null, 'x', '', [], {}, true, [[1, 0]], './nowhere/r_9'];

  /** Every [container, key] pair of a JSON tree, root excluded. */
  function slots(v: unknown, out: [Record<string, unknown> | unknown[], string | number][] = []): typeof out {
    if (Array.isArray(v)) {
      v.forEach((x, i) => {
        out.push([v, i]);
        slots(x, out);
      });
    } else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        out.push([v as Record<string, unknown>, k]);
        slots(x, out);
      }
    }
    return out;
  }

  it('each mutation loads or throws a FormatError naming transforms.json within 2 s', async () => {
    const rnd = rng(1313);
    const identity = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 4], [0, 0, 0, 1]];
    const valid = {
      camera_angle_x: 0.8,
      k1: 0,
      frames: [
        { file_path: './train/r_0', transform_matrix: identity },
        { file_path: 'images/r_1.png', transform_matrix: identity, camera_angle_x: 0.7 },
      ],
    };
    const images = { 'train/r_0.png': makePng(8, 6), 'r_1.png': makePng(8, 6) };
    let loads = 0;
    let errors = 0;
    const fields = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const meta = structuredClone(valid) as unknown;
      const edits = 1 + Math.floor(rnd() * 3);
      for (let k = 0; k < edits; k++) {
        const all = slots(meta);
        const [obj, key] = all[Math.floor(rnd() * all.length)];
        if (rnd() < 0.15 && !Array.isArray(obj)) delete obj[key as string];
        else (obj as Record<string | number, unknown>)[key] = structuredClone(VALUES[Math.floor(rnd() * VALUES.length)]);
      }
      let text = JSON.stringify(meta);
      if (rnd() < 0.1) text = text.slice(0, Math.floor(rnd() * text.length)); // truncated file
      const t = performance.now();
      try {
        await loadScene(memorySource('fz', { 'transforms.json': new TextEncoder().encode(text), ...images }));
        loads++;
      } catch (e) {
        errors++;
        if (!(e instanceof FormatError) || !e.message.includes('transforms.json')) {
          throw new Error(`mutation ${i} (${text}): unexpected ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
        }
        fields.add(e.field.replace(/\[\d+\]/g, '[i]'));
      }
      expect(performance.now() - t).toBeLessThan(2000);
    }
    console.log(`transforms.json: ${loads} loads, ${errors} FormatErrors; fields: ${[...fields].sort().join(', ')}`);
    expect(loads + errors).toBe(300);
    expect(loads).toBeGreaterThan(0);
    expect(fields.has('camera_angle_x') || fields.has('frames[i].camera_angle_x')).toBe(true);
  });
});
