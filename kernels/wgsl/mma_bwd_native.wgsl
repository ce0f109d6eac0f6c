// flash-mma backward prelude, native build: 16×16×16 f16 subgroup matrices with f32 results (the matrix units).
// The stand-in build (mma_bwd_emulated.wgsl) defines the same names with the same meaning. Both backward passes
// name their workgroup tiles alike (flash_mma_bwd_common.wgsl): xa and xb hold BT rows of two tensors ([row][d],
// f16), st a subgroup's f32 products, pt its f16 P or dS.
alias MatL = subgroup_matrix_left<f16, 16, 16>;
alias MatR = subgroup_matrix_right<f16, 16, 16>;
alias MatAcc = subgroup_matrix_result<f32, 16, 16>;

// The stand-in build needs to know each invocation's subgroup and lane; the matrix units do not.
fn matrixInit(lid: u32) {}

// v where ok, else zeros, selected as two 32-bit words: a select of the four halves took the H200's driver eight selects
// and eight byte permutes per vector (BENCHMARKS.md, fourteenth session).
fn halvesIf(v: vec4<f16>, ok: bool) -> vec4<f16> {
  return bitcast<vec4<f16>>(select(vec2<u32>(0u), bitcast<vec2<u32>>(v), ok));
}

// Every load and store takes its tile's constant stride (the `stride` argument, equal to it at every call site, is for
// the stand-in build). With a constant the H200's driver (580.159.04) loads a fragment with ldmatrix instead of 32- and
// 16-bit loads — which needs every workgroup variable of the shader to be a multiple of 16 bytes: one 4-byte variable
// (the forward's rescale flag) moved the others off 16-byte alignment and every result was wrong (BENCHMARKS.md,
// thirteenth and twenty-first sessions; tests check both).
fn zeroAcc() -> MatAcc { return MatAcc(); }
fn mma(a: MatL, b: MatR, c: MatAcc) -> MatAcc { return subgroupMatrixMultiplyAccumulate(a, b, c); }
// Rows of xa / xb as the left operand (the fragments a subgroup keeps in registers for the whole pass).
fn leftA(off: u32, stride: u32) -> MatL { return subgroupMatrixLoad<MatL, row_major>(&xa, off, AS); }
fn leftB(off: u32, stride: u32) -> MatL { return subgroupMatrixLoad<MatL, row_major>(&xb, off, AS); }
// Rows of xa / xb transposed as the right operand: element (d, row) sits at row·stride + d, i.e. column-major.
fn rightAT(off: u32, stride: u32) -> MatR { return subgroupMatrixLoad<MatR, col_major>(&xa, off, AS); }
fn rightBT(off: u32, stride: u32) -> MatR { return subgroupMatrixLoad<MatR, col_major>(&xb, off, AS); }
// Rows of xa / xb as they are, the right operand of dS·A and P·B.
fn rightA(off: u32, stride: u32) -> MatR { return subgroupMatrixLoad<MatR, row_major>(&xa, off, AS); }
fn rightB(off: u32, stride: u32) -> MatR { return subgroupMatrixLoad<MatR, row_major>(&xb, off, AS); }
// P or dS of the subgroup's 16 rows from pt, the left operand.
fn leftP(off: u32, stride: u32) -> MatL { return subgroupMatrixLoad<MatL, row_major>(&pt, off, PS); }
fn storeAcc(off: u32, m: MatAcc, stride: u32) { subgroupMatrixStore<row_major>(&st, off, m, SS); }
