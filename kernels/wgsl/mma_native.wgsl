// flash-mma prelude, native build: 16×16×16 f16 subgroup matrices with f32 results (the matrix units).
// The stand-in build (mma_emulated.wgsl) defines the same names with the same meaning.
alias MatL = subgroup_matrix_left<f16, 16, 16>;
alias MatR = subgroup_matrix_right<f16, 16, 16>;
alias MatAcc = subgroup_matrix_result<f32, 16, 16>;

// The stand-in build needs to know each invocation's subgroup and lane; the matrix units do not.
fn matrixInit(lid: u32) {}

// v where ok, else zeros, selected as two 32-bit words: a select of the four halves took the H200's driver eight selects
// and eight byte permutes per vector, about 40 instructions of every K/V tile (BENCHMARKS.md, fourteenth session).
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
// P (and Q before the key loop) from ps, row-major.
fn loadP(off: u32, stride: u32) -> MatL { return subgroupMatrixLoad<MatL, row_major>(&ps, off, PS); }
// Q from the K tile before the key loop, where the plan stages Q through it (flash_mma.ts `qViaK`), row-major.
fn loadQk(off: u32, stride: u32) -> MatL { return subgroupMatrixLoad<MatL, row_major>(&kt, off, KS); }
// Kᵀ from the K tile: element (d, key) sits at key·stride + d, i.e. column-major.
fn loadKt(off: u32, stride: u32) -> MatR { return subgroupMatrixLoad<MatR, col_major>(&kt, off, KS); }
// V from the tile as it lies ([key][d], staged from V's rows): element (key, d) at key·stride + d, i.e. row-major.
fn loadVrow(off: u32, stride: u32) -> MatR { return subgroupMatrixLoad<MatR, row_major>(&vt, off, VS); }
fn storeS(off: u32, m: MatAcc, stride: u32) { subgroupMatrixStore<row_major>(&ss, off, m, SS); }
fn loadS(off: u32, stride: u32) -> MatAcc { return subgroupMatrixLoad<MatAcc, row_major>(&ss, off, SS); }
