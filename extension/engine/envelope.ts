/**
 * The report envelope every use case fills the same way: schema and version, a fresh id and time, units, the
 * adapter that ran (or why none did) and its timestamps. engine/profile.ts and engine/padding.ts add their
 * own body (workloads, padding).
 */
import type { GpuContext } from '../../kernels/device';
import { EXPORTER, REPORT_SCHEMA, REPORT_VERSION, type ProfileReport } from '../report/schema';
import { adapterJson } from './reportWire';

export type ReportEnvelope = Pick<
  ProfileReport,
  'schema' | 'version' | 'exporter' | 'id' | 'createdAt' | 'title' | 'source' | 'units' | 'adapter' | 'timestamps'
>;

/** What the report says when no WebGPU adapter ran anything, and why. */
export function noAdapter(description: string): ProfileReport['adapter'] {
  return { vendor: '', architecture: '', device: '', description, backend: '', isFallback: false };
}

export function reportEnvelope(o: {
  title: string;
  source: ProfileReport['source'];
  ctx: GpuContext | undefined;
  /** The adapter line when `ctx` is undefined. */
  withoutAdapter: string;
  /** A word in the id ("padding"), so a report's kind shows in its file name. */
  idTag?: string;
}): ReportEnvelope {
  const now = new Date().toISOString();
  const a = o.ctx?.adapter;
  return {
    schema: REPORT_SCHEMA,
    version: REPORT_VERSION,
    exporter: EXPORTER,
    id: `${now.replace(/[:.]/g, '-')}-${o.idTag ? `${o.idTag}-` : ''}${Math.random().toString(36).slice(2, 8)}`,
    createdAt: now,
    title: o.title,
    source: o.source,
    units: { time: 'ms', memory: 'bytes', flops: 'FLOP', throughput: 'TFLOP/s', bandwidth: 'GB/s' },
    adapter: a ? adapterJson(a) : noAdapter(o.withoutAdapter),
    timestamps: { available: o.ctx?.hasTimestamps ?? false, quantized: o.ctx?.timestampsQuantized ?? false },
  };
}
