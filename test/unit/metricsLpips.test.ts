import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';
import { Lpips, LpipsModelError } from '../../src/eval/lpips';
import { mse } from '../../src/eval/metrics';
import { randomArray } from './lossTestUtils';

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const image = (name: string) =>
  onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimValue: 1 }, { dimValue: 3 }, { dimParam: 'H' }, { dimParam: 'W' }] } } } });

/** A stand-in "LPIPS" graph built here: mean((in0 - in1)^2), i.e. 4 * MSE of the [0,1] images. */
function tinyModel(inputs = ['in0', 'in1']): Uint8Array {
  const nodes = inputs.length === 2
    ? [{ opType: 'Sub', input: inputs, output: ['d'] }, { opType: 'Mul', input: ['d', 'd'], output: ['d2'] }]
    : [{ opType: 'Mul', input: [inputs[0], inputs[0]], output: ['d2'] }];
  const model = onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'sparsesplat-test',
    graph: {
      name: 'tiny-lpips',
      input: inputs.map(image),
      output: [onnx.ValueInfoProto.create({ name: 'out', type: { tensorType: { elemType: FLOAT } } })],
      node: [...nodes, { opType: 'ReduceMean', input: ['d2'], output: ['out'], attribute: [{ name: 'keepdims', i: 1, type: onnx.AttributeProto.AttributeType.INT }] }],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

const W = 12, H = 9;
const a = { width: W, height: H, data: Float32Array.from(randomArray(W * H * 3, 1)) };
const b = { width: W, height: H, data: Float32Array.from(randomArray(W * H * 3, 2)) };

describe('LPIPS through onnxruntime-web (user-supplied ONNX model)', () => {
  it('runs a model from a file path: inputs are [1,3,H,W] in [-1,1]', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lpips-'));
    const path = join(dir, 'tiny.onnx');
    writeFileSync(path, tinyModel());
    const lp = await Lpips.load(path);
    // ((2a-1) - (2b-1))^2 = 4 (a-b)^2: the mapping to [-1,1] and the NCHW layout are exercised.
    expect(await lp.distance(a, b)).toBeCloseTo(4 * mse(a, b), 6);
    expect(await lp.distance(a, a)).toBe(0);
    await lp.release();
  });

  it('rejects a file that is not ONNX, naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lpips-'));
    const path = join(dir, 'notes.txt');
    writeFileSync(path, 'hello, this is not a network\n');
    await expect(Lpips.load(path)).rejects.toThrow(LpipsModelError);
    await expect(Lpips.load(path)).rejects.toThrow(/notes\.txt.*not an ONNX/);
    await expect(Lpips.load(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).rejects.toThrow(LpipsModelError);
    await expect(Lpips.load(join(dir, 'missing.onnx'))).rejects.toThrow(/cannot read file/);
  });

  it('rejects a model without two image inputs', async () => {
    await expect(Lpips.load(tinyModel(['only']))).rejects.toThrow(/expected 2 image inputs/);
  });

  it('rejects images of different sizes', async () => {
    const lp = await Lpips.load(tinyModel());
    await expect(lp.distance(a, { width: 3, height: 3, data: new Float32Array(27) })).rejects.toThrow(/sizes differ/);
    const bad = { width: W, height: H, data: a.data.slice() };
    bad.data[5] = Infinity;
    await expect(lp.distance(a, bad)).rejects.toThrow(/data\[5\] is Infinity/);
  });
});
