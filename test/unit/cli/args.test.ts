import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UsageError, intFlag, numberFlag, parseArgs, parseShape } from '../../../extension/cli/args';

const SPEC = { shape: true, iters: true, scale: true, softcap: true, causal: false, json: true };

function usage(fn: () => unknown, message: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UsageError, `expected UsageError, got ${String(e)}`);
    assert.equal(e.message, message);
    return true;
  });
}

describe('parseArgs', () => {
  test('positionals, values (space or =) and switches', () => {
    const a = parseArgs(['cfg.json', '--shape', '1,2,1,4,64', '--iters=5', '--causal', '--', '-x'], SPEC);
    assert.deepEqual(a.positional, ['cfg.json', '--', '-x']);
    assert.deepEqual([...a.values], [['shape', '1,2,1,4,64'], ['iters', '5']]);
    assert.deepEqual([...a.switches], ['causal']);
  });

  test('a value may look like a negative number, and = allows a value starting with --', () => {
    assert.equal(parseArgs(['--scale', '-0.5'], SPEC).values.get('scale'), '-0.5');
    assert.equal(parseArgs(['--json=--odd-name'], SPEC).values.get('json'), '--odd-name');
  });

  test('unknown options are refused', () => {
    usage(() => parseArgs(['--shape', '1,1,1,1,64', '--itres', '3'], SPEC), 'unknown option --itres.');
    usage(() => parseArgs(['--verbose=1'], SPEC), 'unknown option --verbose.');
  });

  test('a missing value is refused, also when the next word is another option', () => {
    usage(() => parseArgs(['--iters'], SPEC), '--iters needs a value.');
    usage(() => parseArgs(['--json', '--causal'], SPEC), '--json needs a value.');
  });

  test('a switch takes no value', () => {
    usage(() => parseArgs(['--causal=yes'], SPEC), '--causal takes no value.');
  });
});

describe('intFlag and numberFlag', () => {
  const int = (argv: string[], min?: number, max?: number) => intFlag(parseArgs(argv, SPEC), 'iters', 20, min, max);
  const num = (argv: string[], min?: number) => numberFlag(parseArgs(argv, SPEC), 'softcap', undefined, min);

  test('fallback when absent, the value when valid', () => {
    assert.equal(int([]), 20);
    assert.equal(int(['--iters', '7'], 1, 100), 7);
    assert.equal(int(['--iters', '1'], 1, 100), 1);
    assert.equal(int(['--iters', '100'], 1, 100), 100);
    assert.equal(num([]), undefined);
    assert.equal(num(['--softcap', '30.5'], 0), 30.5);
    assert.equal(num(['--softcap', '0'], 0), 0);
  });

  test('out of bounds or not an integer', () => {
    usage(() => int(['--iters', '0'], 1, 100000), "--iters must be an integer from 1 to 100000, got '0'.");
    usage(() => int(['--iters', '100001'], 1, 100000), "--iters must be an integer from 1 to 100000, got '100001'.");
    usage(() => int(['--iters', '2.5'], 1, 10), "--iters must be an integer from 1 to 10, got '2.5'.");
    usage(() => int(['--iters', 'ten'], 1, 10), "--iters must be an integer from 1 to 10, got 'ten'.");
    usage(() => int(['--iters', '-1']), `--iters must be an integer from 0 to ${Number.MAX_SAFE_INTEGER}, got '-1'.`);
  });

  test('an empty value is not zero', () => {
    usage(() => int(['--iters='], 0, 10), "--iters must be an integer from 0 to 10, got ''.");
    usage(() => int(['--iters', ' '], 0, 10), "--iters must be an integer from 0 to 10, got ' '.");
    usage(() => num(['--softcap='], 0), "--softcap must be a number ≥ 0, got ''.");
    usage(() => numberFlag(parseArgs(['--scale='], SPEC), 'scale', undefined), "--scale must be a number, got ''.");
  });

  test('numbers: finite and above the minimum', () => {
    usage(() => num(['--softcap', '-1'], 0), "--softcap must be a number ≥ 0, got '-1'.");
    usage(() => num(['--softcap', 'Infinity'], 0), "--softcap must be a number ≥ 0, got 'Infinity'.");
    usage(() => num(['--softcap', 'NaN']), "--softcap must be a number, got 'NaN'.");
    assert.equal(num(['--softcap', '-3']), -3, 'no minimum given: negatives allowed');
  });
});

describe('parseShape', () => {
  test('B,Hq,Hkv,N,D with spaces allowed', () => {
    assert.deepEqual(parseShape('2, 32, 8, 4096, 128'), { batch: 2, heads: 32, kvHeads: 8, seqLen: 4096, headDim: 128 });
    assert.deepEqual(parseShape('1,2,1,33,32'), { batch: 1, heads: 2, kvHeads: 1, seqLen: 33, headDim: 32 });
  });

  test('wrong number of fields', () => {
    usage(() => parseShape('1,2,3,4'), "--shape takes B,Hq,Hkv,N,D (five integers), got '1,2,3,4'.");
    usage(() => parseShape('1,2,3,4,5,6'), "--shape takes B,Hq,Hkv,N,D (five integers), got '1,2,3,4,5,6'.");
    usage(() => parseShape('1x2x1x4x64'), "--shape takes B,Hq,Hkv,N,D (five integers), got '1x2x1x4x64'.");
  });

  test('each field must be a positive integer, named in the message', () => {
    usage(() => parseShape('0,2,1,4,64'), "--shape: B must be a positive integer, got '0'.");
    usage(() => parseShape('1,2.5,1,4,64'), "--shape: Hq must be a positive integer, got '2.5'.");
    usage(() => parseShape('1,2,x,4,64'), "--shape: Hkv must be a positive integer, got 'x'.");
    usage(() => parseShape('1,2,1,-4,64'), "--shape: N must be a positive integer, got '-4'.");
    usage(() => parseShape('1,2,1,4,'), "--shape: D must be a positive integer, got ''.");
  });
});
