/**
 * Output files of the CLI (`--json`, `--trace`, `--out`): checked before any GPU work, so a typo in a folder
 * name costs a sentence and exit 2, not a finished profile thrown away with a stack trace.
 */
import { accessSync, constants, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from './args';

/** Writing a checked output failed anyway (disk full, permissions changed meanwhile): exit 1. */
export class OutputError extends Error {
  override name = 'OutputError';
}

function code(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
}

/** `-` is stdout; anything else must be a writable file in an existing folder. No file is created here. */
export function checkOutputPath(flag: string, path: string, opts: { stdout?: boolean } = {}): void {
  if (path === '-') {
    if (opts.stdout === false) throw new UsageError(`--${flag} needs a file path; '-' (stdout) is not supported for it.`);
    return;
  }
  if (path === '') throw new UsageError(`--${flag} needs a file path, got ''.`);
  let stat;
  try {
    stat = statSync(path);
  } catch (e) {
    if (code(e) !== 'ENOENT') throw new UsageError(`--${flag} '${path}' cannot be written: ${code(e)}.`);
  }
  if (stat?.isDirectory()) throw new UsageError(`--${flag} '${path}' is a folder; give a file path inside it.`);
  if (stat && !stat.isFile()) throw new UsageError(`--${flag} '${path}' is not a regular file.`);
  const dir = dirname(resolve(path));
  let dirStat;
  try {
    dirStat = statSync(dir);
  } catch {
    throw new UsageError(`--${flag} '${path}': the folder '${dir}' does not exist.`);
  }
  if (!dirStat.isDirectory()) throw new UsageError(`--${flag} '${path}': '${dir}' is not a folder.`);
  try {
    accessSync(stat ? path : dir, constants.W_OK);
  } catch {
    throw new UsageError(`--${flag} '${path}' is not writable (permission denied).`);
  }
}

export function writeOutput(flag: string, path: string, data: string | Uint8Array, stdout?: (s: string) => void): void {
  if (path === '-' && stdout && typeof data === 'string') {
    stdout(data);
    return;
  }
  try {
    writeFileSync(path, data);
  } catch (e) {
    throw new OutputError(`cannot write --${flag} '${path}': ${code(e)}.`);
  }
}
