/**
 * `npm run convert -- <in> <out>`: converts between splat formats by extension: .ply, .compressed.ply
 * [read only], .splat, .spz, .glb (ours), .sog / meta.json (SOG) and .ksplat [read only] through
 * @playcanvas/splat-transform, .glb written by it. Prints the splat count, SH degree, sizes and what
 * the target dropped. Outputs are written atomically (a temporary file renamed into place).
 * `--spz-axes` / `--in-spz-axes` choose the SPZ axis convention (spec RUB by default; see io/spz.ts).
 * Runs on the CPU (no WebGPU): prints `adapter: none (CPU only)`; `--adapter` is accepted and unused.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { checkWritableSplatName, readSplatFileAsync, writeSplatFileAsync } from '../io/splatFile';
import { writeFileAtomic } from '../io/nodeSource';
import { takeAdapterArg } from './args';
import type { SpzAxes } from '../io/spz';

const USAGE = `usage: npm run convert -- <in> <out> [--spz-axes rub|rdf] [--in-spz-axes rub|rdf] [--adapter NAME]
  reads:  .ply (INRIA 3DGS), .compressed.ply (PlayCanvas), .splat (antimatter15), .spz (Niantic v2-v4),
          .glb (glTF KHR_gaussian_splatting), .sog / meta.json (PlayCanvas SOG; meta.json reads the
          .webp files beside it), .ksplat (mkkellogg)
  writes: .ply, .splat, .spz (v3), .sog (bundle), meta.json (unbundled SOG: writes the .webp files
          beside it), .glb (KHR_gaussian_splatting)
  codecs: ours for ply, compressed.ply, splat, spz and reading glb; @playcanvas/splat-transform for
          SOG, ksplat and writing glb
  --spz-axes AXES     axes of an .spz written: rub (the SPZ spec's, default) or rdf (PLY axes raw, as
                      @playcanvas/splat-transform writes and expects)
  --in-spz-axes AXES  axes of an .spz read (default rub)
  --adapter NAME      accepted and unused (conversion runs on the CPU)`;

/** Value of `--name VALUE` (removed from args), or undefined. */
function takeOption(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a value`);
  args.splice(i, 2);
  return v;
}

function spzAxes(flag: string, v: string | undefined): SpzAxes | undefined {
  if (v === undefined) return undefined;
  if (v !== 'rub' && v !== 'rdf') throw new Error(`${flag}: expected rub or rdf, got "${v}"`);
  return v;
}

/** The files an unbundled SOG meta.json names (its .webp textures), read from beside it. */
async function sogSiblings(path: string, meta: Uint8Array, load: (p: string) => Promise<Buffer>): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  let names: string[] = [];
  try {
    const m = JSON.parse(new TextDecoder().decode(meta)) as Record<string, { files?: unknown }>;
    names = Object.values(m).flatMap((v) => (v && typeof v === 'object' && Array.isArray(v.files) ? v.files.filter((f): f is string => typeof f === 'string') : []));
  } catch {
    return out; // the reader reports the bad JSON, naming the file
  }
  for (const n of names) {
    if (n.includes('..') || n.startsWith('/')) continue; // only files beside meta.json; the reader names what is missing
    out.set(n, new Uint8Array(await load(join(dirname(path), n))));
  }
  return out;
}

async function main(argv: string[]): Promise<number> {
  const args = takeAdapterArg(argv.filter((a) => a !== '--')); // --adapter: accepted, unused (CPU only)
  if (args.includes('-h') || args.includes('--help')) {
    console.log(USAGE);
    return 0;
  }
  const outAxes = spzAxes('--spz-axes', takeOption(args, '--spz-axes'));
  const inAxes = spzAxes('--in-spz-axes', takeOption(args, '--in-spz-axes'));
  if (args.length !== 2) {
    console.error(USAGE);
    return 2;
  }
  const [inPath, outPath] = args;
  checkWritableSplatName(outPath, true);
  const t0 = performance.now();
  const load = (path: string) =>
    readFile(path).catch((e: NodeJS.ErrnoException) => {
      throw new Error(`${path}: cannot read (${e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'it is a folder' : e.message})`);
    });
  const input = new Uint8Array(await load(inPath));
  const siblings = /meta\.json$/i.test(inPath) ? await sogSiblings(inPath, input, load) : undefined;
  const cloud = await readSplatFileAsync(inPath, input, { spz: { axes: inAxes }, siblings });
  const { bytes, dropped, extraFiles } = await writeSplatFileAsync(outPath, cloud, { spz: { axes: outAxes } });
  // Textures first, meta.json last: a reader never finds a meta.json whose textures are not complete.
  for (const [name, data] of extraFiles) await writeFileAtomic(join(dirname(outPath), name), data);
  await writeFileAtomic(outPath, bytes);
  console.log(`${inPath} -> ${outPath}`);
  console.log('adapter: none (CPU only)');
  console.log(`splats: ${cloud.count}`);
  console.log(`SH degree: ${cloud.shDegree}`);
  const extra = [...extraFiles.values()].reduce((a, b) => a + b.length, 0);
  console.log(`bytes written: ${bytes.length + extra}${extraFiles.size ? ` (${extraFiles.size + 1} files)` : ''}`);
  console.log(`dropped: ${dropped.length ? dropped.join('; ') : 'nothing'}`);
  console.log(`time: ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error(`convert: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
