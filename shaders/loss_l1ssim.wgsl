// L1 + D-SSIM photometric loss of 3DGS, forward and backward (loss_common.wgsl is prepended).
// loss = weight * ((1 - lambda) * mean|x - y| + lambda * (1 - mean SSIM)), SSIM over an 11-tap
// Gaussian window (sigma 1.5) with zero padding, per channel, mean over H*W*3.
// Three dispatches: ssim_fwd (tiles: moments by separable blur in workgroup memory, SSIM map,
// per-pixel dSSIM/d(moments), per-tile partial sums), finalize (one workgroup: loss),
// ssim_bwd (tiles: blur of the dSSIM/d(moments) maps = transposed conv, then the chain rule).

struct Params {
  width: u32,
  height: u32,
  tiles_x: u32,
  num_partials: u32,
  lambda: f32,
  weight: f32,
  loss_slot: u32,
  inv_n: f32, // 1 / (W * H * 3)
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> render: array<f32>;
@group(0) @binding(2) var<storage, read> tgt: array<f32>;
// Per pixel and channel: dS/dmx, dS/dE[x^2], dS/dE[xy] at (p*3 + c)*3 + {0,1,2}.
@group(0) @binding(3) var<storage, read_write> dmaps: array<f32>;
@group(0) @binding(4) var<storage, read_write> partials: array<f32>;
@group(0) @binding(5) var<storage, read_write> loss_out: array<f32>;
@group(0) @binding(6) var<storage, read_write> grad: array<f32>;

const T: u32 = 16u;    // tile side
const R: u32 = 5u;     // window radius
const S: u32 = 26u;    // tile + halo
const HN: u32 = 416u;  // S * T: horizontally blurred rows
const C1: f32 = 0.0001;
const C2: f32 = 0.0009;
const GAUSS = array<f32, 11>(/*GAUSS11*/);

var<workgroup> sa: array<f32, 676>;
var<workgroup> sb: array<f32, 676>;
var<workgroup> sc: array<f32, 676>;
var<workgroup> hb: array<f32, 2080>; // 5 * HN (forward)
var<workgroup> hb3: array<f32, 1248>; // 3 * HN (backward; keeps it under 16 KiB)

fn tile_origin(wg: vec3u) -> vec2i {
  return vec2i(i32(wg.x * T) - i32(R), i32(wg.y * T) - i32(R));
}

fn in_image(x: i32, y: i32) -> bool {
  return x >= 0 && y >= 0 && x < i32(P.width) && y < i32(P.height);
}

@compute @workgroup_size(16, 16)
fn ssim_fwd(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid3: vec3u,
            @builtin(local_invocation_index) lid: u32) {
  let org = tile_origin(wg);
  let px = i32(wg.x * T + lid3.x);
  let py = i32(wg.y * T + lid3.y);
  let inside = in_image(px, py);
  var ssim_sum = 0.0;
  var l1_sum = 0.0;
  for (var c = 0u; c < 3u; c++) {
    for (var i = lid; i < S * S; i += 256u) {
      let gx = org.x + i32(i % S);
      let gy = org.y + i32(i / S);
      var a = 0.0;
      var b = 0.0;
      if (in_image(gx, gy)) {
        let j = (u32(gy) * P.width + u32(gx)) * 3u + c;
        a = render[j];
        b = tgt[j];
      }
      sa[i] = a;
      sb[i] = b;
    }
    workgroupBarrier();
    for (var i = lid; i < HN; i += 256u) {
      let row = i / T;
      let col = i % T;
      var m = vec4f(0.0);
      var e = 0.0;
      for (var k = 0u; k < 11u; k++) {
        let a = sa[row * S + col + k];
        let b = sb[row * S + col + k];
        let w = GAUSS[k];
        m += w * vec4f(a, b, a * a, b * b);
        e += w * a * b;
      }
      hb[i] = m.x;
      hb[HN + i] = m.y;
      hb[2u * HN + i] = m.z;
      hb[3u * HN + i] = m.w;
      hb[4u * HN + i] = e;
    }
    workgroupBarrier();
    var m = vec4f(0.0);
    var e = 0.0;
    for (var k = 0u; k < 11u; k++) {
      let i = (lid3.y + k) * T + lid3.x;
      let w = GAUSS[k];
      m += w * vec4f(hb[i], hb[HN + i], hb[2u * HN + i], hb[3u * HN + i]);
      e += w * hb[4u * HN + i];
    }
    if (inside) {
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
      ssim_sum += s;
      let center = (lid3.y + R) * S + lid3.x + R;
      l1_sum += abs(sa[center] - sb[center]);
      let o = ((u32(py) * P.width + u32(px)) * 3u + c) * 3u;
      dmaps[o] = s * (2.0 * my / a1 - 2.0 * my / a2 - 2.0 * mx / b1 + 2.0 * mx / b2);
      dmaps[o + 1u] = -s / b2;
      dmaps[o + 2u] = 2.0 * s / a2;
    }
    workgroupBarrier();
  }
  let ts = wg_sum(lid, ssim_sum);
  let tl = wg_sum(lid, l1_sum);
  if (lid == 0u) {
    let t = wg.y * P.tiles_x + wg.x;
    partials[2u * t] = tl;
    partials[2u * t + 1u] = ts;
  }
}

@compute @workgroup_size(256)
fn finalize(@builtin(local_invocation_index) lid: u32) {
  var l1 = 0.0;
  var s = 0.0;
  for (var i = lid; i < P.num_partials; i += 256u) {
    l1 += partials[2u * i];
    s += partials[2u * i + 1u];
  }
  let tl = wg_sum(lid, l1);
  let ts = wg_sum(lid, s);
  if (lid == 0u) {
    loss_out[P.loss_slot] = P.weight * ((1.0 - P.lambda) * tl * P.inv_n + P.lambda * (1.0 - ts * P.inv_n));
  }
}

@compute @workgroup_size(16, 16)
fn ssim_bwd(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid3: vec3u,
            @builtin(local_invocation_index) lid: u32) {
  let org = tile_origin(wg);
  let px = i32(wg.x * T + lid3.x);
  let py = i32(wg.y * T + lid3.y);
  let inside = in_image(px, py);
  for (var c = 0u; c < 3u; c++) {
    for (var i = lid; i < S * S; i += 256u) {
      let gx = org.x + i32(i % S);
      let gy = org.y + i32(i / S);
      var d = vec3f(0.0);
      if (in_image(gx, gy)) {
        let o = ((u32(gy) * P.width + u32(gx)) * 3u + c) * 3u;
        d = vec3f(dmaps[o], dmaps[o + 1u], dmaps[o + 2u]);
      }
      sa[i] = d.x;
      sb[i] = d.y;
      sc[i] = d.z;
    }
    workgroupBarrier();
    for (var i = lid; i < HN; i += 256u) {
      let row = i / T;
      let col = i % T;
      var h = vec3f(0.0);
      for (var k = 0u; k < 11u; k++) {
        let j = row * S + col + k;
        h += GAUSS[k] * vec3f(sa[j], sb[j], sc[j]);
      }
      hb3[i] = h.x;
      hb3[HN + i] = h.y;
      hb3[2u * HN + i] = h.z;
    }
    workgroupBarrier();
    var v = vec3f(0.0);
    for (var k = 0u; k < 11u; k++) {
      let i = (lid3.y + k) * T + lid3.x;
      v += GAUSS[k] * vec3f(hb3[i], hb3[HN + i], hb3[2u * HN + i]);
    }
    if (inside) {
      let j = (u32(py) * P.width + u32(px)) * 3u + c;
      let x = render[j];
      let y = tgt[j];
      let dssim = v.x + 2.0 * x * v.y + y * v.z;
      let g = P.weight * P.inv_n * ((1.0 - P.lambda) * sign(x - y) - P.lambda * dssim);
      grad[j] = grad[j] + g;
    }
    workgroupBarrier();
  }
}
