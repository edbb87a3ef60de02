package dev.sotto.conformance.vectors;

import dev.sotto.OneTimePrekey;
import dev.sotto.PrekeyBundle;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A responder state (spec: handshake.adoc#responder-state) split into its parts, read and written
 * by code of its own, so that the generator can make states with one fault each.
 *
 * <pre>
 *   version u8 || suite u16 || next_id u32 || next_serial u64
 *   || card_count u8 || (card_length u16 || card) x card_count
 *   || bundle_count u8 || (card_index u8 || bundle[1313] || spk_private[32] || pqspk_seed[64]
 *        || replay_count u16 || (th1[32] || time u64) x replay_count) x bundle_count
 *   || one_time_count u16 || (card_index u8 || record_length u16 || record || private) x one_time_count
 * </pre>
 */
final class ResponderStateParts {
  int version;
  int suite;
  long nextId;
  long nextSerial;
  Integer cardCount;
  final List<byte[]> cards = new ArrayList<>();
  Integer bundleCount;
  final List<HeldBundle> bundles = new ArrayList<>();
  Integer oneTimeCount;
  final List<HeldOneTime> oneTime = new ArrayList<>();

  static final class HeldBundle {
    int cardIndex;
    byte[] bundle;
    byte[] spkPrivate;
    byte[] pqspkSeed;
    Integer replayCount;
    final List<byte[]> replay = new ArrayList<>();

    HeldBundle copy() {
      HeldBundle h = new HeldBundle();
      h.cardIndex = cardIndex;
      h.bundle = bundle.clone();
      h.spkPrivate = spkPrivate.clone();
      h.pqspkSeed = pqspkSeed.clone();
      h.replayCount = replayCount;
      replay.forEach(e -> h.replay.add(e.clone()));
      return h;
    }
  }

  static final class HeldOneTime {
    int cardIndex;
    byte[] record;
    byte[] secret;
  }

  static ResponderStateParts read(byte[] state) {
    ByteBuffer in = ByteBuffer.wrap(state);
    ResponderStateParts p = new ResponderStateParts();
    p.version = in.get() & 0xff;
    p.suite = in.getShort() & 0xffff;
    p.nextId = in.getInt() & 0xffffffffL;
    p.nextSerial = in.getLong();
    int cards = in.get() & 0xff;
    for (int i = 0; i < cards; i++) {
      p.cards.add(bytes(in, in.getShort() & 0xffff));
    }
    int bundles = in.get() & 0xff;
    for (int i = 0; i < bundles; i++) {
      HeldBundle h = new HeldBundle();
      h.cardIndex = in.get() & 0xff;
      h.bundle = bytes(in, PrekeyBundle.LENGTH);
      h.spkPrivate = bytes(in, 32);
      h.pqspkSeed = bytes(in, 64);
      int replays = in.getShort() & 0xffff;
      for (int j = 0; j < replays; j++) {
        h.replay.add(bytes(in, 40));
      }
      p.bundles.add(h);
    }
    int oneTime = in.getShort() & 0xffff;
    for (int i = 0; i < oneTime; i++) {
      HeldOneTime h = new HeldOneTime();
      h.cardIndex = in.get() & 0xff;
      h.record = bytes(in, in.getShort() & 0xffff);
      h.secret = bytes(in, h.record.length == OneTimePrekey.X25519_LENGTH ? 32 : 64);
      p.oneTime.add(h);
    }
    if (in.hasRemaining()) {
      throw new IllegalStateException("responder state: bytes after the one-time prekeys");
    }
    return p;
  }

  private static byte[] bytes(ByteBuffer in, int length) {
    byte[] out = new byte[length];
    in.get(out);
    return out;
  }

  byte[] write() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(version);
    Raw.u16(out, suite);
    Raw.u32(out, nextId);
    Raw.u64(out, nextSerial);
    out.write(cardCount != null ? cardCount : cards.size());
    for (byte[] card : cards) {
      Raw.u16(out, card.length);
      out.writeBytes(card);
    }
    out.write(bundleCount != null ? bundleCount : bundles.size());
    for (HeldBundle h : bundles) {
      out.write(h.cardIndex);
      out.writeBytes(h.bundle);
      out.writeBytes(h.spkPrivate);
      out.writeBytes(h.pqspkSeed);
      Raw.u16(out, h.replayCount != null ? h.replayCount : h.replay.size());
      h.replay.forEach(out::writeBytes);
    }
    Raw.u16(out, oneTimeCount != null ? oneTimeCount : oneTime.size());
    for (HeldOneTime h : oneTime) {
      out.write(h.cardIndex);
      Raw.u16(out, h.record.length);
      out.writeBytes(h.record);
      out.writeBytes(h.secret);
    }
    return out.toByteArray();
  }

  /** Checks the reader and writer against each other on a state the library wrote. */
  static ResponderStateParts readExactly(byte[] state) {
    ResponderStateParts p = read(state);
    if (!Arrays.equals(p.write(), state)) {
      throw new IllegalStateException("responder state: the generator's reader and writer disagree with the library");
    }
    return p;
  }
}
