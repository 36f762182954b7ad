import { acquireGpu } from '../../gpu/device';
import { createStorageBuffer } from '../../gpu/buffers';
import { createComputePipeline, bindBuffers } from '../../gpu/pipelines';
const gpu = await acquireGpu();
const d = gpu.device;
const W = 504, H = 378, n = W * H;
const rnd = (k: number) => Float32Array.from({ length: k }, () => Math.random());
const r = createStorageBuffer(d, rnd(n * 3), 'r'), t = createStorageBuffer(d, rnd(n * 3), 't'), h = createStorageBuffer(d, n * 60, 'h');
const hdr = `@group(0) @binding(0) var<storage, read> render: array<f32>;
@group(0) @binding(1) var<storage, read> tgt: array<f32>;
@group(0) @binding(2) var<storage, read_write> hbuf: array<f32>;
const W = ${W}u; const H = ${H}u;`;
const hdr4 = `@group(0) @binding(0) var<storage, read> render: array<vec4f>;
@group(0) @binding(1) var<storage, read> tgt: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> hbuf: array<vec4f>;
const W = ${W}u; const H = ${H}u;`;
const variants: Record<string, string> = {
  vec4loop11: `@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) gid: vec3u) { let p = gid.x; if (p >= W * H) { return; }
    var mx = vec4f(0.0); var my = vec4f(0.0); var mxx = vec4f(0.0); var myy = vec4f(0.0); var mxy = vec4f(0.0);
    for (var k = 0u; k < 11u; k++) { let j = min(p + k, W * H - 1u) / 2u; let a = render[j]; let b = tgt[j]; mx += a; my += b; mxx += a*a; myy += b*b; mxy += a*b; }
    let o = p * 5u; hbuf[o] = mx; hbuf[o+1u] = my; hbuf[o+2u] = mxx; hbuf[o+3u] = myy; hbuf[o+4u] = mxy; }`,
  taps1: `@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) gid: vec3u) { let p = gid.x; if (p >= W * H) { return; }
    for (var c = 0u; c < 3u; c++) { let j = p * 3u + c; let a = render[j]; let b = tgt[j]; let o = p * 15u + c * 5u; hbuf[o] = a; hbuf[o+1u] = b; hbuf[o+2u] = a*a; hbuf[o+3u] = b*b; hbuf[o+4u] = a*b; } }`,
  loop11: `@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) gid: vec3u) { let p = gid.x; if (p >= W * H) { return; }
    for (var c = 0u; c < 3u; c++) { var m = vec4f(0.0); var e = 0.0; for (var k = 0u; k < 11u; k++) { let j = min(p + k, W * H - 1u) * 3u + c; let a = render[j]; let b = tgt[j]; m += vec4f(a, b, a*a, b*b); e += a*b; }
    let o = p * 15u + c * 5u; hbuf[o] = m.x; hbuf[o+1u] = m.y; hbuf[o+2u] = m.z; hbuf[o+3u] = m.w; hbuf[o+4u] = e; } }`,
  loop11noload: `@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) gid: vec3u) { let p = gid.x; if (p >= W * H) { return; }
    for (var c = 0u; c < 3u; c++) { var m = vec4f(0.0); var e = 0.0; let a0 = render[p*3u+c]; let b0 = tgt[p*3u+c]; for (var k = 0u; k < 11u; k++) { let a = a0 + f32(k); let b = b0 * f32(k); m += vec4f(a, b, a*a, b*b); e += a*b; }
    let o = p * 15u + c * 5u; hbuf[o] = m.x; hbuf[o+1u] = m.y; hbuf[o+2u] = m.z; hbuf[o+3u] = m.w; hbuf[o+4u] = e; } }`,
  noStoreLoop11: `@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) gid: vec3u) { let p = gid.x; if (p >= W * H) { return; }
    var m = vec4f(0.0); for (var c = 0u; c < 3u; c++) { for (var k = 0u; k < 11u; k++) { let j = min(p + k, W * H - 1u) * 3u + c; let a = render[j]; let b = tgt[j]; m += vec4f(a, b, a*a, b*b); } }
    hbuf[p] = m.x + m.y + m.z + m.w; }`,
};
for (const [name, code] of Object.entries(variants)) {
  const p = await createComputePipeline(d, (name.startsWith('vec4') ? hdr4 : hdr) + code, 'main', name);
  const bg = bindBuffers(d, p, [r, t, h]);
  const run = async () => { const enc = d.createCommandEncoder(); const pass = enc.beginComputePass(); pass.setPipeline(p); pass.setBindGroup(0, bg); pass.dispatchWorkgroups(Math.ceil(n / 64)); pass.end(); d.queue.submit([enc.finish()]); await d.queue.onSubmittedWorkDone(); };
  await run();
  const c0 = process.cpuUsage(); const t0 = performance.now(); for (let i = 0; i < 3; i++) await run(); const c = process.cpuUsage(c0);
  console.log(name, 'wall', ((performance.now() - t0) / 3).toFixed(1), 'cpu', ((c.user + c.system) / 3000).toFixed(1));
}
