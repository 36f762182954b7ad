// Tile intersections: per-Gaussian tile counts in depth order, emission of (tile id, Gaussian)
// pairs after their exclusive scan, the overflow check / indirect arguments, and per-tile ranges
// of the tile-sorted list. With the Gaussians already in (stable) depth order, the stable tile
// sort yields the order of gsplat's 64-bit key (tile id high bits, depth low bits).
// Needs raster_common.wgsl prepended.

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> rects: array<vec4u>;          // [N] tile rect [x0, y0, x1, y1)
@group(0) @binding(2) var<storage, read> sortedIdx: array<u32>;        // [N] Gaussians in depth order
@group(0) @binding(3) var<storage, read_write> offsets: array<u32>;    // [N + 1] counts, then exclusive scan
@group(0) @binding(4) var<storage, read_write> isectKeys: array<u32>;  // [capacity] tile ids
@group(0) @binding(5) var<storage, read_write> isectVals: array<u32>;  // [capacity] Gaussian indices
// [0] intersections kept (min(M, capacity)), [1] M of this frame, [2] max M seen, [3] overflowed this frame
@group(0) @binding(6) var<storage, read_write> status: array<u32>;
@group(0) @binding(7) var<storage, read_write> args: array<u32>;       // indirect args of `ranges`
@group(0) @binding(8) var<storage, read> sortedTiles: array<u32>;      // [capacity] tile-sorted tile ids
@group(0) @binding(9) var<storage, read_write> ranges: array<vec2u>;   // [tiles] [start, end)

fn linearId(gid: vec3u, nwg: vec3u) -> u32 { return gid.x + gid.y * nwg.x * 256u; }

fn rectArea(r: vec4u) -> u32 { return (r.z - r.x) * (r.w - r.y); }

@compute @workgroup_size(256)
fn countTiles(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let j = linearId(gid, nwg);
  if (j >= P.counts.z) { return; }
  var c = 0u;
  if (j < P.counts.x) { c = rectArea(rects[sortedIdx[j]]); }
  offsets[j] = c;
}

@compute @workgroup_size(256)
fn emit(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let j = linearId(gid, nwg);
  if (j >= P.counts.x) { return; }
  let g = sortedIdx[j];
  let r = rects[g];
  var o = offsets[j];
  let cap = P.counts.w;
  for (var ty = r.y; ty < r.w; ty++) {
    for (var tx = r.x; tx < r.z; tx++) {
      if (o < cap) {
        isectKeys[o] = ty * P.dims.z + tx;
        isectVals[o] = g;
      }
      o++;
    }
  }
}

@compute @workgroup_size(1)
fn setup() {
  let m = offsets[P.counts.x];
  let kept = min(m, P.counts.w);
  status[0] = kept;
  status[1] = m;
  status[2] = max(status[2], m);
  status[3] = select(0u, 1u, m > P.counts.w);
  let groups = (kept + 255u) / 256u;
  let y = (groups + 65534u) / 65535u;
  args[0] = select((groups + y - 1u) / y, 0u, groups == 0u);
  args[1] = max(y, 1u);
  args[2] = 1u;
}

@compute @workgroup_size(256)
fn tileRanges(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = linearId(gid, nwg);
  let m = status[0];
  if (i >= m) { return; }
  let t = sortedTiles[i];
  if (i == 0u || sortedTiles[i - 1u] != t) { ranges[t].x = i; }
  if (i + 1u == m || sortedTiles[i + 1u] != t) { ranges[t].y = i + 1u; }
}
