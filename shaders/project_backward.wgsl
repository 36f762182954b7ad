@group(0) @binding(0) var<uniform> P: Params;
@compute @workgroup_size(256) fn shBackward() { _ = P.dims.x; }
@compute @workgroup_size(256) fn geomBackward() { _ = P.dims.x; }
@compute @workgroup_size(256) fn statsBackward() { _ = P.dims.x; }
