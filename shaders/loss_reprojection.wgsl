// Multi-view reprojection loss, forward and backward (loss_common.wgsl is prepended). Each training
// pixel p = (x, y) with rendered alpha > alpha_min is lifted to its rendered depth z = depth_p / alpha_p
// (camera z, so X = z q with q = ((x + 0.5 - cx) / fx, (y + 0.5 - cy) / fy, 1) in the reference
// camera), moved into each source camera (Y = R X + t) and projected (u = fx Y.x / Y.z + cx, pixel
// centres at integer + 0.5), where the source photo is read by bilinear interpolation. Per pixel the
// source with the smallest L1 residual counts (Monodepth2's per-pixel minimum, robust to occlusion);
// a source whose four taps are not all inside the image does not. loss = weight / (3 H W) * sum_p
// sum_c |photo_s(u)_c - target_pc|. Gradients: into grad_depth / grad_alpha through u(z(depth, alpha));
// the photos are constants; the target too, unless it is itself a render (a virtual view), when
// grad_target_on = 1 adds dL/dtarget to grad_target.

struct Source {
  // rows of R (reference camera -> source camera) with fx, fy, cx in .w; t with cy in .w
  r0: vec4f,
  r1: vec4f,
  r2: vec4f,
  t: vec4f,
}

struct Params {
  width: u32,
  height: u32,
  loss_slot: u32,
  sources: u32,
  // reference intrinsics, pixels
  fx: f32,
  fy: f32,
  cx: f32,
  cy: f32,
  alpha_min: f32,
  // weight / (3 H W)
  scale: f32,
  weight: f32,
  grad_target_on: u32,
  src: array<Source, 4>,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> depth: array<f32>;
@group(0) @binding(2) var<storage, read> alpha: array<f32>;
@group(0) @binding(3) var<storage, read> tgt: array<f32>;
// the source photos packed one after the other, [sources][H][W][3]: one binding for up to 4 sources,
// within WebGPU's default of 8 storage buffers per stage
@group(0) @binding(4) var<storage, read> photos: array<f32>;
@group(0) @binding(5) var<storage, read_write> grad_target: array<f32>;
@group(0) @binding(6) var<storage, read_write> partials: array<f32>;
@group(0) @binding(7) var<storage, read_write> loss_out: array<f32>;
@group(0) @binding(8) var<storage, read_write> grad_depth: array<f32>;
@group(0) @binding(9) var<storage, read_write> grad_alpha: array<f32>;

fn rgb(s: u32, i: u32) -> vec3f {
  let o = 3u * (s * P.width * P.height + i);
  return vec3f(photos[o], photos[o + 1u], photos[o + 2u]);
}

struct Sample {
  ok: bool,
  cost: f32,
  // dL/dz before the weight, for this source
  gz: f32,
  // sign(photo - target) per channel: dL/dtarget = -sign before the weight
  sg: vec3f,
}

// Residual of source s for the reference point X = z q, and d(sum_c |r_c|)/dz.
fn sample_source(s: u32, q: vec3f, z: f32, c_ref: vec3f) -> Sample {
  var out = Sample(false, 0.0, 0.0, vec3f(0.0));
  let S = P.src[s];
  let Rq = vec3f(dot(S.r0.xyz, q), dot(S.r1.xyz, q), dot(S.r2.xyz, q));
  let Y = z * Rq + S.t.xyz;
  if (!(Y.z > 1e-6)) { return out; }
  // continuous pixel coordinates to image-index space (centres at integer + 0.5)
  let u = S.r0.w * Y.x / Y.z + S.r2.w - 0.5;
  let v = S.r1.w * Y.y / Y.z + S.t.w - 0.5;
  let fu0 = floor(u);
  let fv0 = floor(v);
  if (!(fu0 >= 0.0 && fu0 + 1.0 <= f32(P.width - 1u) && fv0 >= 0.0 && fv0 + 1.0 <= f32(P.height - 1u))) { return out; }
  let i00 = u32(fv0) * P.width + u32(fu0);
  let fu = u - fu0;
  let fv = v - fv0;
  let c00 = rgb(s, i00);
  let c10 = rgb(s, i00 + 1u);
  let c01 = rgb(s, i00 + P.width);
  let c11 = rgb(s, i00 + P.width + 1u);
  let c = (1.0 - fv) * ((1.0 - fu) * c00 + fu * c10) + fv * ((1.0 - fu) * c01 + fu * c11);
  let diff = c - c_ref;
  let sg = sign(diff);
  let dcdu = (1.0 - fv) * (c10 - c00) + fv * (c11 - c01);
  let dcdv = (1.0 - fu) * (c01 - c00) + fu * (c11 - c10);
  let iz2 = 1.0 / (Y.z * Y.z);
  let dudz = S.r0.w * (Rq.x * Y.z - Y.x * Rq.z) * iz2;
  let dvdz = S.r1.w * (Rq.y * Y.z - Y.y * Rq.z) * iz2;
  out.ok = true;
  out.cost = abs(diff.x) + abs(diff.y) + abs(diff.z);
  out.gz = dot(sg, dcdu) * dudz + dot(sg, dcdv) * dvdz;
  out.sg = sg;
  return out;
}

// Grid-stride over pixels (GRID threads), one loss partial per thread, no barriers.
@compute @workgroup_size(256)
fn reprojection(@builtin(global_invocation_id) gid: vec3u) {
  let t = gid.x;
  let n = P.width * P.height;
  var loss = 0.0;
  for (var p = t; p < n; p += GRID) {
    let a = alpha[p];
    if (!(a > P.alpha_min)) { continue; }
    let du = depth[p];
    let z = du / a;
    if (!(z > 0.0)) { continue; }
    let x = p % P.width;
    let y = p / P.width;
    let q = vec3f((f32(x) + 0.5 - P.cx) / P.fx, (f32(y) + 0.5 - P.cy) / P.fy, 1.0);
    let c_ref = vec3f(tgt[3u * p], tgt[3u * p + 1u], tgt[3u * p + 2u]);
    var best = Sample(false, 0.0, 0.0, vec3f(0.0));
    for (var s = 0u; s < P.sources; s++) {
      let r = sample_source(s, q, z, c_ref);
      if (r.ok && (!best.ok || r.cost < best.cost)) { best = r; }
    }
    if (!best.ok) { continue; }
    loss += best.cost;
    // z = du / a: dz/ddu = 1 / a, dz/da = -z / a
    let g = P.scale * best.gz;
    grad_depth[p] = grad_depth[p] + g / a;
    grad_alpha[p] = grad_alpha[p] - g * z / a;
    if (P.grad_target_on == 1u) {
      for (var c = 0u; c < 3u; c++) { grad_target[3u * p + c] = grad_target[3u * p + c] - P.scale * best.sg[c]; }
    }
  }
  partials[t] = loss;
}

@compute @workgroup_size(64)
fn reprojection_finalize(@builtin(local_invocation_index) lid: u32) {
  var s = 0.0;
  for (var i = lid; i < GRID; i += 64u) { s += partials[i]; }
  let total = sum64_to_first(lid, vec4f(s, 0.0, 0.0, 0.0));
  if (lid == 0u) { loss_out[P.loss_slot] = P.scale * total.x; }
}
