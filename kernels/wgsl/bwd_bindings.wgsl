// The attention backward's shared bindings 0–6 and 8, for the flash passes (flash_bwd_dkv.wgsl, flash_bwd_dq.wgsl)
// and flash-mma's (flash_mma_bwd_common.wgsl): the host puts this first. Binding 7 is what each family's forward
// saved per query row (flash: the softmax max and sum; flash-mma: the log-sum-exp); the gradient outputs are from
// binding 9 on.
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> q: array<vec4<elem>>;
@group(0) @binding(2) var<storage, read> k: array<vec4<elem>>;
@group(0) @binding(3) var<storage, read> v: array<vec4<elem>>;
@group(0) @binding(4) var<storage, read> dout: array<vec4<elem>>;
@group(0) @binding(5) var<storage, read> kvLens: array<i32>;
@group(0) @binding(6) var<storage, read> docBounds: array<i32>;
@group(0) @binding(8) var<storage, read> rowD: array<f32>;       // D = rowsum(dO ⊙ O) per query row

const D4: u32 = HEAD_DIM / 4u;
