// Stable LSD radix sort of (u32 key, u32 value) pairs, 4 bits per pass (Merrill & Grimshaw 2011
// style: per-block digit counts, a device-wide scan of the [digit][block] counts, then a stable
// scatter ranking chunks of 1024 elements with one workgroup scan of packed per-thread counts).
// The element count is read on the GPU (count[0], clamped to the capacity) so the sort can run
// on sizes never read back; the dispatch sizes come from `args` (indirect).
// Needs prefix_plain.wgsl or prefix_subgroup.wgsl.

const EPT: u32 = 16u;              // elements per thread per block
const BLOCK: u32 = 4096u;          // 256 * EPT

// shift: low bit of this pass's digit; digitBits: its width (<= 4, less on a last pass cut to the key bits)
struct SortParams { shift: u32, digitBits: u32, numBlocksCap: u32, capacity: u32 }

@group(0) @binding(0) var<uniform> rp: SortParams;
@group(0) @binding(1) var<storage, read> count: array<u32>;
@group(0) @binding(2) var<storage, read> keysIn: array<u32>;
@group(0) @binding(3) var<storage, read> valsIn: array<u32>;
@group(0) @binding(4) var<storage, read_write> keysOut: array<u32>;
@group(0) @binding(5) var<storage, read_write> valsOut: array<u32>;
@group(0) @binding(6) var<storage, read_write> hist: array<u32>;  // [16][numBlocksCap]
@group(0) @binding(7) var<storage, read_write> args: array<u32>;  // indirect dispatch x, y, z

fn elementCount() -> u32 { return min(count[0], rp.capacity); }

fn digitOf(key: u32) -> u32 { return (key >> rp.shift) & ((1u << rp.digitBits) - 1u); }

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
    if (i < n) { atomicAdd(&digitCounts[digitOf(keysIn[i])], 1u); }
  }
  workgroupBarrier();
  if (lid < 16u) { hist[lid * rp.numBlocksCap + blk] = atomicLoad(&digitCounts[lid]); }
}

var<workgroup> binOffset: array<u32, 16>;

// 16-bit counter of digit d in a pair of packed vec4 (two digits per u32).
fn field(p: array<vec4u, 2>, d: u32) -> u32 {
  return (p[d >> 3u][(d >> 1u) & 3u] >> ((d & 1u) * 16u)) & 0xffffu;
}

const EPC: u32 = 4u; // elements per thread per chunk

// Stable scatter: the block is walked in chunks of 256 * EPC (EPC consecutive elements per
// thread); a thread's digit counts (16 bins x 16 bits, packed in two vec4<u32>) are scanned once
// per chunk, and each element's rank is the scanned count of its digit plus its rank among its
// thread's earlier elements. (Measured on SwiftShader: EPC 4 beats 1 and 16.)
@compute @workgroup_size(256)
fn scatter(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u, sg: SgIds) {
  let n = elementCount();
  let blk = wid.x;
  if (lid < 16u) { binOffset[lid] = hist[lid * rp.numBlocksCap + blk]; }
  workgroupBarrier();
  for (var c = 0u; c < BLOCK / (256u * EPC); c++) {
    let base = blk * BLOCK + c * 256u * EPC;
    if (base >= n) { break; }
    var keys: array<u32, EPC>;
    var ranks: array<u32, EPC>;
    var counts = array<vec4u, 2>(vec4u(0u), vec4u(0u));
    for (var e = 0u; e < EPC; e++) {
      let i = base + lid * EPC + e;
      if (i < n) {
        let key = keysIn[i];
        keys[e] = key;
        let d = digitOf(key);
        ranks[e] = field(counts, d);
        counts[d >> 3u][(d >> 1u) & 3u] += 1u << ((d & 1u) * 16u);
      }
    }
    let ex = wgScan2(counts[0], counts[1], lid, sg);
    for (var e = 0u; e < EPC; e++) {
      let i = base + lid * EPC + e;
      if (i < n) {
        let d = digitOf(keys[e]);
        let dst = binOffset[d] + field(ex, d) + ranks[e];
        keysOut[dst] = keys[e];
        valsOut[dst] = valsIn[i];
      }
    }
    workgroupBarrier();
    if (lid < 16u) { binOffset[lid] += field(wgTotal2, lid); }
    workgroupBarrier();
  }
}
