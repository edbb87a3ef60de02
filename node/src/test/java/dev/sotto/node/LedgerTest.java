package dev.sotto.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The ledger's bytes are those DataOutputStream wrote (stores written before read the same). */
class LedgerTest {
  private static Ledger sample() {
    Ledger ledger = Ledger.empty();
    ledger.sealed(List.of(new Ledger.Waiting(7, 1, 3, 2), new Ledger.Waiting(8, 1, 4, 2), new Ledger.Waiting(9, 2, 0, 1)));
    ledger.left(List.of(7L, 9L), Arrays.asList(new Ledger.Done(1, 3, 2, Ledger.Route.DIRECT, "127.0.0.1:4100", 1234),
        new Ledger.Done(2, 0, 1, Ledger.Route.DROPPED, "it cannot be sealed: é \u0000 \u20ac \ud83d\ude00", 99)));
    ledger.left(List.of(), Arrays.asList((Ledger.Done) null));
    return ledger;
  }

  /** The encoding of the ledger as it was written before (DataOutputStream). */
  private static byte[] reference(Ledger ledger) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeByte(1);
    out.writeInt(ledger.waiting().size());
    for (Ledger.Waiting w : ledger.waiting()) {
      out.writeLong(w.outboxId());
      out.writeLong(w.contactId());
      out.writeLong(w.seq());
      out.writeByte(w.kind());
    }
    out.writeInt(ledger.done().size());
    for (Ledger.Done d : ledger.done()) {
      out.writeLong(d.contactId());
      out.writeLong(d.seq());
      out.writeByte(d.kind());
      out.writeByte(d.route().ordinal());
      out.writeUTF(d.where());
      out.writeLong(d.atMillis());
    }
    return bytes.toByteArray();
  }

  @Test
  void encodesAsBeforeAndDecodesWhatItEncodes() throws Exception {
    Ledger ledger = sample();
    byte[] encoded = ledger.encode();
    assertArrayEquals(reference(ledger), encoded);
    Ledger back = Ledger.decode(encoded);
    assertEquals(ledger.waiting(), back.waiting());
    assertEquals(ledger.done(), back.done());
    assertEquals(List.of(new Ledger.Waiting(8, 1, 4, 2)), back.waiting());
    assertArrayEquals(encoded, back.encode());
  }

  @Test
  void cutOrMalformedBytesGiveAnEmptyLedger() throws Exception {
    byte[] encoded = sample().encode();
    for (int cut = 0; cut < encoded.length; cut++) {
      Ledger back = Ledger.decode(Arrays.copyOf(encoded, cut));
      assertTrue(back.waiting().isEmpty() && back.done().isEmpty(), "cut at " + cut);
    }
    byte[] badRoute = encoded.clone();
    badRoute[1 + 4 + 25 + 4 + 17] = 9; // the first outcome's route
    assertTrue(Ledger.decode(badRoute).done().isEmpty());
    byte[] otherVersion = encoded.clone();
    otherVersion[0] = 2;
    assertTrue(Ledger.decode(otherVersion).waiting().isEmpty());
  }
}
