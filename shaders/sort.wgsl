// Stable LSD radix sort of (u32 key, u32 value) pairs, 4 bits per pass (Merrill & Grimshaw 2011
// style: per-block digit counts, a device-wide scan of the [digit][block] counts, then a stable
// scatter ranking each 256-element chunk with one workgroup scan of packed one-hot digit flags).
// The element count is read on the GPU (count[0], clamped to the capacity) so the sort can run
// on sizes never read back; the dispatch sizes come from `args` (indirect).
// Needs prefix_plain.wgsl or prefix_subgroup.wgsl.

const EPT: u32 = 16u;              // elements per thread per block
const BLOCK: u32 = 4096u;          // 256 * EPT

struct SortParams { shift: u32, numBlocksCap: u32, capacity: u32, unused: u32 }

@group(0) @binding(0) var<uniform> rp: SortParams;
@group(0) @binding(1) var<storage, read> count: array<u32>;
@group(0) @binding(2) var<storage, read> keysIn: array<u32>;
@group(0) @binding(3) var<storage, read> valsIn: array<u32>;
@group(0) @binding(4) var<storage, read_write> keysOut: array<u32>;
@group(0) @binding(5) var<storage, read_write> valsOut: array<u32>;
@group(0) @binding(6) var<storage, read_write> hist: array<u32>;  // [16][numBlocksCap]
@group(0) @binding(7) var<storage, read_write> args: array<u32>;  // indirect dispatch x, y, z

fn elementCount() -> u32 { return min(count[0], rp.capacity); }

@compute @workgroup_size(1)
fn setupArgs() {
  let n = elementCount();
  args[0] = (n + BLOCK - 1u) / BLOCK;
  args[1] = 1u;
  args[2] = 1u;
}

var<workgroup> digitCounts: array<atomic<u32>, 16>;

@compute @workgroup_size(256)
fn countDigits(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u) {
  let n = elementCount();
  let blk = wid.x;
  if (lid < 16u) { atomicStore(&digitCounts[lid], 0u); }
  workgroupBarrier();
  for (var e = 0u; e < EPT; e++) {
    let i = blk * BLOCK + e * 256u + lid;
    if (i < n) { atomicAdd(&digitCounts[(keysIn[i] >> rp.shift) & 15u], 1u); }
  }
  workgroupBarrier();
  if (lid < 16u) { hist[lid * rp.numBlocksCap + blk] = atomicLoad(&digitCounts[lid]); }
}

var<workgroup> binOffset: array<u32, 16>;
var<workgroup> lastEx: vec4u;
var<workgroup> lastFlag: vec4u;

@compute @workgroup_size(256)
fn scatter(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u, sg: SgIds) {
  let n = elementCount();
  let blk = wid.x;
  if (lid < 16u) { binOffset[lid] = hist[lid * rp.numBlocksCap + blk]; }
  workgroupBarrier();
  for (var e = 0u; e < EPT; e++) {
    if (blk * BLOCK + e * 256u >= n) { break; }
    let i = blk * BLOCK + e * 256u + lid;
    let valid = i < n;
    var key = 0u;
    if (valid) { key = keysIn[i]; }
    let d = (key >> rp.shift) & 15u;
    // One-hot digit flag packed as 16 byte counters in a vec4<u32>: one scan ranks all digits.
    var flag = vec4u(0u);
    if (valid) { flag[d >> 2u] = 1u << ((d & 3u) * 8u); }
    let ex = wgScan(flag, lid, sg);
    if (lid == 255u) { lastEx = ex; lastFlag = flag; }
    let rank = (ex[d >> 2u] >> ((d & 3u) * 8u)) & 255u;
    if (valid) {
      let dst = binOffset[d] + rank;
      keysOut[dst] = key;
      valsOut[dst] = valsIn[i];
    }
    workgroupBarrier();
    if (lid < 16u) {
      let sh = (lid & 3u) * 8u;
      binOffset[lid] += ((lastEx[lid >> 2u] >> sh) & 255u) + ((lastFlag[lid >> 2u] >> sh) & 255u);
    }
    workgroupBarrier();
  }
}
