import { hasF16MatrixConfig } from './names';

/**
 * The Dawn device wrapper: picks an adapter, requests the limits and features the kernels use,
 * and turns validation errors and device loss into clear failures.
 */
export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  backend: string;
  isFallback: boolean;
  features: string[];
  /** Tensor-core shapes the adapter offers to WGSL (`chromium-experimental-subgroup-matrix`); empty when none. */
  subgroupMatrixConfigs: SubgroupMatrixConfig[];
  /** Subgroup (SIMD) width range, when the adapter reports it. */
  subgroupSizes?: [number, number];
  /** How shader-f16 came about or why it is missing, when that is not simply the driver's default. */
  f16Note?: string;
  /** Whether Dawn's shader checks (index clamping, zeroed workgroup memory) are compiled into the kernels (`shaderChecksSetting`: by default only on a software adapter). */
  shaderChecks: boolean;
  limits: {
    maxStorageBufferBindingSize: number;
    maxBufferSize: number;
    maxComputeWorkgroupStorageSize: number;
    maxComputeInvocationsPerWorkgroup: number;
    maxComputeWorkgroupsPerDimension: number;
  };
}

export interface SubgroupMatrixConfig {
  M: number;
  N: number;
  K: number;
  componentType: string;
  resultComponentType: string;
}

export { hasF16MatrixConfig } from './names';

export interface GpuContext {
  device: GPUDevice;
  adapter: AdapterSummary;
  hasTimestamps: boolean;
  /** Whether Dawn quantises timestamps (we ask it not to; reported honestly either way). */
  timestampsQuantized: boolean;
  hasF16: boolean;
  /** 'subgroups' and a 16×16×16 f16→f32 subgroup-matrix config were granted: flash-mma can run. */
  hasSubgroupMatrix: boolean;
  /** Set once the device is lost; every later GPU call fails with this message. */
  lost: () => string | undefined;
  /** The first uncaptured GPU error since the last call (validation, out of memory), then cleared. */
  takeError: () => string | undefined;
  /**
   * Gives the device up while the GPU still runs work that cannot be cancelled (a kernel past its time limit):
   * nothing more is submitted, and `destroy` no longer waits for the GPU (Dawn's destroy blocks until the queue is
   * idle). The process should exit once it has said what was measured (`gpuAbandoned`).
   */
  abandon(reason: string): void;
  /** Why the device was given up, if it was. */
  abandoned: () => string | undefined;
  destroy(): void;
}

let abandonedInProcess: string | undefined;

/** Why a device of this process was given up with work still running on the GPU (see GpuContext.abandon). */
export function gpuAbandoned(): string | undefined {
  return abandonedInProcess;
}

export class GpuError extends Error {
  override name = 'GpuError';
}

export class NoAdapterError extends GpuError {
  override name = 'NoAdapterError';
}

interface DawnModule {
  create(flags: string[]): GPU;
  globals: Record<string, unknown>;
}

let dawn: DawnModule | undefined;

/**
 * Every GPU instance and adapter we create stays reachable for the life of the process: when the garbage
 * collector frees one while Dawn's threads still use it, the process aborts (seen on lavapipe as a futex
 * error, intermittently, whenever a GC ran mid-run). Node still exits once the devices are destroyed.
 */
const keepAlive: unknown[] = [];
/** Adapter choices (name, power preference) that gave a software adapter in this process (openGpu). */
const softwareChoices = new Set<string>();

async function loadDawn(): Promise<DawnModule> {
  if (dawn) return dawn;
  try {
    // Dynamic import: `webgpu` is an ES module with a native addon and stays outside every bundle.
    const mod = (await import('webgpu')) as unknown as DawnModule;
    Object.assign(globalThis, mod.globals);
    dawn = mod;
    return mod;
  } catch (e) {
    throw new NoAdapterError(
      `could not load Dawn (the 'webgpu' package): ${(e as Error).message}. Reinstall with 'npm install'.`,
    );
  }
}

export interface OpenOptions {
  /** Substring of the adapter name (Dawn's `adapter=` flag); undefined picks the default. */
  adapterName?: string;
  powerPreference?: GPUPowerPreference;
  /**
   * Ask the device for a smaller storage binding than the adapter allows: shows how a kernel behaves on
   * a smaller GPU (naive's chunking, the size checks) without needing one.
   */
  maxStorageBufferBindingSize?: number;
  /**
   * Ask Dawn for f16 and tensor-core matrices on NVIDIA drivers it gates them on (the
   * `vulkan_enable_f16_on_nvidia` toggle with `allow_unsafe_apis`). Default: on, unless the environment
   * has ATTNPROF_F16_TOGGLE=0 (`--no-f16-toggle`, setting `attnprof.f16Toggle`).
   */
  f16Toggle?: boolean;
  /**
   * Keep Dawn's shader checks: every array index clamped to its array (`robustness`) and workgroup memory zeroed
   * before a workgroup starts. Default: off on hardware adapters, on for software ones, unless the environment has
   * ATTNPROF_SHADER_CHECKS=1 (`--shader-checks`, setting `attnprof.shaderChecks`) or =0 — see `shaderChecksSetting`.
   */
  shaderChecks?: boolean;
}

/** The NVIDIA driver from which Dawn enables f16 by itself (older ones failed f16 conformance tests). */
const F16_NATIVE_DRIVER = [615, 71];

export function f16ToggleWanted(options: OpenOptions = {}): boolean {
  if (options.f16Toggle !== undefined) return options.f16Toggle;
  return (typeof process !== 'undefined' ? process.env.ATTNPROF_F16_TOGGLE : undefined) !== '0';
}

/**
 * Whether the kernels are compiled with Dawn's shader checks, when asked: the option, else ATTNPROF_SHADER_CHECKS
 * (1 or 0), else undefined — the default. The checks are a browser's defence against a hostile page, not part of
 * attention: the native kernels a profile compares with (PyTorch's, FlashAttention's) index their arrays unchecked
 * and never zero shared memory, and on the H200 the checks cost flash-mma 1–3 % of its forward and 4 % of its
 * training step (BENCHMARKS.md, twenty-second session). So by default a hardware adapter runs without them (Dawn's
 * `disable_robustness` and `disable_workgroup_init` toggles), and attnprof tests that its kernels do not need them:
 * the uninit tier (test/kernel/uninit.test.ts) runs without them and poisons workgroup memory so that a read of an
 * element never written fails, and the native kernel tiers pass without them on the H200. A software adapter keeps
 * them by default: its compiler (LLVM, in Mesa lavapipe) took over 280 s on the unchecked flash-mma stand-in's
 * training pipelines against 112 s checked, and its timings are no GPU's anyway. A user can keep them anywhere
 * (`--shader-checks`, `attnprof.shaderChecks`); the report says which applied.
 */
export function shaderChecksSetting(options: OpenOptions = {}): boolean | undefined {
  if (options.shaderChecks !== undefined) return options.shaderChecks;
  const env = typeof process !== 'undefined' ? process.env.ATTNPROF_SHADER_CHECKS : undefined;
  return env === '1' ? true : env === '0' ? false : undefined;
}

/** Instance flags: ours, the f16 toggle when wanted, the shader checks off unless asked for, and any diagnostic extras, with one enable list. */
export function dawnFlags(options: OpenOptions = {}): string[] {
  const enable: string[] = [];
  const disable = ['timestamp_quantization'];
  if (f16ToggleWanted(options)) enable.push('allow_unsafe_apis', 'vulkan_enable_f16_on_nvidia');
  if (!shaderChecksSetting(options)) enable.push('disable_robustness', 'disable_workgroup_init');
  const other: string[] = [];
  // Diagnostics: extra Dawn toggles for experiments (e.g. "enable-dawn-features=disable_robustness").
  const extra = typeof process !== 'undefined' ? process.env.ATTNPROF_DAWN_FLAGS : undefined;
  for (const flag of (extra ?? '').split(' ').filter(Boolean)) {
    const m = /^(enable|disable)-dawn-features=(.*)$/.exec(flag);
    if (m) (m[1] === 'enable' ? enable : disable).push(...m[2].split(',').filter(Boolean));
    else other.push(flag);
  }
  const flags = [`disable-dawn-features=${[...new Set(disable)].join(',')}`];
  if (enable.length) flags.push(`enable-dawn-features=${[...new Set(enable)].join(',')}`);
  if (options.adapterName) flags.push(`adapter=${options.adapterName}`);
  return [...flags, ...other];
}

function driverVersion(description: string): number[] | undefined {
  const m = /(\d+)\.(\d+)(?:\.\d+)?/.exec(description);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

function olderThan(v: number[], than: number[]): boolean {
  return v[0] < than[0] || (v[0] === than[0] && v[1] < than[1]);
}

/** Says how f16 came about on NVIDIA, where Dawn gates it by driver version. */
export function f16NoteFor(s: AdapterSummary, toggle: boolean): string | undefined {
  if (!/nvidia/i.test(s.vendor)) return undefined;
  const v = driverVersion(s.description);
  if (!v || !olderThan(v, F16_NATIVE_DRIVER)) return undefined;
  const driver = `driver ${v.join('.')}`;
  const floor = `drivers ≥ ${F16_NATIVE_DRIVER.join('.')} need none`;
  if (s.features.includes('shader-f16')) return `f16 enabled by Dawn toggle on ${driver}; ${floor}`;
  return toggle ? `no f16 on ${driver}, even with Dawn's toggle` : `f16 off on ${driver}: the Dawn toggle is disabled (--no-f16-toggle / attnprof.f16Toggle); ${floor}`;
}

/** Names of the adapters Dawn can see, for "Select GPU Adapter…" and `--adapter`. */
export async function listAdapters(): Promise<AdapterSummary[]> {
  const { create } = await loadDawn();
  const found: AdapterSummary[] = [];
  const toggle = f16ToggleWanted();
  for (const pref of ['high-performance', 'low-power'] as const) {
    const gpu = create(dawnFlags());
    const adapter = await gpu.requestAdapter({ powerPreference: pref });
    keepAlive.push(gpu, adapter);
    if (adapter) {
      const s = summarise(adapter, toggle, shaderChecksSetting());
      if (!found.some((f) => f.description === s.description && f.backend === s.backend)) found.push(s);
    }
  }
  return found;
}

interface DawnAdapterInfo extends Omit<GPUAdapterInfo, 'isFallbackAdapter'> {
  backendType?: string;
  isFallbackAdapter?: boolean;
  subgroupMinSize?: number;
  subgroupMaxSize?: number;
  subgroupMatrixConfigs?: SubgroupMatrixConfig[];
}

/** A software adapter (Mesa lavapipe, SwiftShader): correct, but its timings are no GPU's. */
function isSoftwareAdapter(adapter: GPUAdapter): boolean {
  const info = adapter.info as DawnAdapterInfo;
  return (
    Boolean(info.isFallbackAdapter) ||
    Boolean((adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter) ||
    /llvmpipe|lavapipe|swiftshader|software/i.test(`${info.device} ${info.description}`)
  );
}

/** `checks`: the shader-checks setting (`shaderChecksSetting`); undefined is the default, on only for a software adapter. */
function summarise(adapter: GPUAdapter, toggle: boolean, checks: boolean | undefined): AdapterSummary {
  const info = adapter.info as DawnAdapterInfo;
  const l = adapter.limits;
  const isFallback = isSoftwareAdapter(adapter);
  const shaderChecks = checks ?? isFallback;
  // NVIDIA's Vulkan driver describes itself only by driver version ("NVIDIA: 580.159.04 …"); name the
  // device first so reports say which GPU it was.
  const driverOnly = /^\w+: [\d. ]+$/.test(info.description ?? '');
  const description =
    driverOnly && info.device ? `${info.device} (driver ${info.description.split(': ')[1].split(' ')[0]})` : info.description || info.device || 'unknown adapter';
  const configs = adapter.features.has('chromium-experimental-subgroup-matrix' as GPUFeatureName)
    ? [...(info.subgroupMatrixConfigs ?? [])].map((c) => ({
        M: c.M, N: c.N, K: c.K, componentType: String(c.componentType), resultComponentType: String(c.resultComponentType),
      }))
    : [];
  const summary: AdapterSummary = {
    vendor: info.vendor || 'unknown',
    architecture: info.architecture || '',
    device: info.device || '',
    description,
    backend: info.backendType ?? '',
    isFallback,
    shaderChecks,
    features: [...adapter.features].sort(),
    subgroupMatrixConfigs: configs,
    ...(info.subgroupMinSize ? { subgroupSizes: [info.subgroupMinSize, info.subgroupMaxSize ?? info.subgroupMinSize] as [number, number] } : {}),
    limits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
    },
  };
  const note = f16NoteFor(summary, toggle);
  if (note) summary.f16Note = note;
  return summary;
}

export async function openGpu(options: OpenOptions = {}): Promise<GpuContext> {
  const { create } = await loadDawn();
  const toggle = f16ToggleWanted(options);
  const checks = shaderChecksSetting(options);
  let adapter: GPUAdapter | null = null;
  const request = async (shaderChecks: boolean): Promise<GPUAdapter | null> => {
    const gpu = create(dawnFlags({ ...options, shaderChecks }));
    keepAlive.push(gpu);
    const found = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
    keepAlive.push(found);
    return found;
  };
  // Dawn's toggles are the instance's, chosen before the adapter is known: a software adapter keeps the shader checks by
  // default (`shaderChecksSetting`), so it is asked for again from an instance with them — once per process and choice
  // of adapter: later opens remember it.
  const choice = `${options.adapterName ?? ''}|${options.powerPreference ?? 'high-performance'}`;
  try {
    adapter = await request(checks ?? softwareChoices.has(choice));
    if (checks === undefined && adapter && isSoftwareAdapter(adapter) && !softwareChoices.has(choice)) {
      softwareChoices.add(choice);
      adapter = await request(true);
    }
  } catch (e) {
    throw new NoAdapterError(`no WebGPU adapter: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!adapter) {
    throw new NoAdapterError(
      options.adapterName
        ? `no WebGPU adapter matches '${options.adapterName}'; run 'attnprof adapters' to list them.`
        : 'no WebGPU adapter found: install a Vulkan driver (on a machine without a GPU: Mesa lavapipe, see the README).',
    );
  }
  const summary = summarise(adapter, toggle, checks);
  if (options.maxStorageBufferBindingSize !== undefined) {
    summary.limits.maxStorageBufferBindingSize = Math.min(
      summary.limits.maxStorageBufferBindingSize,
      options.maxStorageBufferBindingSize,
    );
  }
  const wanted: GPUFeatureName[] = [];
  const hasTimestamps = adapter.features.has('timestamp-query');
  if (hasTimestamps) wanted.push('timestamp-query');
  const hasF16 = adapter.features.has('shader-f16');
  if (hasF16) wanted.push('shader-f16');
  // flash-mma: f16 tiles on the matrix units; its subgroups are 32 wide (one query block per subgroup).
  const matrixFeature = 'chromium-experimental-subgroup-matrix' as GPUFeatureName;
  const hasSubgroupMatrix =
    hasF16 && adapter.features.has('subgroups') && adapter.features.has(matrixFeature) && hasF16MatrixConfig(summary);
  if (hasSubgroupMatrix) wanted.push('subgroups', matrixFeature);
  const l = adapter.limits;
  const device = await adapter.requestDevice({
    requiredFeatures: wanted,
    requiredLimits: {
      maxStorageBufferBindingSize: summary.limits.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxStorageBuffersPerShaderStage: Math.min(l.maxStorageBuffersPerShaderStage, 10),
    },
  });
  // Dawn's node binding does not hold the event loop open while its promises (error scopes, mapAsync) are
  // pending, so Node could exit mid-await; a timer keeps it alive until the context is destroyed.
  const timer = setInterval(() => {}, 60_000);
  let lostMessage: string | undefined;
  let uncaptured: string | undefined;
  void device.lost.then((info) => {
    if (info.reason !== 'destroyed') lostMessage = `GPU device lost: ${info.message || info.reason}`;
  });
  device.addEventListener('uncapturederror', (ev) => {
    const err = (ev as GPUUncapturedErrorEvent).error;
    uncaptured ??= `GPU error: ${err.message.split('\n')[0]}`;
  });
  let destroyed = false;
  let abandonReason: string | undefined;
  return {
    device,
    adapter: summary,
    hasTimestamps,
    // We pass disable-dawn-features=timestamp_quantization; Dawn honours it in this node binding.
    timestampsQuantized: false,
    hasF16,
    hasSubgroupMatrix,
    lost: () => (destroyed ? 'the GPU context was destroyed' : lostMessage),
    takeError: () => {
      const e = uncaptured;
      uncaptured = undefined;
      return e;
    },
    abandon: (reason) => {
      abandonReason ??= reason;
      abandonedInProcess ??= reason;
    },
    abandoned: () => abandonReason,
    destroy: () => {
      clearInterval(timer);
      if (destroyed) return;
      destroyed = true;
      if (!abandonReason) device.destroy();
    },
  };
}

/** Runs `work` inside validation and out-of-memory error scopes; throws GpuError with the adapter's message. */
export async function checked<T>(ctx: GpuContext, what: string, work: () => T): Promise<T> {
  const { device } = ctx;
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let result: T;
  try {
    result = work();
  } finally {
    const validation = await device.popErrorScope();
    const oom = await device.popErrorScope();
    if (oom) throw new GpuError(`${what}: the GPU ran out of memory (${oom.message.split('\n')[0]}).`);
    if (validation) throw new GpuError(`${what}: ${validation.message.split('\n')[0]}`);
  }
  const lost = ctx.lost() ?? ctx.takeError();
  if (lost) throw new GpuError(`${what}: ${lost}`);
  return result;
}
