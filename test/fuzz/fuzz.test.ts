/**
 * Fuzzing the readers and the CLI with the seeded corpus (corpus.ts). In process: every mutated config goes
 * through everything the editor and the CLI do with a config (parse, inspect text and JSON, cost, workloads,
 * Problems entries, hover) and must come back as a result or a ConfigParseError, with no NaN/Infinity/
 * "function …" in the numbers. Through the built CLI: exit code 0, 1 or 2 only, no stack trace, no "internal
 * error", no file written but the requested output, bounded time per input.
 *
 * CI runs the default corpus (a couple of minutes at most on 2 busy cores). ATTNPROF_FUZZ=full runs the large
 * one (12 000 configs in process, 600 CLI runs); ATTNPROF_FUZZ_SEED=N picks another seed. A failure prints
 * the seed, the case index and the mutation that reproduce it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { workloadsFromModels } from '../../extension/engine/workloads';
import { analyseConfig, problemEntries } from '../../extension/hints/analysis';
import { hoverMarkdown } from '../../extension/hints/hover';
import { ConfigParseError, inspectJson, inspectText, modelCost, parseConfigText, type ParsedConfig } from '../../extension/model/index';
import { readConfigText } from '../../extension/model/parse';
import { ProblemError } from '../../kernels/problem';
import { configCorpus, lengthsCorpus, tensorCorpus, type FuzzCase } from './corpus';

const FULL = process.env.ATTNPROF_FUZZ === 'full';
const SEED = Number(process.env.ATTNPROF_FUZZ_SEED ?? 20261130);
const IN_PROCESS = FULL ? 12000 : 1500;
const CLI_RUNS = FULL ? 600 : 36;
/** Per input: generous for a loaded 2-core CI machine (a 2.6 MB file of duplicate keys parses in ~0.1 s idle, 7 s niced under load 12); the fuzzing pass found inputs taking 8–38 s. */
const IN_PROCESS_LIMIT_MS = 10000;
const CLI_LIMIT_MS = 30000;

const root = resolve(__dirname, '../..');
const fixtures = join(root, 'test', 'fixtures', 'configs');
const cliJs = join(root, 'dist', 'cli.js');
const work = mkdtempSync(join(tmpdir(), 'attnprof-fuzz-'));
after(() => rmSync(work, { recursive: true, force: true }));

const describeCase = (kind: string, i: number, c: FuzzCase) => `seed ${SEED} ${kind} #${i} (${c.name}: ${c.mutation})`;

/** The numeric lines of `inspect` (not the names, which echo user text): no value may be NaN, infinite or a function. */
function badNumbers(text: string): string | undefined {
  const body = text.split('\ndiagnostics:')[0].split('\n');
  for (const line of body) {
    if (!line.startsWith('  ') || line.startsWith('  unsupported:')) continue;
    if (/\bNaN\b|Infinity|undefined|native code|\[object /.test(line)) return line;
  }
  return undefined;
}

const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

function exercise(parsed: ParsedConfig): void {
  for (const d of parsed.diagnostics) {
    if (RAW_CONTROL.test(d.message) || d.message.includes('\n')) throw new Error(`a raw control character in a diagnostic: ${JSON.stringify(d.message)}`);
  }
  const text = inspectText(parsed);
  const bad = badNumbers(text);
  if (bad) throw new Error(`a wrong number in the inspect text: ${bad.trim()}`);
  JSON.stringify(inspectJson(parsed));
  structuredClone(parsed.models);
  for (const m of parsed.models) {
    const c = modelCost(m);
    for (const v of [c.totalFlops, c.kvCacheBytesPerToken, c.kvCacheBytesTotal]) if (Number.isNaN(v)) throw new Error(`NaN cost for ${m.name}`);
    for (const f of m.fields) hoverMarkdown(parsed, f.line, f.key);
  }
  try {
    workloadsFromModels(parsed.models, { dtype: 'f32' });
  } catch (e) {
    if (!(e instanceof ProblemError)) throw e;
  }
}

describe(`fuzz: ${IN_PROCESS} mutated configs in process`, () => {
  test('every one parses to a result or a ConfigParseError, quickly, with sane numbers', () => {
    const failures: string[] = [];
    const siblings = join(fixtures, 'train');
    const readSibling = (rel: string) => {
      try {
        return readConfigText(resolve(siblings, rel));
      } catch {
        return undefined;
      }
    };
    let slowest = 0;
    configCorpus(SEED, IN_PROCESS, fixtures, FULL).forEach((c, i) => {
      const start = performance.now();
      try {
        const text = Buffer.from(c.bytes).toString('utf8');
        try {
          exercise(parseConfigText(c.name, text, { readSibling }));
        } catch (e) {
          if (!(e instanceof ConfigParseError)) throw e;
          if (RAW_CONTROL.test(e.message)) throw new Error(`a raw control character in the message: ${JSON.stringify(e.message)}`);
        }
        // What the editor does with the same text.
        problemEntries(analyseConfig(c.name, text, readSibling));
      } catch (e) {
        failures.push(`${describeCase('config', i, c)}: ${(e as Error).stack?.split('\n').slice(0, 3).join(' | ')}`);
      }
      const ms = performance.now() - start;
      slowest = Math.max(slowest, ms);
      if (ms > IN_PROCESS_LIMIT_MS) failures.push(`${describeCase('config', i, c)}: took ${ms.toFixed(0)} ms`);
    });
    assert.deepEqual(failures, [], `${failures.length} failures (slowest input ${slowest.toFixed(0)} ms)`);
  });
});

function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${name.name}` : name.name;
      out.push(r);
      if (name.isDirectory()) walk(join(d, name.name), r);
    }
  };
  walk(dir, '');
  return out.sort();
}

interface CliCase {
  label: string;
  args: string[];
  /** Output the command was asked to write (relative to its folder). */
  output?: string;
}

function cliCases(): { c: FuzzCase; cmd: (file: string) => CliCase }[] {
  const share = Math.ceil(CLI_RUNS / 4);
  const configs = configCorpus(SEED + 1, share * 2, fixtures, FULL);
  const out: { c: FuzzCase; cmd: (file: string) => CliCase }[] = [];
  configs.slice(0, share).forEach((c) => out.push({ c, cmd: (f) => ({ label: 'inspect', args: ['inspect', f, '--json'] }) }));
  configs.slice(share).forEach((c) =>
    out.push({ c, cmd: (f) => ({ label: 'profile', args: ['profile', f, '--adapter', 'no-such-adapter', '--json', 'report.json', '--quiet'], output: 'report.json' }) }),
  );
  lengthsCorpus(SEED + 2, share).forEach((c) =>
    out.push({ c, cmd: (f) => ({ label: 'padding', args: ['padding', '--lengths', f, '--json', 'padding.json', '--shape', '2,2,1,64,64'], output: 'padding.json' }) }),
  );
  tensorCorpus(SEED + 3, share).forEach((c) =>
    out.push({
      c,
      cmd: (f) => ({ label: 'run', args: ['run', '--kernel', 'flash', '--q', f, '--k', f, '--v', f, '--out', 'o.npy', '--adapter', 'no-such-adapter'], output: 'o.npy' }),
    }),
  );
  return out.slice(0, CLI_RUNS);
}

describe(`fuzz: ${CLI_RUNS} hostile inputs through the built CLI`, () => {
  test('exit 0, 1 or 2; no stack trace or internal error; nothing written but the requested output', () => {
    assert.ok(existsSync(cliJs), `${cliJs} is missing: build it with 'node scripts/build.mjs'`);
    const failures: string[] = [];
    cliCases().forEach(({ c, cmd }, i) => {
      const dir = join(work, `cli-${i}`);
      const home = join(work, `home-${i}`);
      mkdirSync(dir);
      mkdirSync(home);
      writeFileSync(join(dir, c.name), c.bytes);
      const before = files(dir);
      const run = cmd(c.name);
      const what = `${describeCase(run.label, i, c)}`;
      const start = performance.now();
      const r = spawnSync(process.execPath, [cliJs, ...run.args], {
        cwd: dir,
        encoding: 'utf8',
        timeout: CLI_LIMIT_MS,
        maxBuffer: 64 << 20,
        env: { ...process.env, HOME: home, XDG_CACHE_HOME: home, ATTNPROF_CACHE_DIR: home, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' },
      });
      const ms = performance.now() - start;
      if (r.error || r.signal) failures.push(`${what}: ${r.error?.message ?? `killed by ${r.signal}`} after ${ms.toFixed(0)} ms`);
      else if (![0, 1, 2].includes(r.status ?? -1)) failures.push(`${what}: exit ${r.status}: ${r.stderr.slice(0, 300)}`);
      if (/\n\s+at .+:\d+:\d+/.test(r.stderr ?? '') || /internal error/.test(r.stderr ?? '')) failures.push(`${what}: ${r.stderr.slice(0, 400)}`);
      const after = files(dir);
      const allowed = new Set([...before, ...(run.output && r.status === 0 ? [run.output] : [])]);
      const stray = after.filter((f) => !allowed.has(f));
      if (stray.length) failures.push(`${what}: exit ${r.status} wrote ${stray.join(', ')}`);
      if (files(home).length) failures.push(`${what}: wrote ${files(home).join(', ')} under HOME`);
      rmSync(dir, { recursive: true, force: true });
      rmSync(home, { recursive: true, force: true });
    });
    assert.deepEqual(failures, [], `${failures.length} failures`);
  });
});
