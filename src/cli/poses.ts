/**
 * `npm run poses -- <folder> [--out dir] [--max-side PX] [--features-side PX]`: estimates the poses
 * of the photos (PNG/JPEG) in <folder> (top level, else its images/ subfolder) and writes a COLMAP
 * text model (cameras.txt, images.txt, points3D.txt) to `<out>/sparse/0/`. Default out: <folder>
 * itself, so that `npm run reconstruct -- <folder>` then loads it as a COLMAP scene; the command
 * refuses to overwrite an existing `sparse/0/` model (pass --out elsewhere or --force). Prints a JSON
 * summary on stdout (per-photo intrinsics source, keypoints, pair matches, failures, timings).
 */
import { promises as fs } from 'node:fs';
import { join, basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readPhotoFolder } from '../io/photoFolder';
import { writeFileAtomic } from '../io/nodeSource';
import { colmapTextModel } from '../io/colmapText';
import { estimatePoses, tooManyPhotosNote } from '../poses/estimatePoses';

const USAGE = `usage: npm run poses -- <folder of photos> [--out DIR] [--max-side PX] [--features-side PX] [--force]
  Estimates the poses of 3-10 unposed photos (2 work; more work slowly) (PNG/JPEG in <folder>, else <folder>/images) and writes a
  COLMAP text model to DIR/sparse/0/ (default DIR: <folder>, so 'npm run reconstruct -- <folder>' loads it).
  --max-side PX       shrink photos so the long side is at most PX before estimating (the model still refers to the photos' own size)
  --features-side PX  long side of the working image features are detected on (default 1280)
  --force             overwrite an existing sparse/0 model
  Prints a JSON summary on stdout.`;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2).filter((a) => a !== '--'),
    allowPositionals: true,
    options: { out: { type: 'string' }, 'max-side': { type: 'string' }, 'features-side': { type: 'string' }, force: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) { console.log(USAGE); return; }
  if (positionals.length !== 1) throw new Error(`expected one folder of photos\n${USAGE}`);
  const folder = positionals[0];
  const { photos, dir } = await readPhotoFolder(folder);
  const manyNote = tooManyPhotosNote(photos.length);
  if (manyNote) process.stderr.write(`poses: note: ${manyNote}\n`);
  const outRoot = values.out ?? folder;
  const modelDir = join(outRoot, 'sparse', '0');
  if (!values.force && (await fs.stat(join(modelDir, 'images.txt')).catch(() => null))) {
    throw new Error(`${modelDir} already holds a COLMAP model; pass --force to overwrite or --out elsewhere`);
  }
  const intArg = (name: string, v?: string) => { if (v === undefined) return undefined; const n = Number(v); if (!(Number.isInteger(n) && n >= 16)) throw new Error(`--${name} must be an integer >= 16, got ${v}`); return n; };
  let lastStage = '';
  const est = await estimatePoses(photos, {
    maxLongSide: intArg('max-side', values['max-side']),
    workingLongSide: intArg('features-side', values['features-side']),
    onProgress: (stage) => { if (stage !== lastStage) { lastStage = stage; process.stderr.write(`poses: ${stage}\n`); } },
  });
  const keep = est.cameras.map((c, k) => (c ? k : -1)).filter((k) => k >= 0);
  for (const f of est.failures) process.stderr.write(`poses: left out ${f.name}: ${f.reason}\n`);
  if (keep.length < 2) throw new Error(`only ${keep.length} of ${est.names.length} photos could be posed: ${est.failures.map((f) => f.reason).join('; ')}`);
  // Cameras and keypoints refer to the photos as they are on disk, not to the --max-side working size.
  const full = keep.map((k) => est.sourceSizes[k]);
  const files = colmapTextModel(keep.map((k, i) => est.cameras[k]!.resized(full[i].width, full[i].height)), keep.map((k) => est.names[k]), {
    points: est.points,
    observations: keep.map((k, i) => {
      const [sx, sy] = [full[i].width / est.images[k].width, full[i].height / est.images[k].height];
      return { xy: est.features[k].xy.map((v, q) => v * (q % 2 ? sy : sx)), pointOfKeypoint: est.pointOfKeypoint[k] };
    }),
    posesEstimated: true,
  });
  await fs.mkdir(modelDir, { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFileAtomic(join(modelDir, name), new TextEncoder().encode(text));
  // The COLMAP loader finds photos under images/ next to sparse/ (or by file name anywhere in the folder).
  const photosBeside = resolve(outRoot) === resolve(folder);
  process.stderr.write(photosBeside
    ? `poses: wrote ${modelDir}; train with: npm run reconstruct -- ${folder}\n`
    : `poses: wrote ${modelDir}; to train on it, the photos must be beside sparse/: copy or link ${dir} to ${join(outRoot, 'images')}, then: npm run reconstruct -- ${outRoot}\n`);
  console.log(JSON.stringify({
    folder: basename(folder), model: modelDir, photos: est.names.length, registered: keep.map((k) => est.names[k]),
    failures: est.failures, intrinsics: est.intrinsics.map((g, k) => ({ name: est.names[k], source: g.source, focalPx: g.focalPx, note: g.note })),
    keypoints: est.stats.keypoints, matches: est.stats.matches, report: est.report, timingsMs: est.stats.timingsMs,
  }, null, 2));
}

main().catch((e: unknown) => {
  console.error(`poses: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
