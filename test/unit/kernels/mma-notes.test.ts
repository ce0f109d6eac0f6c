// The report's note on flash-mma's padding-subgroup skip: pure text from the plan's sizes (no GPU).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hasPaddingSubgroups, paddingSubgroupsNote } from '../../../kernels/flash_mma';

test('the padding-subgroup note counts the subgroups of padding in the last block', () => {
  // ViT-196: 196 slots in blocks of 64; the last holds 4 rows, one live subgroup and 3 of padding.
  assert.equal(hasPaddingSubgroups(196, 4), true);
  assert.equal(
    paddingSubgroupsNote(4, 196),
    '196 query slots per head: the last block of 64 holds 4, and its 3 subgroups of padding rows skip the products and the softmax.',
  );
  // 40 slots in one block of 64: rows 32–39 are live in the third subgroup, the fourth is padding (singular wording).
  assert.equal(
    paddingSubgroupsNote(4, 40),
    '40 query slots per head: the last block of 64 holds 40, and its 1 subgroup of padding rows skips the products and the softmax.',
  );
});

test('forced on where no subgroup is padding, the note says there is nothing to skip', () => {
  // 4096 slots fill blocks of 64 exactly; 200 slots leave 8 rows in the last block's first subgroup of 2.
  for (const [slots, nsg] of [[4096, 4], [200, 1]] as const) {
    assert.equal(hasPaddingSubgroups(slots, nsg), false);
    const note = paddingSubgroupsNote(nsg, slots);
    assert.match(note, new RegExp(`^${slots} query slots per head fill their blocks of ${16 * nsg} to the last subgroup`));
    assert.match(note, /forced on \(ATTNPROF_MMA_SKIP_DEAD=1\), has nothing to skip\.$/);
  }
});
