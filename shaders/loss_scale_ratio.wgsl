// Scale-ratio (anisotropy) regularizer of PhysGaussian (Xie et al. CVPR 2024, Eq. 11), forward and
// backward (loss_common.wgsl is prepended): loss = weight / N * sum_i max(smax_i / smin_i, r) - r over
// the N Gaussians' scales exp(log_scales[i]). Each Gaussian's thread adds its gradient into its own
// rows of grad_log_scales (no atomics: one writer per row).

struct Params {
  count: u32,
  loss_slot: u32,
  weight: f32,
  max_ratio: f32,
  inv_count: f32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> log_scales: array<f32>;
@group(0) @binding(2) var<storage, read_write> grad_log_scales: array<f32>;
@group(0) @binding(3) var<storage, read_write> partials: array<f32>;
@group(0) @binding(4) var<storage, read_write> loss_out: array<f32>;

// Grid-stride over Gaussians (GRID threads), one loss partial per thread.
@compute @workgroup_size(256)
fn scale_ratio(@builtin(global_invocation_id) gid: vec3u) {
  let t = gid.x;
  var loss = 0.0;
  for (var i = t; i < P.count; i += GRID) {
    let s = vec3f(log_scales[3u * i], log_scales[3u * i + 1u], log_scales[3u * i + 2u]);
    var hi = 0u;
    var lo = 0u;
    for (var k = 1u; k < 3u; k++) {
      if (s[k] > s[hi]) { hi = k; }
      if (s[k] < s[lo]) { lo = k; }
    }
    // exp of a log-ratio past f32's range would be inf; clamp so one degenerate Gaussian cannot poison the sum.
    let ratio = exp(min(s[hi] - s[lo], 80.0));
    if (!(ratio > P.max_ratio)) { continue; }
    loss += ratio - P.max_ratio;
    let g = P.weight * P.inv_count * ratio;
    grad_log_scales[3u * i + hi] = grad_log_scales[3u * i + hi] + g;
    grad_log_scales[3u * i + lo] = grad_log_scales[3u * i + lo] - g;
  }
  partials[t] = loss;
}

@compute @workgroup_size(64)
fn scale_ratio_finalize(@builtin(local_invocation_index) lid: u32) {
  var s = 0.0;
  for (var i = lid; i < GRID; i += 64u) { s += partials[i]; }
  let total = sum64_to_first(lid, vec4f(s, 0.0, 0.0, 0.0));
  if (lid == 0u) { loss_out[P.loss_slot] = P.weight * P.inv_count * total.x; }
}
