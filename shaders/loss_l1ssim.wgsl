// L1 + D-SSIM photometric loss of 3DGS, forward and backward (loss_common.wgsl is prepended).
// loss = weight * ((1 - lambda) * mean|x - y| + lambda * (1 - mean SSIM)), SSIM over an 11-tap
// Gaussian window (sigma 1.5) with zero padding, per channel, mean over H*W*3.
// Five barrier-free passes except the one-workgroup finalize (see GRID in loss_common.wgsl):
//   h1: horizontal blur of x, y, x^2, y^2, xy (3 channels) -> hbuf (15 floats / pixel)
//   v1: vertical blur -> moments -> SSIM, dS/d(mx, E[x^2], E[xy]) -> dmaps (9 / pixel); partial sums
//   finalize: sums the partials, writes the loss
//   h2, v2: the same separable blur applied to dmaps (the transposed convolution), then the chain
//           rule dS/dx_p = sum_q w(q - p) (dS/dmx(q) + 2 x_p dS/dE[x^2](q) + y_p dS/dE[xy](q)).

struct Params {
  width: u32,
  height: u32,
  n: u32,
  row_groups: u32, // workgroups along x of the 2D per-pixel dispatches
  lambda: f32,
  weight: f32,
  loss_slot: u32,
  inv_n: f32,      // 1 / (W * H * 3)
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> render: array<f32>;
@group(0) @binding(2) var<storage, read> tgt: array<f32>;
@group(0) @binding(3) var<storage, read_write> hbuf: array<f32>;
@group(0) @binding(4) var<storage, read_write> dmaps: array<f32>;
@group(0) @binding(5) var<storage, read_write> partials: array<vec2f>;
@group(0) @binding(6) var<storage, read_write> loss_out: array<f32>;
@group(0) @binding(7) var<storage, read_write> grad: array<f32>;

const R: i32 = 5;
const C1: f32 = 0.0001;
const C2: f32 = 0.0009;
const GAUSS = array<f32, 11>(/*GAUSS11*/);

fn pixel_id(gid: vec3u) -> u32 {
  return gid.y * P.row_groups * 256u + gid.x;
}

@compute @workgroup_size(256)
fn h1(@builtin(global_invocation_id) gid: vec3u) {
  let p = pixel_id(gid);
  if (p >= P.n) { return; }
  let x = i32(p % P.width);
  let row = p - p % P.width;
  for (var c = 0u; c < 3u; c++) {
    var m = vec4f(0.0);
    var e = 0.0;
    for (var k = -R; k <= R; k++) {
      let xx = x + k;
      if (xx < 0 || xx >= i32(P.width)) { continue; }
      let j = (row + u32(xx)) * 3u + c;
      let a = render[j];
      let b = tgt[j];
      let w = GAUSS[k + R];
      m += w * vec4f(a, b, a * a, b * b);
      e += w * a * b;
    }
    let o = p * 15u + c * 5u;
    hbuf[o] = m.x;
    hbuf[o + 1u] = m.y;
    hbuf[o + 2u] = m.z;
    hbuf[o + 3u] = m.w;
    hbuf[o + 4u] = e;
  }
}

@compute @workgroup_size(256)
fn v1(@builtin(global_invocation_id) gid: vec3u) {
  let t = gid.x;
  var acc = vec2f(0.0); // (sum |x - y|, sum SSIM)
  for (var p = t; p < P.n; p += GRID) {
    let x = p % P.width;
    let y = i32(p / P.width);
    for (var c = 0u; c < 3u; c++) {
      var m = vec4f(0.0);
      var e = 0.0;
      for (var k = -R; k <= R; k++) {
        let yy = y + k;
        if (yy < 0 || yy >= i32(P.height)) { continue; }
        let o = (u32(yy) * P.width + x) * 15u + c * 5u;
        let w = GAUSS[k + R];
        m += w * vec4f(hbuf[o], hbuf[o + 1u], hbuf[o + 2u], hbuf[o + 3u]);
        e += w * hbuf[o + 4u];
      }
      let mx = m.x;
      let my = m.y;
      let sxx = m.z - mx * mx;
      let syy = m.w - my * my;
      let sxy = e - mx * my;
      let a1 = 2.0 * mx * my + C1;
      let a2 = 2.0 * sxy + C2;
      let b1 = mx * mx + my * my + C1;
      let b2 = sxx + syy + C2;
      let s = (a1 * a2) / (b1 * b2);
      let j = p * 3u + c;
      acc += vec2f(abs(render[j] - tgt[j]), s);
      let o = j * 3u;
      dmaps[o] = s * (2.0 * my / a1 - 2.0 * my / a2 - 2.0 * mx / b1 + 2.0 * mx / b2);
      dmaps[o + 1u] = -s / b2;
      dmaps[o + 2u] = 2.0 * s / a2;
    }
  }
  partials[t] = acc;
}

@compute @workgroup_size(64)
fn finalize(@builtin(local_invocation_index) lid: u32) {
  var acc = vec2f(0.0);
  for (var i = lid; i < GRID; i += 64u) { acc += partials[i]; }
  let s = sum64_to_first(lid, vec4f(acc, 0.0, 0.0));
  if (lid == 0u) {
    loss_out[P.loss_slot] = P.weight * ((1.0 - P.lambda) * s.x * P.inv_n + P.lambda * (1.0 - s.y * P.inv_n));
  }
}

@compute @workgroup_size(256)
fn h2(@builtin(global_invocation_id) gid: vec3u) {
  let p = pixel_id(gid);
  if (p >= P.n) { return; }
  let x = i32(p % P.width);
  let row = p - p % P.width;
  var h: array<f32, 9>;
  for (var k = -R; k <= R; k++) {
    let xx = x + k;
    if (xx < 0 || xx >= i32(P.width)) { continue; }
    let o = (row + u32(xx)) * 9u;
    let w = GAUSS[k + R];
    for (var i = 0u; i < 9u; i++) { h[i] += w * dmaps[o + i]; }
  }
  for (var i = 0u; i < 9u; i++) { hbuf[p * 9u + i] = h[i]; }
}

@compute @workgroup_size(256)
fn v2(@builtin(global_invocation_id) gid: vec3u) {
  let p = pixel_id(gid);
  if (p >= P.n) { return; }
  let x = p % P.width;
  let y = i32(p / P.width);
  var v: array<f32, 9>;
  for (var k = -R; k <= R; k++) {
    let yy = y + k;
    if (yy < 0 || yy >= i32(P.height)) { continue; }
    let o = (u32(yy) * P.width + x) * 9u;
    let w = GAUSS[k + R];
    for (var i = 0u; i < 9u; i++) { v[i] += w * hbuf[o + i]; }
  }
  for (var c = 0u; c < 3u; c++) {
    let j = p * 3u + c;
    let a = render[j];
    let b = tgt[j];
    let dssim = v[c * 3u] + 2.0 * a * v[c * 3u + 1u] + b * v[c * 3u + 2u];
    grad[j] = grad[j] + P.weight * P.inv_n * ((1.0 - P.lambda) * sign(a - b) - P.lambda * dssim);
  }
}
