// Which block of which (batch, key/value head) pair a flash-mma workgroup takes (ORDER; flash_mma.ts mmaOrder). The
// GPU starts workgroups in launch order (x fastest) as resident slots free up, so the order decides the tail of a
// dispatch: the last workgroups started are the ones the whole dispatch waits for.
//   ORDER 0: as launched, block wg.x of pair wg.y.
//   ORDER 1: as launched, each pair's blocks last first.
//   ORDER 2: under a causal mask, heaviest first over the whole dispatch: the work of a block grows with its query
//            position (`rising`, the query passes) or falls with its first key (the dK/dV pass), so the blocks start
//            by rank of work, every pair's block of a rank together. Without one, as launched: the blocks are equal
//            (but for a partial last one per pair, and starting those after every full block was slower on the H200:
//            a pair's blocks apart in time read its K/V from memory twice; BENCHMARKS.md, twenty-fourth session).
// A pair's rows are in nwg.x blocks of `block` rows; `period` is the query positions of one head (a query pass's pair
// holds the group's heads one after another, so its blocks repeat their positions every period / block).
fn blockOrder(wg: vec3<u32>, nwg: vec3<u32>, block: u32, period: u32, rising: bool) -> vec2<u32> {
  let nb = nwg.x;
  if (ORDER == 0u) { return wg.xy; }
  if (ORDER == 1u) { return vec2<u32>(nb - 1u - wg.x, wg.y); }
  if (P.causal == 0u) { return wg.xy; }
  let pairs = nwg.y;
  let n = wg.y * nb + wg.x;
  let rank = n / pairs;
  let pair = n % pairs;
  if (!rising) { return vec2<u32>(rank, pair); }
  if (period % block == 0u) {
    let perHead = period / block;
    let heads = nb / perHead;
    return vec2<u32>((rank % heads) * perHead + perHead - 1u - rank / heads, pair);
  }
  return vec2<u32>(nb - 1u - rank, pair);
}
