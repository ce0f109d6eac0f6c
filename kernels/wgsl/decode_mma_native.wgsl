// Matrix-unit decode prelude (flash_decode_mma.wgsl), native build: 16×16×16 f16 subgroup matrices with f32 results.
// The stand-in build (mma_standin.wgsl + decode_mma_emulated.wgsl) defines the same names with the same meaning.
// Every load and store takes its tile's constant stride, so the driver loads fragments with ldmatrix (mma_native.wgsl).
alias MatL = subgroup_matrix_left<f16, 16, 16>;
alias MatR = subgroup_matrix_right<f16, 16, 16>;
alias MatAcc = subgroup_matrix_result<f32, 16, 16>;

fn matrixInit(lid: u32) {}
fn zeroAcc() -> MatAcc { return MatAcc(); }
fn mma(a: MatL, b: MatR, c: MatAcc) -> MatAcc { return subgroupMatrixMultiplyAccumulate(a, b, c); }
// Q's rows from kt before the loop, row-major.
fn loadQ(off: u32) -> MatL { return subgroupMatrixLoad<MatL, row_major>(&kt, off, KS); }
// Kᵀ from the staged K rows ([key][d]): element (d, key) at key·KS + d, i.e. column-major.
fn loadKt(off: u32) -> MatR { return subgroupMatrixLoad<MatR, col_major>(&kt, off, KS); }
// V from the staged V rows ([key][d]), row-major.
fn loadV(off: u32) -> MatR { return subgroupMatrixLoad<MatR, row_major>(&kt, off, KS); }
fn loadP(off: u32) -> MatL { return subgroupMatrixLoad<MatL, row_major>(&ps, off, PS); }
fn storeAcc(off: u32, m: MatAcc) { subgroupMatrixStore<row_major>(&ss, off, m, SS); }
fn loadAcc(off: u32) -> MatAcc { return subgroupMatrixLoad<MatAcc, row_major>(&ss, off, SS); }
