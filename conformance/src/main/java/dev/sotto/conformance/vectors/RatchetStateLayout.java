package dev.sotto.conformance.vectors;

/**
 * Where each field of a well-formed ratchet state (spec: ratchet.adoc#ratchet-state-format) starts,
 * found by code of its own, so that the generator can make states with one fault each.
 *
 * <pre>
 *   version u8 || suite u16 || role u8 || ad[32] || root_key[32] || dhs_private? [32]
 *   || dhr? (0x02 || key[32]) || cks? [32] || ns u32 || ckr? [32] || nr u32 || pn u32
 *   || hks? [32] || hkr? [32] || nhks[32] || nhkr[32] || tks? [32] || tkr? [32] || ntks[32] || ntkr[32]
 *   || skipped_count u16 || (hk[32] || n u32 || mk[32] || tag[16]) x skipped_count
 * </pre>
 *
 * <p>An optional field ({@code ?}) is a presence byte, then the value when the byte is 1.
 */
final class RatchetStateLayout {
  /** The length of one skipped entry. */
  static final int SKIPPED_ENTRY = 32 + 4 + 32 + 16;

  final int role = 3;
  final int dhsPresent;
  final int dhrPresent;
  /** The dhr's type byte (the key follows it), or -1 when no dhr is present. */
  final int dhr;
  final int ns;
  final int nr;
  final int pn;
  final int skippedCount;
  final int skipped;
  final int entries;

  RatchetStateLayout(byte[] state) {
    int at = 1 + 2 + 1 + 32 + 32;
    dhsPresent = at;
    at = optional(state, at, 32);
    dhrPresent = at;
    dhr = state[at] == 1 ? at + 1 : -1;
    at = optional(state, at, 33);
    at = optional(state, at, 32); // cks
    ns = at;
    at = optional(state, at + 4, 32); // ckr
    nr = at;
    pn = at + 4;
    at += 8;
    at = optional(state, at, 32); // hks
    at = optional(state, at, 32); // hkr
    at += 64; // nhks, nhkr
    at = optional(state, at, 32); // tks
    at = optional(state, at, 32); // tkr
    at += 64; // ntks, ntkr
    skippedCount = at;
    entries = ((state[at] & 0xff) << 8) | (state[at + 1] & 0xff);
    skipped = at + 2;
    if (skipped + entries * SKIPPED_ENTRY != state.length) {
      throw new IllegalStateException("ratchet state: the generator's layout disagrees with the library");
    }
  }

  /** The offset of skipped entry {@code i}. */
  int entry(int i) {
    return skipped + i * SKIPPED_ENTRY;
  }

  private static int optional(byte[] state, int at, int length) {
    return state[at] == 1 ? at + 1 + length : at + 1;
  }
}
