import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memorySource } from '../../src/io/FileSource';
import { FormatError } from '../../src/io/FormatError';
import { decodeImage, readImageHeader } from '../../src/io/imageDecode';
import { loadScene } from '../../src/io/loadScene';
import { loadScenePath } from '../../src/io/nodeSource';
import { assembleScene } from '../../src/io/sceneAssembly';
import { Camera } from '../../src/core/Camera';
import { readSplatFile, readSplatFileAsync, writeSplatFile, writeSplatFileAsync } from '../../src/io/splatFile';
import { writeKsplat } from './ksplatFixture';
import { llffRows, llffScene, lookAt, makeNpy, makePng, randomCloud } from './ioFixtures';

/** Runs `fn`, expecting a FormatError/Error within 2 s whose message matches every pattern. */
async function expectError(fn: () => unknown, ...patterns: RegExp[]): Promise<Error> {
  const t = performance.now();
  let err: unknown;
  try {
    await fn();
  } catch (e) {
    err = e;
  }
  const ms = performance.now() - t;
  expect(err, 'expected an error').toBeInstanceOf(Error);
  expect(err).not.toBeInstanceOf(RangeError);
  expect(err).not.toBeInstanceOf(TypeError);
  for (const p of patterns) expect((err as Error).message).toMatch(p);
  expect(ms).toBeLessThan(2000);
  return err as Error;
}

const enc = (s: string) => new TextEncoder().encode(s);
const validPly = () => writeSplatFile('good.ply', randomCloud(10, 1, 3)).bytes;
const headerEnd = (b: Uint8Array) => new TextDecoder('latin1').decode(b).indexOf('end_header') + 'end_header\n'.length;

describe('bad PLY input', () => {
  it('truncated header', async () => {
    const b = validPly();
    await expectError(() => readSplatFile('cut.ply', b.subarray(0, headerEnd(b) - 20)), /cut\.ply/, /header/, /end_header/);
  });

  it('truncated body', async () => {
    const b = validPly();
    await expectError(() => readSplatFile('short.ply', b.subarray(0, b.length - 7)), /short\.ply/, /element vertex/, /truncated body/);
  });

  it('missing required property', async () => {
    const b = validPly();
    const he = headerEnd(b);
    const header = new TextDecoder().decode(b.subarray(0, he)).replace('property float rot_3\n', 'property float rot_x\n');
    const out = new Uint8Array(b.length);
    out.set(enc(header));
    out.set(b.subarray(he), he);
    const e = await expectError(() => readSplatFile('norot.ply', out), /norot\.ply/, /property rot_3/, /missing required property/);
    expect(e).toBeInstanceOf(FormatError);
    expect((e as FormatError).field).toBe('property rot_3');
  });

  it('NaN values in a splat file', async () => {
    const c = randomCloud(4, 0);
    c.means[5] = NaN;
    await expectError(() => readSplatFile('nan.ply', writeSplatFile('nan.ply', c).bytes), /nan\.ply/, /means/, /splat 1/);
  });
});

describe('bad scene input', () => {
  it('NaN or Inf in LLFF poses', async () => {
    const { files } = llffScene(4, 4);
    const rows = llffRows([0, 1, 2, 3].map((i) => lookAt([i, 0, -5], [0, 0, 0], 256, 192, 240)), 192, 256, 240);
    rows[2][3] = NaN;
    files['poses_bounds.npy'] = makeNpy(rows);
    await expectError(() => loadScene(memorySource('s', files)), /poses_bounds\.npy/, /row 2/, /non-finite/);
    rows[2][3] = 0;
    rows[3][16] = Infinity;
    files['poses_bounds.npy'] = makeNpy(rows);
    await expectError(() => loadScene(memorySource('s', files)), /poses_bounds\.npy/, /row 3/, /non-finite/);
  });

  it('NaN in a transforms.json matrix (null after JSON encoding) and in a COLMAP images.txt', async () => {
    const meta = { camera_angle_x: 1, frames: [{ file_path: 'a.png', transform_matrix: [[1, 0, 0, NaN], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]] }] };
    await expectError(
      () => loadScene(memorySource('s', { 'transforms.json': enc(JSON.stringify(meta)), 'a.png': makePng(4, 4) })),
      /transforms\.json/, /frames\[0\]\.transform_matrix/,
    );
    const files = {
      'sparse/0/cameras.txt': enc('1 PINHOLE 4 4 3 3 2 2\n'),
      'sparse/0/images.txt': enc('1 1 0 0 0 nan 0 0 1 a.png\n\n'),
      'images/a.png': makePng(4, 4),
    };
    await expectError(() => loadScene(memorySource('s', files)), /images\.txt/, /image 1/, /not a finite number/);
  });

  it('pose count different from image count', async () => {
    const { files } = llffScene(5, 4);
    delete files['images_4/IMG_1003.png'];
    await expectError(() => loadScene(memorySource('s', files)), /poses_bounds\.npy/, /rows/, /5 poses but 4 images/);
  });

  it('missing image', async () => {
    const meta = { camera_angle_x: 1, frames: [{ file_path: './train/r_0', transform_matrix: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 4], [0, 0, 0, 1]] }] };
    await expectError(
      () => loadScene(memorySource('lego', { 'transforms_train.json': enc(JSON.stringify(meta)), 'transforms_test.json': enc(JSON.stringify({ ...meta, frames: [] })) })),
      /lego\/transforms_train\.json/, /frames\[0\]\.file_path/, /not found/,
    );
    const files = { 'sparse/0/cameras.txt': enc('1 PINHOLE 4 4 3 3 2 2\n'), 'sparse/0/images.txt': enc('1 1 0 0 0 0 0 0 1 gone.png\n\n') };
    await expectError(() => loadScene(memorySource('c', files)), /c\/sparse\/0\/images\.txt/, /image 1 name/, /images\/gone\.png/, /not found/);
  });

  it('image size that disagrees with the intrinsics', async () => {
    const { files } = llffScene(3, 4);
    files['images_4/IMG_1001.png'] = makePng(64, 40); // aspect differs from H/W of the poses
    await expectError(() => loadScene(memorySource('s', files)), /IMG_1001\.png/, /image size/, /64x40/);
    const colmap = { 'sparse/0/cameras.txt': enc('1 PINHOLE 8 6 3 3 4 3\n'), 'sparse/0/images.txt': enc('1 1 0 0 0 0 0 0 1 a.png\n\n'), 'images/a.png': makePng(8, 5) };
    await expectError(() => loadScene(memorySource('c', colmap)), /images\/a\.png/, /image size/, /8x5 disagrees with camera 1/);
    const ns = { fl_x: 5, w: 8, h: 6, frames: [{ file_path: 'a.png', transform_matrix: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]] }] };
    await expectError(() => loadScene(memorySource('n', { 'transforms.json': enc(JSON.stringify(ns)), 'a.png': makePng(8, 8) })), /a\.png/, /image size/);
  });

  it('unsupported camera model', async () => {
    const files = { 'sparse/0/cameras.txt': enc('# c\n7 OPENCV_FISHEYE 8 6 3 3 4 3 0.1 0 0 0\n'), 'sparse/0/images.txt': enc('1 1 0 0 0 0 0 0 7 a.png\n\n'), 'images/a.png': makePng(8, 6) };
    await expectError(() => loadScene(memorySource('fish', files)), /fish\/sparse\/0\/cameras\.txt/, /camera 7 model/, /unsupported camera model OPENCV_FISHEYE/);
    const ns = { camera_model: 'EQUIRECTANGULAR', fl_x: 5, frames: [{ file_path: 'a.png', transform_matrix: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]] }] };
    await expectError(() => loadScene(memorySource('n', { 'transforms.json': enc(JSON.stringify(ns)), 'a.png': makePng(8, 8) })), /transforms\.json/, /camera_model/, /EQUIRECTANGULAR/);
  });

  it('invalid intrinsics name the scene file and its field, not only the image (camera_angle_x = -1, 65536)', async () => {
    const frame = (extra: object = {}) => ({ file_path: 'a.png', transform_matrix: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 4], [0, 0, 0, 1]], ...extra });
    const load = (meta: object) => loadScene(memorySource('s', { 'transforms.json': enc(JSON.stringify(meta)), 'a.png': makePng(8, 6) }));
    for (const angle of [-1, 65536, 0, Math.PI]) {
      const e = await expectError(() => load({ camera_angle_x: angle, frames: [frame()] }), /^s\/transforms\.json: camera_angle_x: /, /field of view/, new RegExp(`got ${angle}`));
      expect(e).toBeInstanceOf(FormatError);
    }
    await expectError(() => load({ camera_angle_x: 0.8, frames: [frame({ camera_angle_x: -1 })] }), /s\/transforms\.json: frames\[0\]\.camera_angle_x: /);
    await expectError(() => load({ camera_angle_x: 0.8, camera_angle_y: 65536, frames: [frame()] }), /s\/transforms\.json: camera_angle_y: /);
    await expectError(() => load({ fl_x: -5, frames: [frame()] }), /s\/transforms\.json: fl_x: focal length must be positive/);
    await expectError(() => load({ fl_x: 5, w: 0, h: 6, frames: [frame()] }), /s\/transforms\.json: w h: /);
    const colmap = { 'sparse/0/cameras.txt': enc('1 PINHOLE 8 6 -5 5 4 3\n'), 'sparse/0/images.txt': enc('1 1 0 0 0 0 0 0 1 a.png\n\n'), 'images/a.png': makePng(8, 6) };
    await expectError(() => loadScene(memorySource('c', colmap)), /c\/sparse\/0\/cameras\.txt: camera 1 params: focal lengths must be positive/);
  });

  it('a plain Error from the Camera constructor is re-thrown naming the frame\'s scene file and field', async () => {
    const frame = {
      path: 'a.png',
      name: 'a.png',
      sceneRef: { file: 's/poses.json', field: 'views[2]' },
      makeCamera: (w: number, h: number) => new Camera([1, 0, 0, 0, 1, 0, 0, 0, 1], [0, 0, 0], -1, 1, w / 2, h / 2, w, h, 'a.png'),
    };
    const e = await expectError(
      () => assembleScene(memorySource('s', { 'a.png': makePng(4, 4) }), [frame], { name: 's', protocol: 'even', background: [0, 0, 0] }, {}),
      /^s\/poses\.json: views\[2\]: camera "a\.png": .*fx=-1/,
    );
    expect(e).toBeInstanceOf(FormatError);
  });

  it('empty folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'empty-'));
    await expectError(() => loadScenePath(dir), new RegExp(dir.replace(/[/.]/g, '\\$&')), /scene/, /empty/);
    await expectError(() => loadScene(memorySource('nothing-here', { 'notes.txt': enc('hi') })), /nothing-here/, /no scene found/);
  });

  it('non-image file', async () => {
    const { files } = llffScene(3, 4);
    files['images_4/IMG_1002.png'] = enc('this is not a png, just text');
    await expectError(() => loadScene(memorySource('s', files)), /IMG_1002\.png/, /image/, /not a PNG or JPEG/);
  });

  it('an image header claiming 30000x30000 pixels is refused before decoding', async () => {
    const png = makePng(4, 4);
    const dv = new DataView(png.buffer, png.byteOffset);
    dv.setUint32(16, 30000);
    dv.setUint32(20, 30000);
    await expectError(() => decodeImage('huge.png', png), /huge\.png/, /image size/, /30000x30000/);
    const { files } = llffScene(3, 4);
    files['images_4/IMG_1000.png'] = png;
    await expectError(() => loadScene(memorySource('s', files)), /IMG_1000\.png/, /30000x30000/);
    // JPEG: SOF0 with 30000x30000 after SOI.
    const jpg = Uint8Array.from([0xff, 0xd8, 0xff, 0xc0, 0, 11, 8, 0x75, 0x30, 0x75, 0x30, 1, 1, 0x11, 0, 0xff, 0xd9]);
    await expectError(() => decodeImage('huge.jpg', jpg), /huge\.jpg/, /30000x30000/);
    expect(readImageHeader('ok.png', makePng(5, 3))).toEqual({ kind: 'png', width: 5, height: 3 });
  });
});

describe('bad SOG / .ksplat / .glb input (new readers)', () => {
  const setU32 = (b: Uint8Array, o: number, v: number) => new DataView(b.buffer, b.byteOffset).setUint32(o, v, true);

  it('.sog: truncated, wrong magic, huge count, missing texture', async () => {
    const { bytes } = await writeSplatFileAsync('a.sog', randomCloud(30, 0, 5));
    await expectError(() => readSplatFileAsync('cut.sog', bytes.subarray(0, bytes.length - 40)), /cut\.sog/, /zip|meta\.json|textures/);
    const bad = bytes.slice();
    bad[0] = 0x51;
    await expectError(() => readSplatFileAsync('magic.sog', bad), /magic\.sog/, /zip header/);
    const { bytes: meta, extraFiles } = await writeSplatFileAsync('meta.json', randomCloud(30, 0, 5));
    const m = JSON.parse(new TextDecoder().decode(meta));
    const huge = enc(JSON.stringify({ ...m, count: 4e9 }));
    await expectError(() => readSplatFileAsync('big/meta.json', huge, { siblings: extraFiles }), /big\/meta\.json/, /meta\.json count/, /limit/);
    const tooMany = enc(JSON.stringify({ ...m, count: 5000 }));
    await expectError(() => readSplatFileAsync('many/meta.json', tooMany, { siblings: extraFiles }), /many\/meta\.json/, /meta\.json count/, /pixels/);
    const missing = new Map(extraFiles);
    missing.delete('quats.webp');
    await expectError(() => readSplatFileAsync('gone/meta.json', meta, { siblings: missing }), /gone\/meta\.json/, /quats\.files\[0\]/);
    await expectError(() => readSplatFileAsync('json/meta.json', enc('{"version": 2, '), { siblings: extraFiles }), /json\/meta\.json/, /not valid JSON/);
  });

  it('.ksplat: truncated, wrong version, huge splat count, section past the end', async () => {
    const b = writeKsplat(randomCloud(50, 0, 6), 0);
    await expectError(() => readSplatFileAsync('short.ksplat', b.subarray(0, 1000)), /short\.ksplat/, /header/, /4096/);
    await expectError(() => readSplatFileAsync('cut.ksplat', b.subarray(0, b.length - 10)), /cut\.ksplat/, /section 0 maxSplatCount/, /past the end/);
    const v = b.slice();
    v[1] = 0;
    await expectError(() => readSplatFileAsync('ver.ksplat', v), /ver\.ksplat/, /header version/);
    const huge = b.slice();
    setU32(huge, 16, 0xffffffff);
    await expectError(() => readSplatFileAsync('huge.ksplat', huge), /huge\.ksplat/, /header splatCount/, /limit/);
    const sec = b.slice();
    setU32(sec, 4096 + 4, 0x7fffffff);
    setU32(sec, 4096, 0x7fffffff);
    setU32(sec, 16, 0x7fffffff);
    await expectError(() => readSplatFileAsync('sec.ksplat', sec), /sec\.ksplat/, /splatCount|maxSplatCount/);
    const sections = b.slice();
    setU32(sections, 4, 0x10000000);
    await expectError(() => readSplatFileAsync('sections.ksplat', sections), /sections\.ksplat/, /header maxSectionCount/);
  });

  it('.glb: truncated, wrong magic, huge count, missing attribute', async () => {
    const { bytes } = await writeSplatFileAsync('a.glb', randomCloud(30, 1, 7));
    await expectError(() => readSplatFile('cut.glb', bytes.subarray(0, bytes.length - 100)), /cut\.glb/, /header length/, /truncated/);
    await expectError(() => readSplatFile('tiny.glb', bytes.subarray(0, 8)), /tiny\.glb/, /header/);
    const magic = bytes.slice();
    magic[0] = 0x66;
    await expectError(() => readSplatFile('magic.glb', magic), /magic\.glb/, /format|magic/);
    const jsonLen = new DataView(bytes.buffer, bytes.byteOffset).getUint32(12, true);
    const gltf = JSON.parse(new TextDecoder().decode(bytes.subarray(20, 20 + jsonLen)));
    const rebuild = (g: unknown) => {
      const j = enc(JSON.stringify(g));
      const jl = (j.length + 3) & ~3;
      const bin = bytes.subarray(20 + jsonLen);
      const out = new Uint8Array(20 + jl + bin.length);
      out.set(bytes.subarray(0, 12));
      setU32(out, 8, out.length);
      setU32(out, 12, jl);
      setU32(out, 16, 0x4e4f534a);
      out.fill(0x20, 20, 20 + jl);
      out.set(j, 20);
      out.set(bin, 20 + jl);
      return out;
    };
    const big = structuredClone(gltf);
    const pos = big.meshes[0].primitives[0].attributes.POSITION;
    big.accessors[pos].count = 2 ** 31;
    await expectError(() => readSplatFile('huge.glb', rebuild(big)), /huge\.glb/, /attribute POSITION/, /limit/);
    const overrun = structuredClone(gltf);
    for (const a of overrun.accessors) a.count = 100000;
    await expectError(() => readSplatFile('overrun.glb', rebuild(overrun)), /overrun\.glb/, /attribute POSITION/, /need/);
    const noRot = structuredClone(gltf);
    delete noRot.meshes[0].primitives[0].attributes['KHR_gaussian_splatting:ROTATION'];
    await expectError(() => readSplatFile('norot.glb', rebuild(noRot)), /norot\.glb/, /attribute KHR_gaussian_splatting:ROTATION/, /missing/);
  });
});
