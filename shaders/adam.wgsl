// Adam update (Kingma & Ba 2015, Algorithm 1) over one flat parameter group, in place.
// Only the first `active` floats of each row are updated. Elements whose index within a row is
// below `split` use `lr`, the rest `lr_rest`
// (so SH DC and higher bands can take different rates in one buffer, as 3DGS does).
// With `decay` set (the logit-opacity group only), each opacity is then multiplied by it (the opacity
// decay of Binocular3DGS, Han et al. NeurIPS 2024: Gaussians the loss does not hold up fade away).

struct AdamParams {
  rows: u32,       // number of rows (live Gaussians) to update
  width: u32,      // floats per Gaussian in this group (row stride)
  split: u32,      // elements [0, split) of a row use lr, [split, active) use lr_rest
  activeWidth: u32, // leading floats of each row updated (SH bands above the active degree have no gradient)
  lr: f32,
  lr_rest: f32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  bias1: f32,      // 1 - beta1^t
  bias2: f32,      // 1 - beta2^t
  decay: f32,      // opacity decay: in (0, 1) the updated logits become logit(decay * sigmoid(x)); else off
};

@group(0) @binding(0) var<uniform> P: AdamParams;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;

// One thread per row, walking its active columns: no thread divides by the row width (integer
// division is scalar code on CPU drivers, ~45% of this kernel on lavapipe, measured), and each row's
// cache lines are read once (a workgroup per column re-streamed the buffer: 1.7x slower, measured).
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let row = gid.x;
  if (row >= P.rows) { return; }
  let base = row * P.width;
  for (var col = 0u; col < P.activeWidth; col++) {
    let e = base + col;
    var g = grad[e];
    // A non-finite gradient must never poison the model: treat it as zero.
    if (!(abs(g) <= 3.0e38)) { g = 0.0; }
    let mi = P.beta1 * m[e] + (1.0 - P.beta1) * g;
    let vi = P.beta2 * v[e] + (1.0 - P.beta2) * g * g;
    m[e] = mi;
    v[e] = vi;
    let lr = select(P.lr_rest, P.lr, col < P.split);
    let mhat = mi / P.bias1;
    let vhat = vi / P.bias2;
    var x = param[e] - lr * mhat / (sqrt(vhat) + P.eps);
    if (P.decay > 0.0 && P.decay < 1.0) {
      // logit(d sigmoid(x)) = x + log d - log(1 + (1 - d) e^x): no log of a vanishing opacity.
      x = x + log(P.decay) - log(1.0 + (1.0 - P.decay) * exp(min(x, 80.0)));
    }
    param[e] = x;
  }
}
