// flash-mma prelude, native build: 16×16×16 f16 subgroup matrices with f32 results (the matrix units).
// The stand-in build (mma_emulated.wgsl) defines the same names with the same meaning.
alias MatL = subgroup_matrix_left<f16, 16, 16>;
alias MatR = subgroup_matrix_right<f16, 16, 16>;
alias MatAcc = subgroup_matrix_result<f32, 16, 16>;

// Each load and store takes its stride from the tile's constant, not from its `stride` argument (which every call
// site passes equal to it, as the stand-in build uses it; a test checks): with the argument, a function parameter in
// the SPIR-V, the H200's driver loaded each fragment in four 32-bit loads; with the constant, in one ldmatrix
// (ViT-196 632 → 604 µs; BENCHMARKS.md, twelfth session).
fn zeroAcc() -> MatAcc { return MatAcc(); }
fn mma(a: MatL, b: MatR, c: MatAcc) -> MatAcc { return subgroupMatrixMultiplyAccumulate(a, b, c); }
// P (and Q before the key loop) from ps, row-major.
fn loadP(off: u32, stride: u32) -> MatL { return subgroupMatrixLoad<MatL, row_major>(&ps, off, PS); }
// Kᵀ from the K tile: element (d, key) sits at key·stride + d, i.e. column-major.
fn loadKt(off: u32, stride: u32) -> MatR { return subgroupMatrixLoad<MatR, col_major>(&kt, off, KS); }
// V from the transposed tile ([d][key], staged from the transposed copy): element (key, d) at d·stride + key, i.e. column-major.
fn loadV(off: u32, stride: u32) -> MatR { return subgroupMatrixLoad<MatR, col_major>(&vt, off, VS); }
// V from the tile as it lies ([key][d], staged from V's rows): element (key, d) at key·stride + d, i.e. row-major.
fn loadVrow(off: u32, stride: u32) -> MatR { return subgroupMatrixLoad<MatR, row_major>(&vt, off, VS); }
fn storeS(off: u32, m: MatAcc, stride: u32) { subgroupMatrixStore<row_major>(&ss, off, m, SS); }
fn loadS(off: u32, stride: u32) -> MatAcc { return subgroupMatrixLoad<MatAcc, row_major>(&ss, off, SS); }
