/** A crashed worker's message quotes what it said last, without Dawn's start-up noise. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lastMeaningfulLines } from '../../../extension/vscode/workerClient';

test("a crashed worker's last output leaves out Dawn's start-up warnings", () => {
  const output = [
    'attnprof: naive on llvmpipe: B=1',
    'Error: device lost: out of memory while allocating S',
    'Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.',
    'Warning: maxDynamicStorageBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.',
    '',
  ].join('\n');
  assert.equal(lastMeaningfulLines(output), 'attnprof: naive on llvmpipe: B=1 Error: device lost: out of memory while allocating S');
  assert.equal(lastMeaningfulLines('Warning: maxDynamicStorageBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.\n'), '');
});
