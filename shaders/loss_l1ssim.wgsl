// L1 + D-SSIM photometric loss of 3DGS, forward and backward (loss_common.wgsl is prepended).
// loss = weight * ((1 - lambda) * mean|x - y| + lambda * (1 - mean SSIM)), SSIM over an 11-tap
// Gaussian window (sigma 1.5) with zero padding, per channel, mean over H*W*3.
// Four separable blur passes and a one-workgroup finalize:
//   h1: horizontal blur of x, y, x^2, y^2, xy -> hbuf (5 quantities x RGB = 15 floats / pixel)
//   v1: vertical blur -> moments -> SSIM, dS/d(mx, E[x^2], E[xy]) -> dmaps (3 x RGB = 9 / pixel),
//       one (L1, SSIM) partial sum per thread (no barriers)
//   finalize: sums the partials, writes the loss
//   h2, v2: the same blur applied to dmaps (the transposed convolution; the window is symmetric),
//       then the chain rule dS/dx_p = sum_q w(q - p) (dS/dmx(q) + 2 x_p dS/dE[x^2](q) + y_p dS/dE[xy](q)).
// Each thread handles a segment of SEG consecutive pixels along the blur axis and keeps the
// SEG + 10 input pixels in registers: the /*GEN_...*/ bodies are unrolled by the TS side
// (L1SsimLoss.ts) because storage loads dominate on SwiftShader (~10 ns each, measured), and the
// sliding window cuts them about 5x compared with 11 loads per output.

struct Params {
  width: u32,
  height: u32,
  segs_x: u32,     // ceil(width / SEG)
  segs_y: u32,     // ceil(height / SEG)
  lambda: f32,
  weight: f32,
  loss_slot: u32,
  inv_n: f32,      // 1 / (W * H * 3)
  num_partials: u32, // width * segs_y (threads of v1)
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> render: array<f32>;
@group(0) @binding(2) var<storage, read> tgt: array<f32>;
@group(0) @binding(3) var<storage, read_write> hbuf: array<f32>;
@group(0) @binding(4) var<storage, read_write> dmaps: array<f32>;
@group(0) @binding(5) var<storage, read_write> partials: array<vec2f>;
@group(0) @binding(6) var<storage, read_write> loss_out: array<f32>;
@group(0) @binding(7) var<storage, read_write> grad: array<f32>;

const SEG: u32 = /*SEG*/u;

fn inside(x: i32, y: i32) -> bool {
  return x >= 0 && y >= 0 && x < i32(P.width) && y < i32(P.height);
}

fn pix(x: i32, y: i32) -> u32 {
  return u32(y) * P.width + u32(x);
}

fn ld_x(x: i32, y: i32) -> vec3f {
  if (!inside(x, y)) { return vec3f(0.0); }
  let j = pix(x, y) * 3u;
  return vec3f(render[j], render[j + 1u], render[j + 2u]);
}

fn ld_y(x: i32, y: i32) -> vec3f {
  if (!inside(x, y)) { return vec3f(0.0); }
  let j = pix(x, y) * 3u;
  return vec3f(tgt[j], tgt[j + 1u], tgt[j + 2u]);
}

// Quantity q (RGB) of hbuf with `stride` floats per pixel, zero outside the image.
fn ld_h(x: i32, y: i32, stride: u32, q: u32) -> vec3f {
  if (!inside(x, y)) { return vec3f(0.0); }
  let j = pix(x, y) * stride + q * 3u;
  return vec3f(hbuf[j], hbuf[j + 1u], hbuf[j + 2u]);
}

fn ld_d(x: i32, y: i32, q: u32) -> vec3f {
  if (!inside(x, y)) { return vec3f(0.0); }
  let j = pix(x, y) * 9u + q * 3u;
  return vec3f(dmaps[j], dmaps[j + 1u], dmaps[j + 2u]);
}

fn st_h(p: u32, stride: u32, q: u32, v: vec3f) {
  let j = p * stride + q * 3u;
  hbuf[j] = v.x;
  hbuf[j + 1u] = v.y;
  hbuf[j + 2u] = v.z;
}

// SSIM of pixel p from its moments (RGB), stores dS/d(mx, E[x^2], E[xy]); returns (sum |x-y|, sum S).
fn ssim_pixel(p: u32, mx: vec3f, my: vec3f, exx: vec3f, eyy: vec3f, exy: vec3f) -> vec2f {
  let t = ssim_terms(mx, my, exx, eyy, exy);
  let a1 = t.a1; let a2 = t.a2; let b1 = t.b1; let b2 = t.b2; let s = t.s;
  let dmx = s * (2.0 * my / a1 - 2.0 * my / a2 - 2.0 * mx / b1 + 2.0 * mx / b2);
  let j = p * 9u;
  dmaps[j] = dmx.x;
  dmaps[j + 1u] = dmx.y;
  dmaps[j + 2u] = dmx.z;
  let dexx = -s / b2;
  dmaps[j + 3u] = dexx.x;
  dmaps[j + 4u] = dexx.y;
  dmaps[j + 5u] = dexx.z;
  let dexy = 2.0 * s / a2;
  dmaps[j + 6u] = dexy.x;
  dmaps[j + 7u] = dexy.y;
  dmaps[j + 8u] = dexy.z;
  let o = p * 3u;
  let l1 = abs(vec3f(render[o], render[o + 1u], render[o + 2u]) - vec3f(tgt[o], tgt[o + 1u], tgt[o + 2u]));
  return vec2f(l1.x + l1.y + l1.z, s.x + s.y + s.z);
}

// Adds weight * dLoss/dx at pixel p from the blurred dS maps (RGB each).
fn grad_pixel(p: u32, vmx: vec3f, vexx: vec3f, vexy: vec3f) {
  let o = p * 3u;
  let x = vec3f(render[o], render[o + 1u], render[o + 2u]);
  let y = vec3f(tgt[o], tgt[o + 1u], tgt[o + 2u]);
  let dssim = vmx + 2.0 * x * vexx + y * vexy;
  let g = P.weight * P.inv_n * ((1.0 - P.lambda) * sign(x - y) - P.lambda * dssim);
  grad[o] = grad[o] + g.x;
  grad[o + 1u] = grad[o + 1u] + g.y;
  grad[o + 2u] = grad[o + 2u] + g.z;
}

@compute @workgroup_size(64)
fn h1(@builtin(global_invocation_id) gid: vec3u) {
  let id = gid.x;
  if (id >= P.segs_x * P.height) { return; }
  let y = i32(id / P.segs_x);
  let x0 = i32((id % P.segs_x) * SEG);
  /*GEN_H1*/
}

@compute @workgroup_size(64)
fn v1(@builtin(global_invocation_id) gid: vec3u) {
  let id = gid.x;
  if (id >= P.num_partials) { return; }
  let x = i32(id % P.width);
  let y0 = i32((id / P.width) * SEG);
  var acc = vec2f(0.0);
  /*GEN_V1*/
  partials[id] = acc;
}

@compute @workgroup_size(64)
fn finalize(@builtin(local_invocation_index) lid: u32) {
  var acc = vec2f(0.0);
  for (var i = lid; i < P.num_partials; i += 64u) { acc += partials[i]; }
  let s = sum64_to_first(lid, vec4f(acc, 0.0, 0.0));
  if (lid == 0u) {
    loss_out[P.loss_slot] = P.weight * ((1.0 - P.lambda) * s.x * P.inv_n + P.lambda * (1.0 - s.y * P.inv_n));
  }
}

@compute @workgroup_size(64)
fn h2(@builtin(global_invocation_id) gid: vec3u) {
  let id = gid.x;
  if (id >= P.segs_x * P.height) { return; }
  let y = i32(id / P.segs_x);
  let x0 = i32((id % P.segs_x) * SEG);
  /*GEN_H2*/
}

@compute @workgroup_size(64)
fn v2(@builtin(global_invocation_id) gid: vec3u) {
  let id = gid.x;
  if (id >= P.num_partials) { return; }
  let x = i32(id % P.width);
  let y0 = i32((id / P.width) * SEG);
  /*GEN_V2*/
}
