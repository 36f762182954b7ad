/**
 * `npm run convert -- <in> <out>`: converts between splat formats by extension (.ply, .compressed.ply
 * [read only], .splat, .spz). Prints the splat count, SH degree, sizes and what the target dropped.
 * Runs on the CPU (no WebGPU): prints `adapter: none (CPU only)`; `--adapter` is accepted and unused.
 */
import { readFile } from 'node:fs/promises';
import { checkWritableSplatName, readSplatFile, writeSplatFile } from '../io/splatFile';
import { writeFileAtomic } from '../io/nodeSource';
import { takeAdapterArg } from './args';

async function main(argv: string[]): Promise<number> {
  const args = takeAdapterArg(argv.filter((a) => a !== '--')); // --adapter: accepted, unused (CPU only)
  if (args.length !== 2 || args.includes('-h') || args.includes('--help')) {
    console.error('usage: npm run convert -- <in.(ply|compressed.ply|splat|spz)> <out.(ply|splat|spz)> [--adapter NAME: accepted, unused]');
    return args.includes('-h') || args.includes('--help') ? 0 : 2;
  }
  const [inPath, outPath] = args;
  checkWritableSplatName(outPath);
  const t0 = performance.now();
  const input = await readFile(inPath).catch((e: NodeJS.ErrnoException) => {
    throw new Error(`${inPath}: cannot read (${e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'it is a folder' : e.message})`);
  });
  const cloud = readSplatFile(inPath, new Uint8Array(input));
  const { bytes, dropped } = writeSplatFile(outPath, cloud);
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
