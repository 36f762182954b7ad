// CoherentGS coherent phase (Paliwal et al. 2024): Gaussians born from pixels move only along their
// pixel ray. The free parameter is the distance t along the ray: mean = origin + t * dir.
// Rows [0, count) of the Gaussian buffers are the bound ones, row i bound to ray i.

struct Params { count: u32, grid_cells: u32, _p0: u32, _p1: u32 };

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> means: array<f32>;
@group(0) @binding(2) var<storage, read> grad_means: array<f32>;
@group(0) @binding(3) var<storage, read> origin: array<f32>;
@group(0) @binding(4) var<storage, read> dir: array<f32>;
@group(0) @binding(5) var<storage, read> ray_t: array<f32>;
@group(0) @binding(6) var<storage, read_write> grad_t: array<f32>;
@group(0) @binding(7) var<storage, read> grid_index: array<i32>;
@group(0) @binding(8) var<storage, read_write> grid_t: array<f32>;
@group(0) @binding(9) var<storage, read_write> grid_valid: array<f32>;
@group(0) @binding(10) var<storage, read> grid_grad: array<f32>;

fn idx(gid: vec3u, nwg: vec3u) -> u32 { return gid.x + gid.y * nwg.x * 256u; }

fn vec(a: u32) -> vec3f { return vec3f(dir[a * 3u], dir[a * 3u + 1u], dir[a * 3u + 2u]); }

// dL/dt = dL/dmean . dir (chain rule through mean = origin + t dir); added to grad_t.
@compute @workgroup_size(256)
fn gather_grad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = idx(gid, nwg);
  if (i >= P.count) { return; }
  let g = vec3f(grad_means[i * 3u], grad_means[i * 3u + 1u], grad_means[i * 3u + 2u]);
  var d = dot(g, vec(i));
  if (!(abs(d) <= 3.0e38)) { d = 0.0; }
  grad_t[i] = grad_t[i] + d;
}

// mean = origin + t dir.
@compute @workgroup_size(256)
fn apply_rays(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = idx(gid, nwg);
  if (i >= P.count) { return; }
  let t = ray_t[i];
  for (var k = 0u; k < 3u; k++) { means[i * 3u + k] = origin[i * 3u + k] + t * dir[i * 3u + k]; }
}

// Per-view depth grid for the TV loss: cell -> t of its Gaussian (0 and invalid where none).
@compute @workgroup_size(256)
fn grid_gather(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let c = idx(gid, nwg);
  if (c >= P.grid_cells) { return; }
  let j = grid_index[c];
  if (j >= 0) { grid_t[c] = ray_t[u32(j)]; grid_valid[c] = 1.0; } else { grid_t[c] = 0.0; grid_valid[c] = 0.0; }
}

// Scatter the TV gradient of each cell back to its Gaussian (one cell per Gaussian: no atomics).
@compute @workgroup_size(256)
fn grid_scatter(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let c = idx(gid, nwg);
  if (c >= P.grid_cells) { return; }
  let j = grid_index[c];
  if (j >= 0) { grad_t[u32(j)] = grad_t[u32(j)] + grid_grad[c]; }
}
