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
  limits: {
    maxStorageBufferBindingSize: number;
    maxBufferSize: number;
    maxComputeWorkgroupStorageSize: number;
    maxComputeInvocationsPerWorkgroup: number;
    maxComputeWorkgroupsPerDimension: number;
  };
}

export interface GpuContext {
  device: GPUDevice;
  adapter: AdapterSummary;
  hasTimestamps: boolean;
  /** Whether Dawn quantises timestamps (we ask it not to; reported honestly either way). */
  timestampsQuantized: boolean;
  hasF16: boolean;
  /** Set once the device is lost; every later GPU call fails with this message. */
  lost: () => string | undefined;
  /** The first uncaptured GPU error since the last call (validation, out of memory), then cleared. */
  takeError: () => string | undefined;
  destroy(): void;
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
}

/** Names of the adapters Dawn can see, for "Select GPU Adapter…" and `--adapter`. */
export async function listAdapters(): Promise<AdapterSummary[]> {
  const { create } = await loadDawn();
  const found: AdapterSummary[] = [];
  for (const pref of ['high-performance', 'low-power'] as const) {
    const gpu = create([]);
    const adapter = await gpu.requestAdapter({ powerPreference: pref });
    keepAlive.push(gpu, adapter);
    if (adapter) {
      const s = summarise(adapter);
      if (!found.some((f) => f.description === s.description && f.backend === s.backend)) found.push(s);
    }
  }
  return found;
}

function summarise(adapter: GPUAdapter): AdapterSummary {
  const info = adapter.info as GPUAdapterInfo & { backendType?: string; isFallbackAdapter?: boolean };
  const l = adapter.limits;
  const isFallback =
    Boolean(info.isFallbackAdapter) ||
    Boolean((adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter) ||
    /llvmpipe|lavapipe|swiftshader|software/i.test(`${info.device} ${info.description}`);
  // NVIDIA's Vulkan driver describes itself only by driver version ("NVIDIA: 580.159.04 …"); name the
  // device first so reports say which GPU it was.
  const driverOnly = /^\w+: [\d. ]+$/.test(info.description ?? '');
  const description =
    driverOnly && info.device ? `${info.device} (driver ${info.description.split(': ')[1].split(' ')[0]})` : info.description || info.device || 'unknown adapter';
  return {
    vendor: info.vendor || 'unknown',
    architecture: info.architecture || '',
    device: info.device || '',
    description,
    backend: info.backendType ?? '',
    isFallback,
    features: [...adapter.features].sort(),
    limits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
    },
  };
}

export async function openGpu(options: OpenOptions = {}): Promise<GpuContext> {
  const { create } = await loadDawn();
  const flags = ['disable-dawn-features=timestamp_quantization'];
  // Diagnostics: extra Dawn toggles for experiments (e.g. "enable-dawn-features=disable_robustness").
  const extra = typeof process !== 'undefined' ? process.env.ATTNPROF_DAWN_FLAGS : undefined;
  if (extra) flags.push(...extra.split(' ').filter(Boolean));
  if (options.adapterName) flags.push(`adapter=${options.adapterName}`);
  let adapter: GPUAdapter | null = null;
  try {
    const gpu = create(flags);
    keepAlive.push(gpu);
    adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
    keepAlive.push(adapter);
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
  const summary = summarise(adapter);
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
  return {
    device,
    adapter: summary,
    hasTimestamps,
    // We pass disable-dawn-features=timestamp_quantization; Dawn honours it in this node binding.
    timestampsQuantized: false,
    hasF16,
    lost: () => (destroyed ? 'the GPU context was destroyed' : lostMessage),
    takeError: () => {
      const e = uncaptured;
      uncaptured = undefined;
      return e;
    },
    destroy: () => {
      clearInterval(timer);
      destroyed = true;
      device.destroy();
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
