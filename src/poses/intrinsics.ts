import exifr from 'exifr';
import type { IntrinsicsGuess } from './types';

/**
 * Initial focal length of a photo from its EXIF tags.
 *
 * Convention for FocalLengthIn35mmFilm (EXIF 2.3 tag 0xA405, "equivalent focal length assuming a
 * 35 mm film camera"): we use the WIDTH convention, i.e. the long side of the photo spans the 36 mm
 * width of a 24x36 mm frame, so focal_px = f35 / 36 * long_side_px. (The standard leaves it open;
 * CIPA DC-008 and most phone makers compute f35 from the diagonal, 43.27 mm. For a 4:3 photo the
 * diagonal rule gives a focal 0.4% shorter than the width rule, for 3:2 they agree; bundle adjustment
 * refines the focal anyway.)
 */

/** Sensor widths (mm, long side) of a few common cameras by EXIF Model, for FocalLength without f35. */
export const SENSOR_WIDTH_MM: Record<string, number> = {
  'Canon EOS 5D Mark III': 36, 'Canon EOS 5D Mark IV': 36, 'Canon EOS R5': 36, 'Canon EOS 80D': 22.5,
  'NIKON D850': 35.9, 'NIKON D750': 35.9, 'NIKON D7500': 23.5,
  'ILCE-7M3': 35.6, 'ILCE-7RM4': 35.7, 'ILCE-6400': 23.5,
  'Canon PowerShot G7 X Mark II': 13.2, 'DSC-RX100M7': 13.2,
  'iPhone 12': 5.76, 'iPhone 13': 7.0, 'iPhone 14 Pro': 9.8, 'Pixel 7': 9.8,
};

/** Horizontal field of view (degrees) assumed when EXIF says nothing usable. */
export const DEFAULT_FOV_DEG = 55;

/** Focal length (pixels) giving a horizontal field of view of `fovDeg` over `width` pixels. */
export function focalFromFov(width: number, fovDeg = DEFAULT_FOV_DEG): number {
  return width / 2 / Math.tan((fovDeg * Math.PI) / 360);
}

/** An IntrinsicsGuess plus a human-readable note on how it was chosen (e.g. why EXIF was not used). */
export type IntrinsicsWithNote = IntrinsicsGuess & { note: string };

/** Subset of exifr's parsed tags used here. */
interface FocalTags {
  /** exifr's name for EXIF tag 0xA405 FocalLengthIn35mmFilm. */
  FocalLengthIn35mmFormat?: number; FocalLengthIn35mmFilm?: number; FocalLength?: number; Model?: string;
  FocalPlaneXResolution?: number; FocalPlaneResolutionUnit?: number | string; ExifImageWidth?: number; ExifImageHeight?: number;
}

const positive = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;

/**
 * Initial intrinsics of a photo of `width` x `height` pixels (as decoded, after EXIF orientation):
 * principal point at the centre (width/2, height/2), and the focal in pixels from, in order:
 *  1. EXIF FocalLengthIn35mmFilm: f35 / 36 mm * long side ('exif-35mm', width convention, see above);
 *  2. EXIF FocalLength (mm) with the sensor width from FocalPlaneXResolution (pixels per unit at the
 *     EXIF image width) or SENSOR_WIDTH_MM by Model ('exif-sensor');
 *  3. a 55-degree horizontal field of view ('default-55deg').
 * `bytes` may be any image (PNG, JPEG, garbage): corrupt or missing EXIF never throws, it falls back
 * and says why in `note`.
 */
export async function intrinsicsFromExif(bytes: Uint8Array | undefined, width: number, height: number): Promise<IntrinsicsWithNote> {
  const cx = width / 2;
  const cy = height / 2;
  const longSide = Math.max(width, height);
  let tags: FocalTags | undefined;
  let why = 'no EXIF';
  if (bytes && bytes.length > 0) {
    try {
      tags = (await exifr.parse(bytes, { tiff: true, exif: true, gps: false, xmp: false, icc: false, iptc: false, jfif: false, ihdr: false, translateValues: false, pick: ['FocalLengthIn35mmFormat', 'FocalLengthIn35mmFilm', 'FocalLength', 'Model', 'FocalPlaneXResolution', 'FocalPlaneResolutionUnit', 'ExifImageWidth', 'ExifImageHeight'] })) as FocalTags | undefined;
      if (!tags) why = 'no EXIF';
    } catch (e) {
      why = `unreadable EXIF (${e instanceof Error ? e.message : String(e)})`;
    }
  }
  if (tags) {
    const f35 = tags.FocalLengthIn35mmFormat ?? tags.FocalLengthIn35mmFilm;
    if (positive(f35)) {
      return { focalPx: (f35 / 36) * longSide, cx, cy, source: 'exif-35mm', note: `FocalLengthIn35mmFilm ${f35} mm (36 mm width convention)` };
    }
    if (positive(tags.FocalLength)) {
      let sensorMm: number | undefined;
      const unitMm = tags.FocalPlaneResolutionUnit === 3 ? 10 : tags.FocalPlaneResolutionUnit === 4 ? 1 : tags.FocalPlaneResolutionUnit === 5 ? 0.001 : 25.4;
      const exifW = Math.max(tags.ExifImageWidth ?? 0, tags.ExifImageHeight ?? 0) || longSide;
      if (positive(tags.FocalPlaneXResolution)) sensorMm = (exifW / tags.FocalPlaneXResolution) * unitMm;
      else if (tags.Model && SENSOR_WIDTH_MM[tags.Model.trim()]) sensorMm = SENSOR_WIDTH_MM[tags.Model.trim()];
      if (positive(sensorMm)) {
        return { focalPx: (tags.FocalLength / sensorMm) * longSide, cx, cy, source: 'exif-sensor', note: `FocalLength ${tags.FocalLength} mm on a ${sensorMm.toFixed(2)} mm wide sensor` };
      }
      why = `FocalLength ${tags.FocalLength} mm but the sensor size is unknown${tags.Model ? ` (model ${tags.Model})` : ''}`;
    } else {
      why = 'EXIF has no focal length';
    }
  }
  return { focalPx: focalFromFov(width), cx, cy, source: 'default-55deg', note: `${why}: assumed a ${DEFAULT_FOV_DEG}-degree horizontal field of view` };
}
