/**
 * `npm run convert -- <in> <out>`: converts between splat formats by extension (.ply, .compressed.ply
 * [read only], .splat, .spz). Prints the splat count, SH degree, sizes and what the target dropped.
 * `--spz-axes` / `--in-spz-axes` choose the SPZ axis convention (spec RUB by default; see io/spz.ts).
 * Runs on the CPU (no WebGPU): prints `adapter: none (CPU only)`; `--adapter` is accepted and unused.
 */
import { readFile } from 'node:fs/promises';
import { checkWritableSplatName, readSplatFile, writeSplatFile } from '../io/splatFile';
import { writeFileAtomic } from '../io/nodeSource';
import { takeAdapterArg } from './args';
import type { SpzAxes } from '../io/spz';

const USAGE = `usage: npm run convert -- <in> <out> [--spz-axes rub|rdf] [--in-spz-axes rub|rdf] [--adapter NAME]
  reads:  .ply (INRIA 3DGS), .compressed.ply (PlayCanvas), .splat (antimatter15), .spz (Niantic v2-v4)
  writes: .ply, .splat, .spz (v3)
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
  checkWritableSplatName(outPath);
  const t0 = performance.now();
  const input = await readFile(inPath).catch((e: NodeJS.ErrnoException) => {
    throw new Error(`${inPath}: cannot read (${e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'it is a folder' : e.message})`);
  });
  const cloud = readSplatFile(inPath, new Uint8Array(input), { spz: { axes: inAxes } });
  const { bytes, dropped } = writeSplatFile(outPath, cloud, { spz: { axes: outAxes } });
  await writeFileAtomic(outPath, bytes);
  console.log(`${inPath} -> ${outPath}`);
  console.log('adapter: none (CPU only)');
  console.log(`splats: ${cloud.count}`);
  console.log(`SH degree: ${cloud.shDegree}`);
  console.log(`bytes written: ${bytes.length}`);
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
