/**
 * Ceilings are measured once per adapter and cached on disk (the roofline needs them on every report,
 * and measuring takes a second or two): $ATTNPROF_CACHE_DIR, else $XDG_CACHE_HOME/attnprof, else
 * ~/.cache/attnprof, file ceilings.json keyed by adapter description and backend.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Ceilings, measureCeilings } from '../../kernels/ceilings';
import type { GpuContext } from '../../kernels/device';

function cacheDir(): string {
  return process.env.ATTNPROF_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'attnprof');
}

const keyOf = (ctx: GpuContext) => `${ctx.adapter.description}|${ctx.adapter.backend}|${ctx.adapter.vendor}`;

function readCache(file: string): Record<string, Ceilings> {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, Ceilings>) : {};
  } catch {
    return {};
  }
}

function valid(c: Ceilings | undefined): c is Ceilings {
  return !!c && c.computeTflops > 0 && c.bandwidthGBps > 0 && Number.isFinite(c.computeTflops) && Number.isFinite(c.bandwidthGBps);
}

export async function cachedCeilings(ctx: GpuContext): Promise<Ceilings> {
  const file = join(cacheDir(), 'ceilings.json');
  const cache = readCache(file);
  const hit = cache[keyOf(ctx)];
  if (valid(hit)) return hit;
  const measured = await measureCeilings(ctx, { maxBytes: ctx.adapter.isFallback ? 64 * 1024 * 1024 : undefined });
  try {
    mkdirSync(cacheDir(), { recursive: true });
    cache[keyOf(ctx)] = measured;
    // Write then rename, so a concurrent reader never sees half a file.
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(cache, null, 1));
    renameSync(tmp, file);
  } catch {
    // A read-only home directory only costs a re-measurement next time.
  }
  return measured;
}
