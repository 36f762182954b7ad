// Device-wide exclusive prefix sum of u32 (Blelloch-style block scan + block sums, recursive in
// TypeScript). 1024 elements per workgroup. Needs prefix_plain.wgsl or prefix_subgroup.wgsl.

@group(0) @binding(0) var<storage, read_write> data: array<u32>;
@group(0) @binding(1) var<storage, read_write> sums: array<u32>;
@group(0) @binding(2) var<uniform> sp: vec4u; // n

@compute @workgroup_size(256)
fn scanBlocks(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u, sg: SgIds) {
  let n = sp.x;
  let blk = wid.x;
  let base = blk * 1024u + lid * 4u;
  var v = vec4u(0u);
  for (var k = 0u; k < 4u; k++) {
    if (base + k < n) { v[k] = data[base + k]; }
  }
  let tot = v.x + v.y + v.z + v.w;
  let ex = wgScan(vec4u(tot, 0u, 0u, 0u), lid, sg).x;
  let outv = vec4u(ex, ex + v.x, ex + v.x + v.y, ex + v.x + v.y + v.z);
  for (var k = 0u; k < 4u; k++) {
    if (base + k < n) { data[base + k] = outv[k]; }
  }
  if (lid == 255u) { sums[blk] = ex + tot; }
}

@compute @workgroup_size(256)
fn addSums(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u) {
  let n = sp.x;
  let blk = wid.x;
  let add = sums[blk];
  let base = blk * 1024u + lid * 4u;
  for (var k = 0u; k < 4u; k++) {
    if (base + k < n) { data[base + k] += add; }
  }
}
