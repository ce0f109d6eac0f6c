/**
 * Finished reports, one JSON file each under the extension's storage (`<storage>/reports/<id>.json`), so the
 * side panel's history survives reloads; plus the run in progress, which lives only in memory.
 * No `vscode` import: the host passes the folder, tests pass a temporary one.
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { entryOf, type ReportEntry } from '../hints/reportEntry';
import { parseReport, type ProfileReport } from '../report/schema';

export interface RunningProfile {
  title: string;
  message: string;
  /** Kernels done, in [0, 1]. */
  fraction: number;
}

export interface Disposable {
  dispose(): void;
}

/** Report ids become file names: anything but these characters (a path, "..") is refused. */
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function isSafeReportId(id: unknown): id is string {
  return typeof id === 'string' && SAFE_ID.test(id) && !id.includes('..');
}

export class ReportStore {
  private readonly entries = new Map<string, ReportEntry>();
  /** Full reports are read from disk on demand: a history of big runs should not sit in the host's memory. */
  private readonly cache = new Map<string, ProfileReport>();
  private readonly listeners = new Set<() => void>();
  private loading: Promise<void> | undefined;
  private loadedFromDisk = false;
  private runningProfile: RunningProfile | undefined;
  /** Files that were not reports (or were damaged), kept out of the list with the reason. */
  readonly skipped: { file: string; reason: string }[] = [];

  constructor(
    readonly dir: string,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  onDidChange(listener: () => void): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Reads the folder once; later calls wait for the same read. */
  load(): Promise<void> {
    this.loading ??= this.readAll().then(() => {
      this.loadedFromDisk = true;
      this.fire();
    });
    return this.loading;
  }

  /** The folder has been read (until then an empty list means "not yet", not "none"). */
  get loaded(): boolean {
    return this.loadedFromDisk;
  }

  /** Newest first. */
  list(): ReportEntry[] {
    return [...this.entries.values()].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
  }

  entry(id: string): ReportEntry | undefined {
    return this.entries.get(id);
  }

  /** The newest profile of a config file (the CodeLens's "measured: …"); padding analyses time no kernels, so they do not count. */
  latestFor(sourceFile: string): ReportEntry | undefined {
    return this.list().find((e) => e.sourceFile === sourceFile && !(e.padding && e.workloads.length === 0));
  }

  get running(): RunningProfile | undefined {
    return this.runningProfile;
  }

  setRunning(running: RunningProfile | undefined): void {
    this.runningProfile = running;
    this.fire();
  }

  async get(id: string): Promise<ProfileReport> {
    if (!isSafeReportId(id)) throw new Error(`'${String(id).slice(0, 80)}' is not a report id.`);
    const cached = this.cache.get(id);
    if (cached) return cached;
    const report = parseReport(JSON.parse(await readFile(this.fileOf(id), 'utf8')) as unknown);
    this.remember(report);
    return report;
  }

  async add(report: ProfileReport): Promise<ReportEntry> {
    const valid = parseReport(report);
    if (!isSafeReportId(valid.id)) throw new Error(`the report id '${String(valid.id).slice(0, 80)}' cannot be a file name.`);
    await this.load();
    await mkdir(this.dir, { recursive: true });
    // Write then rename: a reload in the middle never finds half a report.
    const tmp = `${this.fileOf(valid.id)}.tmp`;
    await writeFile(tmp, JSON.stringify(valid));
    await rename(tmp, this.fileOf(valid.id));
    const entry = this.remember(valid);
    this.fire();
    return entry;
  }

  async delete(id: string): Promise<void> {
    if (!isSafeReportId(id)) return;
    await rm(this.fileOf(id), { force: true });
    this.entries.delete(id);
    this.cache.delete(id);
    this.fire();
  }

  private fileOf(id: string): string {
    return join(this.dir, `${id}.json`);
  }

  private remember(report: ProfileReport): ReportEntry {
    const entry = entryOf(report);
    this.entries.set(report.id, entry);
    // Keep the most recent few whole: opening the run just made, or comparing two, needs no disk read.
    this.cache.delete(report.id);
    this.cache.set(report.id, report);
    while (this.cache.size > 4) this.cache.delete(this.cache.keys().next().value as string);
    return entry;
  }

  private async readAll(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return; // no folder yet: no reports
    }
    for (const name of names) {
      if (!name.endsWith('.json')) continue;
      const id = name.slice(0, -'.json'.length);
      if (!isSafeReportId(id)) continue;
      try {
        const report = parseReport(JSON.parse(await readFile(join(this.dir, name), 'utf8')) as unknown);
        if (report.id !== id) throw new Error(`its id is '${report.id}'`);
        this.entries.set(id, entryOf(report));
      } catch (e) {
        this.skipped.push({ file: name, reason: (e as Error).message });
        this.log(`reports: skipped ${name}: ${(e as Error).message}`);
      }
    }
  }

  private fire(): void {
    for (const l of [...this.listeners]) {
      try {
        l();
      } catch (e) {
        this.log(`reports: a listener failed: ${(e as Error).message}`);
      }
    }
  }
}
