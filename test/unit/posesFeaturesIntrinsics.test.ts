import { describe, expect, it } from 'vitest';
import { focalFromFov, intrinsicsFromExif } from '../../src/poses/intrinsics';

/** A minimal JPEG (SOI, APP1 Exif, EOI) whose Exif IFD holds the given SHORT / RATIONAL tags (big-endian TIFF). */
function jpegWithExif(tags: { tag: number; type: 3 | 5; value: number }[]): Uint8Array {
  const entries = tags.length;
  // TIFF: header 8, IFD0 (1 entry: ExifIFD pointer) 2+12+4 = 18, Exif IFD 2+12n+4, then rational values.
  const exifIfdOff = 8 + 18;
  const valuesOff = exifIfdOff + 2 + 12 * entries + 4;
  const tiff = new Uint8Array(valuesOff + 8 * entries);
  const dv = new DataView(tiff.buffer);
  tiff.set([0x4d, 0x4d, 0, 42, 0, 0, 0, 8]);
  dv.setUint16(8, 1);
  dv.setUint16(10, 0x8769); dv.setUint16(12, 4); dv.setUint32(14, 1); dv.setUint32(18, exifIfdOff);
  dv.setUint32(22, 0);
  dv.setUint16(exifIfdOff, entries);
  tags.forEach((t, k) => {
    const e = exifIfdOff + 2 + 12 * k;
    dv.setUint16(e, t.tag); dv.setUint16(e + 2, t.type); dv.setUint32(e + 4, 1);
    if (t.type === 3) dv.setUint16(e + 8, t.value);
    else { const o = valuesOff + 8 * k; dv.setUint32(e + 8, o); dv.setUint32(o, Math.round(t.value * 1000)); dv.setUint32(o + 4, 1000); }
  });
  dv.setUint32(exifIfdOff + 2 + 12 * entries, 0);
  const app1 = new Uint8Array(2 + 2 + 6 + tiff.length);
  app1.set([0xff, 0xe1]);
  new DataView(app1.buffer).setUint16(2, 2 + 6 + tiff.length);
  app1.set([0x45, 0x78, 0x69, 0x66, 0, 0], 4);
  app1.set(tiff, 10);
  return Uint8Array.from([0xff, 0xd8, ...app1, 0xff, 0xd9]);
}

describe('intrinsics from EXIF', () => {
  it('FocalLengthIn35mmFilm: f35 / 36 mm * long side', async () => {
    const g = await intrinsicsFromExif(jpegWithExif([{ tag: 0xa405, type: 3, value: 26 }]), 4032, 3024);
    expect(g.source).toBe('exif-35mm');
    expect(g.focalPx).toBeCloseTo((26 / 36) * 4032, 6);
    expect([g.cx, g.cy]).toEqual([2016, 1512]);
  });
  it('FocalLength with FocalPlaneXResolution (inches) gives the sensor width', async () => {
    // 6000 px over a 23.5 mm sensor: 6000 / (23.5 / 25.4) px per inch; ExifImageWidth 6000.
    const bytes = jpegWithExif([
      { tag: 0x920a, type: 5, value: 35 },
      { tag: 0xa002, type: 3, value: 6000 },
      { tag: 0xa20e, type: 5, value: 6000 / (23.5 / 25.4) },
      { tag: 0xa210, type: 3, value: 2 },
    ]);
    const g = await intrinsicsFromExif(bytes, 1500, 1000);
    expect(g.source).toBe('exif-sensor');
    expect(g.focalPx).toBeCloseTo((35 / 23.5) * 1500, 0);
  });
  it('FocalLength without a sensor size falls back to 55 degrees and says why', async () => {
    const g = await intrinsicsFromExif(jpegWithExif([{ tag: 0x920a, type: 5, value: 4.2 }]), 1000, 750);
    expect(g.source).toBe('default-55deg');
    expect(g.note).toMatch(/sensor size is unknown/);
  });
  it('no EXIF (PNG bytes, nothing) and corrupt EXIF: 55-degree default, never throws', async () => {
    const w = 504;
    const expected = w / 2 / Math.tan((55 * Math.PI) / 360);
    expect(focalFromFov(w)).toBeCloseTo(expected, 9);
    const none = await intrinsicsFromExif(undefined, w, 378);
    expect(none).toMatchObject({ source: 'default-55deg', cx: 252, cy: 189 });
    expect(none.focalPx).toBeCloseTo(expected, 9);
    const corrupt = jpegWithExif([{ tag: 0xa405, type: 3, value: 26 }]);
    corrupt.fill(0xee, 14, 30); // TIFF header and IFD0 garbage
    const c = await intrinsicsFromExif(corrupt, w, 378);
    expect(c.source).toBe('default-55deg');
    const junk = await intrinsicsFromExif(Uint8Array.from([0xff, 0xd8, 0xff, 0xe1, 0, 3, 1]), w, 378);
    expect(junk.source).toBe('default-55deg');
    console.log('corrupt EXIF notes:', c.note, '|', junk.note);
  });
});
