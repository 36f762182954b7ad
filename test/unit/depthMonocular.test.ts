import { describe, expect, it } from 'vitest';
import { onnx } from 'onnx-proto';
import { createMonocularDepth, resizeBilinear } from '../../src/depth/monocularDepth';
import type { ImageRGB } from '../../src/core/Image';

type Dim = number | string;

/** A one-node ONNX graph: ReduceMean over the channel axis, input [1, C, H, W] -> output [1, 1, H, W]. */
function channelMeanModel(inputShape: Dim[], outputShape: Dim[]): Uint8Array {
  const dims = (s: Dim[]) => ({ dim: s.map((v) => (typeof v === 'number' ? { dimValue: v } : { dimParam: v })) });
  const model = onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'sparsesplat-test',
    graph: onnx.GraphProto.create({
      name: 'channel_mean',
      node: [
        {
          opType: 'ReduceMean',
          input: ['pixel_values'],
          output: ['predicted_depth'],
          attribute: [
            { name: 'axes', type: onnx.AttributeProto.AttributeType.INTS, ints: [1] },
            { name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 1 },
          ],
        },
      ],
      input: [{ name: 'pixel_values', type: { tensorType: { elemType: 1, shape: dims(inputShape) } } }],
      output: [{ name: 'predicted_depth', type: { tensorType: { elemType: 1, shape: dims(outputShape) } } }],
    }),
  });
  return onnx.ModelProto.encode(model).finish();
}

function testImage(W: number, H: number): ImageRGB {
  const data = new Float32Array(W * H * 3);
  for (let i = 0; i < W * H; i++) {
    data[i * 3] = (i % W) / W;
    data[i * 3 + 1] = Math.floor(i / W) / H;
    data[i * 3 + 2] = ((i * 7) % 11) / 11;
  }
  return { width: W, height: H, data };
}

describe('monocular depth through onnxruntime-web (wasm in Node)', () => {
  it('runs a tiny ONNX model end to end with ImageNet normalization (symbolic H, W)', async () => {
    const model = channelMeanModel([1, 3, 'height', 'width'], [1, 1, 'height', 'width']);
    const W = 28;
    const H = 14;
    const img = testImage(W, H);
    const mono = await createMonocularDepth(model, { output: 'disparity' });
    expect(mono.output).toBe('disparity');
    expect(mono.inputName).toBe('pixel_values');
    const out = await mono.predict(img); // 28x14 are multiples of 14: no resize
    expect(out).toHaveLength(W * H);
    const mean = [0.485, 0.456, 0.406];
    const std = [0.229, 0.224, 0.225];
    for (const p of [0, 17, 200, W * H - 1]) {
      let e = 0;
      for (let c = 0; c < 3; c++) e += (img.data[p * 3 + c] - mean[c]) / std[c];
      expect(out[p]).toBeCloseTo(e / 3, 4);
    }
  });

  it('resizes to a fixed model input and back to the image size', async () => {
    const model = channelMeanModel([1, 3, 8, 12], [1, 1, 8, 12]);
    const img = testImage(24, 16);
    const mono = await createMonocularDepth(model, { mean: [0, 0, 0], std: [1, 1, 1], output: 'depth' });
    const out = await mono.predict(img);
    expect(out).toHaveLength(24 * 16);
    const small = resizeBilinear(img.data, 24, 16, 3, 12, 8);
    const grey = new Float32Array(12 * 8).map((_, p) => (small[p * 3] + small[p * 3 + 1] + small[p * 3 + 2]) / 3);
    const expected = resizeBilinear(grey, 12, 8, 1, 24, 16);
    for (let p = 0; p < out.length; p += 37) expect(out[p]).toBeCloseTo(expected[p], 5);
  });

  it('gives clear errors for a file that is not ONNX and for an input shape that does not fit', async () => {
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 73, 72, 68, 82]);
    await expect(createMonocularDepth(png)).rejects.toThrow(/not a loadable ONNX model/);
    const grey = channelMeanModel([1, 1, 'h', 'w'], [1, 1, 'h', 'w']);
    await expect(createMonocularDepth(grey)).rejects.toThrow(/has shape \[1, 1, h, w\]; expected \[1, 3, H, W\]/);
    const fixed = channelMeanModel([1, 3, 8, 12], [1, 1, 8, 12]);
    await expect(createMonocularDepth(fixed, { inputSize: [16, 16] })).rejects.toThrow(/does not fit the model's fixed input/);
    await expect(createMonocularDepth('/nonexistent/model.onnx')).rejects.toThrow(/\/nonexistent\/model.onnx: cannot read/);
  });
});
