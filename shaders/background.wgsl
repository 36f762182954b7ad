// Random-background training (3DGS `--random_background`): the photo, stored composited over the
// scene background b0, is re-composited over a new colour c using its alpha:
// target' = target + (1 - alpha) * (c - b0).

struct Params { count: u32, _p0: u32, _p1: u32, _p2: u32, delta: vec4f };  // delta.rgb = c - b0

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> photo: array<f32>;    // [H][W][3]
@group(0) @binding(2) var<storage, read> alpha: array<f32>;    // [H][W]
@group(0) @binding(3) var<storage, read_write> outTarget: array<f32>;  // [H][W][3]

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= P.count) { return; }
  let k = 1.0 - alpha[i];
  for (var c = 0u; c < 3u; c++) { outTarget[i * 3u + c] = photo[i * 3u + c] + k * P.delta[c]; }
}
