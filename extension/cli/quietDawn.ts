/**
 * Dawn writes its start-up warnings ("maxDynamic… artificially reduced …") from native code straight to file
 * descriptor 2, where no JavaScript can intercept them. A CLI command that opens a GPU therefore runs as a child of
 * itself with its stderr piped through `DawnNoiseFilter`: the user sees attnprof's lines, not Dawn's. stdin and
 * stdout are the child's own; its exit code is the CLI's; a SIGTERM or SIGHUP sent to the parent reaches it.
 */
import { spawn } from 'node:child_process';
import { isDawnNoise } from '../../kernels/dawnLog';

/** Set in the child's environment: it runs the command itself. */
export const FILTERED_ENV = 'ATTNPROF_STDERR_FILTERED';

/** Commands that open a GPU adapter (padding only when it measures). */
export function opensGpu(argv: readonly string[]): boolean {
  const command = argv.find((a) => !a.startsWith('--'));
  if (command === 'padding') return argv.includes('--measure');
  return command === 'profile' || command === 'run' || command === 'adapters' || command === 'ceilings';
}

/** Splits a byte stream into lines and passes on those that are not Dawn's noise, each with its newline. */
export class DawnNoiseFilter {
  private partial = '';

  constructor(private readonly write: (text: string) => void) {}

  push(chunk: string): void {
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop() ?? '';
    const kept = lines.filter((l) => !isDawnNoise(l));
    if (kept.length) this.write(`${kept.join('\n')}\n`);
  }

  /** The last line when the stream ended without a newline. */
  end(): void {
    if (this.partial && !isDawnNoise(this.partial)) this.write(this.partial);
    this.partial = '';
  }
}

/** Runs this CLI again as a child (same Node, same flags, same arguments) and filters its stderr; resolves to its exit code. */
export function runWithQuietDawn(script: string, argv: readonly string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, script, ...argv], {
      stdio: ['inherit', 'inherit', 'pipe'],
      env: { ...process.env, [FILTERED_ENV]: '1' },
    });
    const filter = new DawnNoiseFilter((text) => process.stderr.write(text));
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => filter.push(chunk));
    const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
    const onTerm = forward('SIGTERM');
    const onHup = forward('SIGHUP');
    // Ctrl-C reaches the whole process group, the child included: the parent only waits for it to end.
    const onInt = () => undefined;
    process.on('SIGTERM', onTerm);
    process.on('SIGHUP', onHup);
    process.on('SIGINT', onInt);
    child.on('error', (e) => {
      process.stderr.write(`attnprof: could not start (${e.message}).\n`);
      resolve(1);
    });
    child.on('close', (code, signal) => {
      filter.end();
      process.off('SIGTERM', onTerm);
      process.off('SIGHUP', onHup);
      process.off('SIGINT', onInt);
      // Killed by a signal: 1 (a runtime failure), the only codes the CLI uses are 0, 1 and 2.
      resolve(signal ? 1 : (code ?? 1));
    });
  });
}
