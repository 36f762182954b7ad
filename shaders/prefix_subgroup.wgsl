// Workgroup-wide exclusive prefix sum of vec4<u32> over 256 threads with subgroup operations
// (subgroupExclusiveAdd within each subgroup, then a scan of the subgroup totals). Assumes
// subgroups are consecutive runs of local_invocation_index, as on all current drivers.
// Same interface as prefix_plain.wgsl.
enable subgroups;

var<workgroup> sgSums: array<vec4u, 64>;
var<workgroup> wgTotal: vec4u; // sum over the workgroup, valid after wgScan returns

struct SgIds {
  @builtin(subgroup_invocation_id) lane: u32,
  @builtin(subgroup_size) size: u32,
}

// Exclusive scan of v over local_invocation_index `lid` (call from uniform control flow).
fn wgScan(v: vec4u, lid: u32, sg: SgIds) -> vec4u {
  let ex = subgroupExclusiveAdd(v);
  let sid = lid / sg.size;
  if (sg.lane == sg.size - 1u) { sgSums[sid] = ex + v; }
  workgroupBarrier();
  if (lid == 0u) {
    let nsg = 256u / sg.size;
    var acc = vec4u(0u);
    for (var k = 0u; k < nsg; k++) {
      let t = sgSums[k];
      sgSums[k] = acc;
      acc += t;
    }
    wgTotal = acc;
  }
  workgroupBarrier();
  let r = sgSums[sid] + ex;
  workgroupBarrier();
  return r;
}

var<workgroup> sgSums2: array<array<vec4u, 2>, 64>;
var<workgroup> wgTotal2: array<vec4u, 2>; // sums over the workgroup, valid after wgScan2 returns

// Exclusive scan of the pair (a, b) (eight u32 lanes) over the workgroup, as wgScan.
fn wgScan2(a: vec4u, b: vec4u, lid: u32, sg: SgIds) -> array<vec4u, 2> {
  let ea = subgroupExclusiveAdd(a);
  let eb = subgroupExclusiveAdd(b);
  let sid = lid / sg.size;
  if (sg.lane == sg.size - 1u) { sgSums2[sid] = array<vec4u, 2>(ea + a, eb + b); }
  workgroupBarrier();
  if (lid == 0u) {
    let nsg = 256u / sg.size;
    var acc0 = vec4u(0u);
    var acc1 = vec4u(0u);
    for (var k = 0u; k < nsg; k++) {
      let t = sgSums2[k];
      sgSums2[k] = array<vec4u, 2>(acc0, acc1);
      acc0 += t[0];
      acc1 += t[1];
    }
    wgTotal2 = array<vec4u, 2>(acc0, acc1);
  }
  workgroupBarrier();
  let r = sgSums2[sid];
  workgroupBarrier();
  return array<vec4u, 2>(r[0] + ea, r[1] + eb);
}
