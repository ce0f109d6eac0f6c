/**
 * The user's Python running attnprof's PyTorch script (`attnprof_torch.py`, shipped next to dist/cli.js): finding
 * an interpreter, starting it, and one run at a time over the JSON-lines protocol of protocol/python.ts, with a
 * time limit per backend, cancel (ask, then kill) and a clean failure when Python dies. No `vscode` import: the
 * CLI and the extension's worker both use it.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { accessSync, constants, existsSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { parseFromTorch, type FromTorch, type InputChecksums, type TorchBackendResult, type TorchHello, type TorchRunRequest } from '../protocol/python';
import type { PythonCandidate, PythonChoice } from '../protocol/worker';

export const TORCH_SCRIPT = 'attnprof_torch.py';

/** The shipped script: next to this bundle (dist/), or in dist/ above it (test bundles live in dist-test/…). */
export function torchScriptPath(): string {
  let dir = __dirname;
  for (let up = 0; up < 6; up++) {
    for (const candidate of [join(dir, TORCH_SCRIPT), join(dir, 'dist', TORCH_SCRIPT)]) if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new PythonError('start', `attnprof's PyTorch script (${TORCH_SCRIPT}) is missing next to ${__dirname}; rebuild attnprof (npm run build).`);
}

export type PythonErrorKind = 'start' | 'crash' | 'timeout' | 'cancelled' | 'protocol' | 'input' | 'internal';

export class PythonError extends Error {
  override name = 'PythonError';
  constructor(
    readonly kind: PythonErrorKind,
    message: string,
  ) {
    super(message);
  }
}

/** An executable by name on PATH (what a shell would run), or undefined. */
export function onPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const full = join(dir, name);
    try {
      accessSync(full, constants.X_OK);
      return full;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * The interpreters to try, in order: the explicit one alone; otherwise the Python extension's, `python3` on PATH,
 * Debian's /usr/bin/python3 (where python3-torch installs, and PATH's python3 may be another one, e.g. pyenv's),
 * then `python`. Duplicates (same real file) are dropped.
 */
export function pythonCandidates(choice: PythonChoice = {}, env: NodeJS.ProcessEnv = process.env): PythonCandidate[] {
  if (choice.explicit) return [choice.explicit];
  const fromEnv = env.ATTNPROF_PYTHON?.trim();
  if (fromEnv) return [{ path: fromEnv, source: 'ATTNPROF_PYTHON' }];
  const raw: PythonCandidate[] = [];
  if (choice.extensionInterpreter) raw.push({ path: choice.extensionInterpreter, source: 'Python extension' });
  const py3 = onPath('python3', env);
  if (py3) raw.push({ path: py3, source: 'PATH' });
  if (process.platform !== 'win32') raw.push({ path: '/usr/bin/python3', source: 'system' });
  const py = onPath('python', env);
  if (py) raw.push({ path: py, source: 'PATH' });
  const seen = new Set<string>();
  const out: PythonCandidate[] = [];
  for (const c of raw) {
    let key = c.path;
    try {
      key = realpathSync(c.path);
    } catch {
      if (isAbsolute(c.path) && !existsSync(c.path)) continue;
    }
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(c);
  }
  return out;
}

export interface RunCallbacks {
  onProgress?: (message: string, backend?: string) => void;
  onInputs?: (checksums: InputChecksums) => void;
  onBackend?: (result: TorchBackendResult) => void;
  signal?: AbortSignal;
  /** Longest a single backend may take (preparing, compiling, timing, profiling); then Python is killed. */
  backendTimeoutMs: number;
}

interface ActiveRun {
  id: number;
  backend?: string;
  callbacks: RunCallbacks;
  resolve: () => void;
  reject: (e: PythonError) => void;
  timer?: NodeJS.Timeout;
}

const STDERR_TAIL = 4000;
/** How long a cancelled run may take to stop between iterations before Python is killed. */
const CANCEL_GRACE_MS = 5000;

export class PythonSession {
  private buffer = '';
  private stderrTail = '';
  private active: ActiveRun | undefined;
  private nextId = 1;
  private exited = false;
  private killedFor: PythonError | undefined;
  private readonly exitWaiters: (() => void)[] = [];

  private constructor(
    readonly candidate: PythonCandidate,
    private readonly child: ChildProcessWithoutNullStreams,
    readonly hello: TorchHello,
    private readonly log: (line: string) => void,
  ) {}

  /** Starts the script with this interpreter and waits for its hello (the interpreter's facts). */
  static start(candidate: PythonCandidate, options: { startTimeoutMs?: number; log?: (line: string) => void } = {}): Promise<PythonSession> {
    const log = options.log ?? (() => undefined);
    const script = torchScriptPath();
    return new Promise((resolve, reject) => {
      let child: ChildProcessWithoutNullStreams;
      try {
        // Started outside the workspace, with the current directory kept off sys.path: the script never imports
        // the user's files (the script drops it from sys.path as well).
        child = spawn(candidate.path, ['-u', script], {
          cwd: tmpdir(),
          stdio: ['pipe', 'pipe', 'pipe'],
          env: { ...process.env, PYTHONSAFEPATH: '1', PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' },
        });
      } catch (e) {
        reject(new PythonError('start', `${describe(candidate)} could not be started: ${(e as Error).message}.`));
        return;
      }
      let stderr = '';
      let out = '';
      let settled = false;
      const fail = (message: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new PythonError('start', message));
      };
      const timeoutMs = options.startTimeoutMs ?? 60_000;
      const timer = setTimeout(() => fail(`${describe(candidate)} did not answer within ${Math.round(timeoutMs / 1000)} s (importing torch hung?).`), timeoutMs);
      child.on('error', (e: NodeJS.ErrnoException) =>
        fail(e.code === 'ENOENT' ? `${describe(candidate)} does not exist.` : `${describe(candidate)} could not be started: ${e.message}.`),
      );
      child.stderr.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL);
      });
      child.once('exit', (code, signal) => {
        const tail = lastLine(stderr);
        fail(`${describe(candidate)} exited (${signal ?? `code ${code}`}) before it said hello: it is not a Python 3 that can run attnprof's script${tail ? ` (${tail})` : ''}.`);
      });
      let skipped = 0;
      const onData = (chunk: Buffer) => {
        out += chunk.toString('utf8');
        let nl: number;
        let msg: TorchHello | undefined;
        // Lines before the hello that are not the protocol (a sitecustomize printing at start-up) are logged and
        // skipped; the script itself keeps everything but the protocol off its stdout.
        while ((nl = out.indexOf('\n')) >= 0) {
          const line = out.slice(0, nl);
          const parsed = parseFromTorch(line);
          if (parsed?.type === 'hello') {
            msg = parsed;
            break;
          }
          skipped += line.length + 1;
          if (line.trim()) log(`python: (before hello) ${line.slice(0, 200)}`);
          out = out.slice(nl + 1);
        }
        if (!msg || nl < 0) {
          if (skipped + out.length > 1 << 20) fail(`${describe(candidate)} wrote 1 MiB without attnprof's protocol: it is not running attnprof's script.`);
          return;
        }
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        child.stdout.off('data', onData);
        child.removeAllListeners('exit');
        const session = new PythonSession(candidate, child, msg, log);
        session.stderrTail = stderr;
        session.attach(out.slice(nl + 1));
        resolve(session);
      };
      child.stdout.on('data', onData);
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return !this.exited;
  }

  /** One line for logs and reports: "/usr/bin/python3 (Python 3.11.2, PyTorch 1.13.0, CPU: AMD EPYC)". */
  describe(): string {
    return describeHello(this.candidate, this.hello);
  }

  private attach(rest: string): void {
    this.child.stdout.on('data', (chunk: Buffer) => this.onStdout(chunk.toString('utf8')));
    this.child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      this.stderrTail = (this.stderrTail + text).slice(-STDERR_TAIL);
      for (const line of text.split('\n')) if (line.trim()) this.log(`python: ${line.trimEnd()}`);
    });
    this.child.once('exit', (code, signal) => this.onExit(code, signal));
    // A closed pipe after Python died is reported by the exit handler, not as an unhandled error.
    this.child.stdin.on('error', () => undefined);
    if (rest) this.onStdout(rest);
  }

  private onStdout(text: string): void {
    this.buffer += text;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      if (line.trim()) this.onLine(line);
    }
  }

  private onLine(line: string): void {
    const msg: FromTorch | undefined = parseFromTorch(line);
    const run = this.active;
    if (!msg) {
      this.log(`python: ignored a line that is not attnprof's protocol: ${line.slice(0, 200)}`);
      return;
    }
    if (!run || msg.id !== run.id) return;
    switch (msg.type) {
      case 'progress':
        if (msg.backend && msg.backend !== run.backend) {
          run.backend = msg.backend;
          this.arm(run);
        }
        run.callbacks.onProgress?.(msg.message, msg.backend);
        return;
      case 'inputs':
        run.callbacks.onInputs?.(msg.checksums);
        return;
      case 'backend':
        run.backend = undefined;
        this.arm(run);
        run.callbacks.onBackend?.(msg.result);
        return;
      case 'result':
        this.finish(run);
        if (msg.ok) run.resolve();
        else run.reject(new PythonError(msg.error.kind === 'cancelled' ? 'cancelled' : msg.error.kind === 'input' ? 'input' : 'internal', msg.error.message));
        return;
      default:
        return;
    }
  }

  /** (Re)starts the per-backend time limit. */
  private arm(run: ActiveRun): void {
    if (run.timer) clearTimeout(run.timer);
    run.timer = setTimeout(() => {
      const what = run.backend ? `torch:${run.backend}` : 'the PyTorch run';
      this.kill(new PythonError('timeout', `${what} did not finish within ${formatSeconds(run.callbacks.backendTimeoutMs)}: the Python process was stopped.`));
    }, run.callbacks.backendTimeoutMs);
  }

  private finish(run: ActiveRun): void {
    if (run.timer) clearTimeout(run.timer);
    if (this.active === run) this.active = undefined;
  }

  /** Runs one request; resolves when Python says it is done, rejects with a PythonError otherwise. */
  run(request: TorchRunRequest, callbacks: RunCallbacks): Promise<void> {
    if (this.exited) return Promise.reject(this.killedFor ?? new PythonError('crash', `${this.describe()} is not running.`));
    if (this.active) return Promise.reject(new PythonError('internal', 'a PyTorch run is already in progress on this Python.'));
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      const run: ActiveRun = { id, callbacks, resolve, reject };
      let grace: ReturnType<typeof setTimeout> | undefined;
      const onAbort = () => {
        // Ask first (Python stops between iterations); a compile or a long kernel cannot listen: then kill.
        this.send({ type: 'cancel', id });
        grace = setTimeout(() => this.kill(new PythonError('cancelled', 'the run was cancelled.')), CANCEL_GRACE_MS);
        grace.unref?.();
      };
      // A run that ends (stopped between iterations, or finished) keeps its Python: the kill was only for one that
      // would not listen.
      const settle = () => {
        callbacks.signal?.removeEventListener('abort', onAbort);
        if (grace) clearTimeout(grace);
      };
      run.resolve = () => {
        settle();
        resolve();
      };
      run.reject = (e) => {
        settle();
        reject(e);
      };
      this.active = run;
      this.arm(run);
      callbacks.signal?.addEventListener('abort', onAbort, { once: true });
      this.send({ type: 'run', id, request });
      if (callbacks.signal?.aborted) onAbort();
    });
  }

  private send(message: unknown): void {
    if (this.exited || !this.child.stdin.writable) return;
    this.child.stdin.write(`${JSON.stringify(message)}\n`);
  }

  /** Stops Python now; a run in progress fails with `reason`. */
  kill(reason = new PythonError('cancelled', 'the run was cancelled.')): void {
    if (this.exited) return;
    this.killedFor = reason;
    this.child.kill('SIGKILL');
  }

  /** Lets Python leave (end of input) and waits for it; kills it if it lingers. */
  async close(timeoutMs = 5000): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.exitWaiters.push(resolve));
    this.child.stdin.end();
    const timer = setTimeout(() => this.kill(new PythonError('cancelled', 'closed')), timeoutMs);
    await gone;
    clearTimeout(timer);
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.exited = true;
    this.log(`python: pid ${this.child.pid ?? '?'} exited (${signal ?? `code ${code}`})`);
    for (const w of this.exitWaiters.splice(0)) w();
    const run = this.active;
    if (!run) return;
    this.finish(run);
    if (this.killedFor) {
      run.reject(this.killedFor);
      return;
    }
    const where = run.backend ? ` while running torch:${run.backend}` : '';
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    const tail = lastLine(this.stderrTail);
    run.reject(new PythonError('crash', `Python (${this.candidate.path}) ${how}${where} (out of memory, a driver fault or a crash in PyTorch)${tail ? `; its last words: ${tail}` : ''}.`));
  }
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n').filter((l) => l.trim());
  return (lines.at(-1) ?? '').trim().slice(0, 300);
}

function formatSeconds(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`;
}

function describe(c: PythonCandidate): string {
  return `Python '${c.path}' (${c.source})`;
}

export function deviceText(h: TorchHello): string {
  const d = h.device;
  switch (d.kind) {
    case 'cuda':
      return `CUDA ${d.runtime ?? ''} ${d.name}`.replace(/\s+/g, ' ').trim();
    case 'rocm':
      return `ROCm ${d.runtime ?? ''} ${d.name}`.replace(/\s+/g, ' ').trim();
    case 'mps':
      return d.name || 'MPS';
    case 'cpu':
      return `CPU only (${d.name})`;
    default:
      return 'no device';
  }
}

export function describeHello(c: PythonCandidate, h: TorchHello): string {
  const torch = h.torch ? `PyTorch ${h.torch}, ${deviceText(h)}` : `no PyTorch (${h.torchError ?? 'not importable'})`;
  const extras = Object.entries(h.packages ?? {})
    .filter(([, v]) => v)
    .map(([k, v]) => `${k} ${v}`);
  return `${c.path} [${c.source}] (Python ${h.python}, ${torch}${extras.length ? `; ${extras.join(', ')}` : ''})`;
}

export interface PythonProbe {
  candidate: PythonCandidate;
  hello?: TorchHello;
  /** Why it could not be used. */
  error?: string;
}

export interface PythonDiscovery {
  /** A started session on the first candidate with PyTorch (undefined when none has it). */
  session?: PythonSession;
  /** Every candidate tried, in order, with what it had. */
  tried: PythonProbe[];
}

/**
 * Starts the first candidate that has PyTorch and keeps it running (`all`: probes every candidate and keeps none,
 * for `attnprof adapters`). Candidates without PyTorch are stopped.
 */
export async function discoverPython(
  choice: PythonChoice,
  options: { all?: boolean; log?: (line: string) => void; startTimeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<PythonDiscovery> {
  const tried: PythonProbe[] = [];
  let kept: PythonSession | undefined;
  for (const candidate of pythonCandidates(choice, options.env)) {
    try {
      const session = await PythonSession.start(candidate, { log: options.log, startTimeoutMs: options.startTimeoutMs });
      tried.push({ candidate, hello: session.hello });
      if (session.hello.torch && !kept && !options.all) {
        kept = session;
        break;
      }
      await session.close();
    } catch (e) {
      tried.push({ candidate, error: e instanceof PythonError ? e.message : String(e) });
    }
  }
  return { session: kept, tried };
}

/** One sentence for every torch backend when no usable Python was found. */
export function noTorchReason(tried: readonly PythonProbe[]): string {
  if (tried.length === 0) return 'no Python found (none on PATH): set attnprof.python, --python or ATTNPROF_PYTHON to a Python with PyTorch.';
  const each = tried.map((t) => (t.hello ? `${t.candidate.path} has no PyTorch` : t.error?.replace(/\.$/, '') ?? `${t.candidate.path} failed`));
  return `no PyTorch: ${each.join('; ')}. Install PyTorch there, or point attnprof.python / --python / ATTNPROF_PYTHON at a Python that has it.`;
}
