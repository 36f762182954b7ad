import { acquireGpu } from '../../gpu/device';
import { createStorageBuffer } from '../../gpu/buffers';
import { createComputePipeline, bindBuffers } from '../../gpu/pipelines';
import { gaussianWindow } from './reference';
const gpu = await acquireGpu();
const d = gpu.device;
const W = 504, H = 378, n = W * H;
const g = Array.from(gaussianWindow(11)).map((v) => v.toPrecision(9));
const rnd = (k: number) => Float32Array.from({ length: k }, () => Math.random());
const r = createStorageBuffer(d, rnd(n * 3), 'r'), t = createStorageBuffer(d, rnd(n * 3), 't'), h = createStorageBuffer(d, n * 60, 'h');
const hdr = `@group(0) @binding(0) var<storage, read> render: array<f32>;
@group(0) @binding(1) var<storage, read> tgt: array<f32>;
@group(0) @binding(2) var<storage, read_write> hbuf: array<f32>;
const W = ${W}u; const H = ${H}u;
fn ld(buf: u32, x: i32, row: u32) -> vec3f { if (x < 0 || x >= i32(W)) { return vec3f(0.0); } let j = (row + u32(x)) * 3u; if (buf == 0u) { return vec3f(render[j], render[j+1u], render[j+2u]); } return vec3f(tgt[j], tgt[j+1u], tgt[j+2u]); }
`;
function seg(S: number): string {
  const L: string[] = [];
  L.push(`@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) gid: vec3u) {`);
  L.push(`let segs = (W + ${S}u - 1u) / ${S}u; let id = gid.x; if (id >= segs * H) { return; } let y = id / segs; let x0 = i32((id % segs) * ${S}u); let row = y * W;`);
  for (let i = 0; i < S + 10; i++) L.push(`let a${i} = ld(0u, x0 + ${i - 5}, row); let b${i} = ld(1u, x0 + ${i - 5}, row);`);
  for (let j = 0; j < S; j++) {
    L.push(`if (x0 + ${j} < i32(W)) {`);
    const terms = (f: (i: number) => string) => Array.from({ length: 11 }, (_, k) => `${g[k]} * ${f(j + k)}`).join(' + ');
    L.push(`let mx = ${terms((i) => `a${i}`)};`);
    L.push(`let my = ${terms((i) => `b${i}`)};`);
    L.push(`let mxx = ${terms((i) => `a${i} * a${i}`)};`);
    L.push(`let myy = ${terms((i) => `b${i} * b${i}`)};`);
    L.push(`let mxy = ${terms((i) => `a${i} * b${i}`)};`);
    L.push(`let o = (row + u32(x0 + ${j})) * 15u; for (var c = 0u; c < 3u; c++) { hbuf[o + c * 5u] = mx[c]; hbuf[o + c * 5u + 1u] = my[c]; hbuf[o + c * 5u + 2u] = mxx[c]; hbuf[o + c * 5u + 3u] = myy[c]; hbuf[o + c * 5u + 4u] = mxy[c]; }`);
    L.push(`}`);
  }
  L.push(`}`);
  return L.join('\n');
}
for (const S of [4, 8, 16]) {
  const t0c = performance.now();
  const p = await createComputePipeline(d, hdr + seg(S), 'main', `seg${S}`);
  const compile = performance.now() - t0c;
  const bg = bindBuffers(d, p, [r, t, h]);
  const groups = Math.ceil((Math.ceil(W / S) * H) / 64);
  const run = async () => { const enc = d.createCommandEncoder(); const pass = enc.beginComputePass(); pass.setPipeline(p); pass.setBindGroup(0, bg); pass.dispatchWorkgroups(groups); pass.end(); d.queue.submit([enc.finish()]); await d.queue.onSubmittedWorkDone(); };
  const tf = performance.now(); await run(); const first = performance.now() - tf;
  const c0 = process.cpuUsage(); const t0 = performance.now(); for (let i = 0; i < 3; i++) await run(); const c = process.cpuUsage(c0);
  console.log(`seg${S}`, 'compile', compile.toFixed(0), 'first', first.toFixed(0), 'wall', ((performance.now() - t0) / 3).toFixed(1), 'cpu', ((c.user + c.system) / 3000).toFixed(1));
}
