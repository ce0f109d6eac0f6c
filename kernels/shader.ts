import paramsWgsl from './wgsl/params.wgsl';
import maskWgsl from './wgsl/mask.wgsl';
import type { DType } from './problem';

/**
 * Assembles a kernel's WGSL: `enable f16` and the element alias, then compile-time constants that WGSL
 * cannot take as `override` (sizes of function-scope and workgroup arrays), then the shared snippets.
 */
export function assembleShader(
  body: string,
  opts: { dtype: DType; consts: Record<string, number>; mask: boolean; enables?: string[]; directives?: string[]; prelude?: string },
): string {
  const lines: string[] = [];
  const enables = new Set(opts.enables ?? []);
  if (opts.dtype === 'f16') enables.add('f16');
  for (const e of enables) lines.push(`enable ${e};`);
  for (const d of opts.directives ?? []) lines.push(`${d};`);
  lines.push(`alias elem = ${opts.dtype};`);
  for (const [name, value] of Object.entries(opts.consts)) {
    if (!Number.isInteger(value) || value < 0) throw new Error(`shader constant ${name} must be a non-negative integer`);
    lines.push(`const ${name}: u32 = ${value}u;`);
  }
  lines.push(paramsWgsl);
  lines.push(body);
  if (opts.prelude) lines.push(opts.prelude);
  if (opts.mask) lines.push(maskWgsl);
  return lines.join('\n');
}

/**
 * Pipelines by device, shared by every run on that device: a profile (or a test suite) that runs the same kernel
 * on several shapes compiles each specialisation once. Pipelines die with their device.
 */
const byDevice = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

/** Caches pipelines by kernel + specialisation, so timing never includes shader compilation. */
export class PipelineCache {
  private readonly pipelines: Map<string, GPUComputePipeline>;

  constructor(private readonly device: GPUDevice) {
    let shared = byDevice.get(device);
    if (!shared) byDevice.set(device, (shared = new Map()));
    this.pipelines = shared;
  }

  /** `key` names the specialisation for humans; the cache is keyed by the code itself, so it can never be stale. */
  async get(key: string, code: string, label: string): Promise<GPUComputePipeline> {
    if (poisonWanted()) code = poisonWorkgroupMemory(code);
    const pad = workgroupPadBytes();
    if (pad) code = padWorkgroupMemory(code, pad);
    const id = `${key}\n${code}`;
    const hit = this.pipelines.get(id);
    if (hit) return hit;
    const module = this.device.createShaderModule({ label, code });
    const info = await module.getCompilationInfo();
    const errors = info.messages.filter((m) => m.type === 'error');
    if (errors.length) {
      const first = errors[0];
      throw new Error(`WGSL for ${label} failed to compile at line ${first.lineNum}:${first.linePos}: ${first.message}`);
    }
    const pipeline = await this.device.createComputePipelineAsync({
      label,
      layout: 'auto',
      compute: { module, entryPoint: 'main' },
    });
    this.pipelines.set(id, pipeline);
    return pipeline;
  }
}

function poisonWanted(): boolean {
  return (typeof process !== 'undefined' ? process.env.ATTNPROF_POISON_WORKGROUP : undefined) === '1';
}

/** All-ones bits (NaN as f32 and f16, the largest u32, −1 as i32) of a scalar or vector type, from the u32 `bits`. */
function poisonValue(type: string, bits: string): string | undefined {
  const scalar = (t: string): string | undefined =>
    ({ f32: `bitcast<f32>(${bits})`, f16: `bitcast<vec2<f16>>(${bits}).x`, u32: bits, i32: `bitcast<i32>(${bits})` })[t];
  const vec = /^vec([234])<(\w+)>$/.exec(type);
  if (vec) {
    const s = scalar(vec[2]);
    return s && `vec${vec[1]}<${vec[2]}>(${s})`;
  }
  return scalar(type);
}

/**
 * Diagnostics (`ATTNPROF_POISON_WORKGROUP=1`, the kernel tier's uninit.test.ts): every `var<workgroup>` of the
 * shader is filled with all-ones bits (NaN for floats) at the top of the entry point, before the kernel's own code,
 * as memory that no one initialises may hold. A kernel that reads an element of workgroup memory it never wrote —
 * a 16×16 matrix load over a padding column, a row past the last one stored — then computes NaN or garbage instead
 * of what Dawn's zero-initialisation (which its `disable_workgroup_init` toggle turns off, and which a browser or
 * driver may do without) would have hidden. Throws on a declaration it cannot poison, so none is skipped silently.
 */
export function poisonWorkgroupMemory(code: string): string {
  const decls = [...code.matchAll(/var<workgroup>\s+(\w+)\s*:\s*([^;]+);/g)].map((m) => ({ name: m[1], type: m[2].trim() }));
  if (!decls.length) return code;
  return atEntryTop(code, 'poisonWorkgroupMemory', (lid, size) => {
    const bits = 'poisonBits';
    const lines = [`  {`, `    let ${bits} = 0xffffffffu | (${lid} & 0u);`];
    // One element's poisoning store: an atomicStore for atomics, else an assignment of the type's all-ones value.
    const poisonStore = (target: string, elem: string, what: string): string => {
      const atomic = /^atomic<(u32|i32)>$/.exec(elem);
      if (atomic) return `atomicStore(&${target}, ${atomic[1] === 'u32' ? bits : `bitcast<i32>(${bits})`});`;
      const value = poisonValue(elem, bits);
      if (!value) throw new Error(`poisonWorkgroupMemory: cannot poison ${what}`);
      return `${target} = ${value};`;
    };
    for (const { name, type } of decls) {
      const arr = /^array<\s*(\w+(?:<\w+>)?)\s*,\s*(.+)>$/.exec(type);
      if (arr) lines.push(`    for (var pi = ${lid}; pi < (${arr[2]}); pi += ${size}) { ${poisonStore(`${name}[pi]`, arr[1], `${name}: ${type}`)} }`);
      else lines.push(`    if (${lid} == 0u) { ${poisonStore(name, type, `${name}: ${type}`)} }`);
    }
    lines.push('  }', '  workgroupBarrier();');
    return lines;
  });
}

/** `ATTNPROF_WG_PAD_BYTES`: bytes of workgroup memory added to every pipeline (0: none), rounded up to 16. */
export function workgroupPadBytes(): number {
  const n = Number(typeof process !== 'undefined' ? process.env.ATTNPROF_WG_PAD_BYTES : undefined);
  // In 16-byte steps: a workgroup variable of another size puts the next ones off the 16-byte alignment that the native
  // matrix loads of flash-mma need (kernels/wgsl/mma_native.wgsl).
  return Number.isInteger(n) && n > 0 ? Math.ceil(n / 16) * 16 : 0;
}

/**
 * For sweeps on a device (`ATTNPROF_WG_PAD_BYTES=N`): declares N more bytes of workgroup memory, kept by a store that
 * no invocation makes, so a kernel's speed can be measured against its workgroup footprint alone. On the H200, 512 such
 * bytes beside the flash-mma dQ pass's 16 KB made it 47 % slower (BENCHMARKS.md, sixteenth session).
 */
export function padWorkgroupMemory(code: string, bytes: number): string {
  const words = Math.ceil(bytes / 4);
  const padded = atEntryTop(code, 'padWorkgroupMemory', (lid) => [`  if (${lid} == 0xffffffffu) { attnprofPad[${lid} % ${words}u] = 0u; }`]);
  return `${padded}\nvar<workgroup> attnprofPad: array<u32, ${words}>;\n`;
}

/**
 * `lines(lid, size)` inserted at the top of the entry point's body, with `lid` its local invocation index (a parameter
 * added where it has none) and `size` the invocations of its workgroup.
 */
function atEntryTop(code: string, what: string, lines: (lid: string, size: string) => string[]): string {
  const entry = /@compute\s+@workgroup_size\(([^)]*)\)\s*fn\s+(\w+)\s*\(/.exec(code);
  if (!entry) throw new Error(`${what}: no @compute entry point with @workgroup_size`);
  // The parameters run to the parenthesis that closes the entry's (they hold @builtin(…) themselves).
  let depth = 1;
  let close = entry.index + entry[0].length;
  for (; depth > 0 && close < code.length; close++) depth += code[close] === '(' ? 1 : code[close] === ')' ? -1 : 0;
  const open = code.indexOf('{', close);
  if (depth !== 0 || open < 0) throw new Error(`${what}: unbalanced entry point`);
  const size = entry[1].split(',').map((e) => e.trim()).filter(Boolean).map((e) => `(${e})`).join(' * ');
  let params = code.slice(entry.index + entry[0].length, close - 1);
  const lidMatch = /@builtin\(local_invocation_index\)\s*(\w+)\s*:\s*u32/.exec(params);
  let lid = lidMatch?.[1];
  if (!lid) {
    lid = 'entryLid';
    params = `${params.trim() ? `${params.replace(/,\s*$/, '')}, ` : ''}@builtin(local_invocation_index) ${lid}: u32`;
  }
  const head = `${code.slice(entry.index, entry.index + entry[0].length)}${params})${code.slice(close, open + 1)}`;
  return `${code.slice(0, entry.index)}${head}\n${lines(lid, size).join('\n')}${code.slice(open + 1)}`;
}

/**
 * Replaces each `//@NAME` line of a WGSL source with the generated lines of that section (code unrolled on the
 * host: registers named one by one, constant offsets). An unknown section is a bug in the kernel's host code.
 */
export function expandSections(body: string, parts: Record<string, string[]>): string {
  return body.replace(/^\/\/@(\w+)$/gm, (_, name: string) => {
    const lines = parts[name];
    if (!lines) throw new Error(`WGSL section //@${name} has no generator`);
    return lines.join('\n');
  });
}
