// Binocular self-consistency loss (Binocular3DGS, Han et al. NeurIPS 2024, eq. 5), forward and
// backward (loss_common.wgsl is prepended). A camera shifted by baseline b along the training
// camera's x axis renders `shifted`; each training pixel p = (x, y) with alpha > alpha_min reads
// it at x + s, s = -fx b / z, z = depth_p / alpha_p (the rendered expected depth), by linear
// interpolation between columns x0 = floor(x + s) and x0 + 1 (both inside the image, else p is
// masked out). loss = weight / (3 H W) * sum_p sum_c |warped_pc - target_pc|.
// Gradients: into `grad_shifted` (scattered to the two taps; atomics: several pixels can read one
// tap), into grad_depth / grad_alpha of the training render through s(z(depth, alpha)).

struct Params {
  width: u32,
  height: u32,
  loss_slot: u32,
  _pad: u32,
  // fx * b (pixels x world units): s = -fxb / z.
  fxb: f32,
  alpha_min: f32,
  // weight / (3 H W)
  scale: f32,
  weight: f32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> depth: array<f32>;
@group(0) @binding(2) var<storage, read> alpha: array<f32>;
@group(0) @binding(3) var<storage, read> shifted: array<f32>;
@group(0) @binding(4) var<storage, read> tgt: array<f32>;
@group(0) @binding(5) var<storage, read_write> partials: array<f32>;
@group(0) @binding(6) var<storage, read_write> loss_out: array<f32>;
@group(0) @binding(7) var<storage, read_write> grad_shifted: array<atomic<u32>>;
@group(0) @binding(8) var<storage, read_write> grad_depth: array<f32>;
@group(0) @binding(9) var<storage, read_write> grad_alpha: array<f32>;

fn shifted_rgb(i: u32) -> vec3f {
  return vec3f(shifted[3u * i], shifted[3u * i + 1u], shifted[3u * i + 2u]);
}

fn target_rgb(i: u32) -> vec3f {
  return vec3f(tgt[3u * i], tgt[3u * i + 1u], tgt[3u * i + 2u]);
}

// Grid-stride over pixels (GRID threads), one loss partial per thread, no barriers.
@compute @workgroup_size(256)
fn binocular(@builtin(global_invocation_id) gid: vec3u) {
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
    let xs = f32(x) - P.fxb / z;
    let fl = floor(xs);
    if (!(fl >= 0.0 && fl + 1.0 <= f32(P.width - 1u))) { continue; }
    let x0 = u32(fl);
    let f = xs - fl;
    let i0 = y * P.width + x0;
    let c0 = shifted_rgb(i0);
    let c1 = shifted_rgb(i0 + 1u);
    let diff = (1.0 - f) * c0 + f * c1 - target_rgb(p);
    loss += abs(diff.x) + abs(diff.y) + abs(diff.z);
    let r = P.scale * sign(diff);
    for (var c = 0u; c < 3u; c++) {
      atomic_add_f32(&grad_shifted[3u * i0 + c], r[c] * (1.0 - f));
      atomic_add_f32(&grad_shifted[3u * (i0 + 1u) + c], r[c] * f);
    }
    // dL/dxs, then xs = x - fxb a / du: dxs/ddu = fxb a / du^2 = fxb / (z du), dxs/da = -fxb / du.
    let gx = dot(r, c1 - c0);
    grad_depth[p] = grad_depth[p] + gx * P.fxb / (z * du);
    grad_alpha[p] = grad_alpha[p] - gx * P.fxb / du;
  }
  partials[t] = loss;
}

@compute @workgroup_size(64)
fn binocular_finalize(@builtin(local_invocation_index) lid: u32) {
  var s = 0.0;
  for (var i = lid; i < GRID; i += 64u) { s += partials[i]; }
  let total = sum64_to_first(lid, vec4f(s, 0.0, 0.0, 0.0));
  if (lid == 0u) { loss_out[P.loss_slot] = P.scale * total.x; }
}
