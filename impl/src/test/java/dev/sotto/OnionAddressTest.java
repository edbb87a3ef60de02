package dev.sotto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.internal.crypto.Ed25519;
import dev.sotto.internal.crypto.Hmac;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.testing.TestRandom;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Addresses of kinds 3 and 4: version-3 onion services (spec: card.adoc#onion-addresses). */
class OnionAddressTest {
  /** A published v3 onion address (DuckDuckGo's), whose checksum Tor computed, not this code. */
  static final String KNOWN = "duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion";

  static byte[] serviceKey(String name) {
    return Ed25519.publicKey(Hmac.hash(name.getBytes(StandardCharsets.US_ASCII)));
  }

  @Test
  void aPublishedOnionAddressIsReadAndWrittenBackTheSame() throws SottoException {
    Address a = Address.onionPeer(KNOWN, 443, CardTest.linkKey("peer"));
    assertTrue(a.isOnion());
    assertFalse(a.isTcp());
    assertTrue(a.isPeer());
    assertEquals(KNOWN, a.host());
    assertEquals(443, a.port());
    assertEquals(70, a.value().length);
    assertEquals(0x03, a.value()[69]);
    assertEquals(KNOWN, Address.onionName(Arrays.copyOfRange(a.value(), 35, 67)));
    assertEquals(a, Address.of(3, a.value()));
    assertEquals(a, Address.onionPeer(KNOWN.toUpperCase(), 443, CardTest.linkKey("peer")));
    assertEquals(a, Address.onionPeer(KNOWN.substring(0, 56), 443, CardTest.linkKey("peer")));
  }

  @Test
  void theNameOfAKeyRoundTrips() {
    byte[] key = serviceKey("service");
    String name = Address.onionName(key);
    assertEquals(62, name.length());
    Address a = Address.onionMailbox(name, 7401, CardTest.linkKey("mailbox"));
    assertTrue(a.isMailbox());
    assertArrayEquals(key, Arrays.copyOfRange(a.value(), 35, 67));
    assertEquals("mailbox onion " + name + ":7401", a.toString());
  }

  @Test
  void aCardHoldsOnionAddresses() throws SottoException {
    Card card = Card.builder(CardTest.identity("onion")).validity(CardTest.CREATED, CardTest.EXPIRES)
        .address(Address.onionPeer(Address.onionName(serviceKey("p")), 7400, CardTest.linkKey("p")))
        .address(Address.onionMailbox(Address.onionName(serviceKey("m")), 7401, CardTest.linkKey("m")))
        .issue(TestRandom.deterministic("onion/card".getBytes(StandardCharsets.US_ASCII)));
    Card read = Card.parse(card.encoded(), CardTest.NOW);
    assertEquals(card.addresses(), read.addresses());
    assertEquals(166 + 2 * 72, card.encoded().length);
  }

  /** Each rule of card.adoc#onion-addresses, in its order, as a card's reader meets it. */
  @Test
  void badOnionAddressesAreTypedErrors() {
    byte[] good = Address.onionPeer(KNOWN, 443, CardTest.linkKey("peer")).value();
    byte[] version = good.clone();
    version[69] = 0x02;
    assertEquals(ErrorCode.INVALID_ENCODING, refusal(3, version));
    byte[] checksum = good.clone();
    checksum[67] ^= 0x01;
    assertEquals(ErrorCode.INVALID_ENCODING, refusal(3, checksum));
    byte[] shortValue = Arrays.copyOf(good, 69);
    assertEquals(ErrorCode.INVALID_ENCODING, refusal(4, shortValue));
    byte[] longValue = Arrays.copyOf(good, 71);
    assertEquals(ErrorCode.INVALID_ENCODING, refusal(4, longValue));
    byte[] port = good.clone();
    port[33] = 0;
    port[34] = 0;
    assertEquals(ErrorCode.INVALID_ENCODING, refusal(3, port));
    // The key of order 8 (0x26e8...05): a point, not of order l; its checksum made right.
    byte[] torsion = Bytes.unhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05");
    byte[] badKey = good.clone();
    System.arraycopy(torsion, 0, badKey, 35, 32);
    byte[] sum = checksumOf(torsion);
    badKey[67] = sum[0];
    badKey[68] = sum[1];
    assertEquals(ErrorCode.INVALID_KEY, refusal(3, badKey));
    assertThrows(IllegalArgumentException.class, () -> Address.onionName(torsion));
    assertThrows(IllegalArgumentException.class,
        () -> Address.onionPeer("e" + KNOWN.substring(1), 443, CardTest.linkKey("peer")));
    assertThrows(IllegalArgumentException.class,
        () -> Address.onionPeer("duckduckgo.onion", 443, CardTest.linkKey("peer")));
    assertThrows(IllegalArgumentException.class,
        () -> Address.onionPeer(KNOWN.replace('d', '1'), 443, CardTest.linkKey("peer")));
    assertThrows(IllegalArgumentException.class, () -> Address.onionPeer(KNOWN, 0, CardTest.linkKey("peer")));
  }

  private static byte[] checksumOf(byte[] key) {
    org.bouncycastle.crypto.digests.SHA3Digest d = new org.bouncycastle.crypto.digests.SHA3Digest(256);
    byte[] p = ".onion checksum".getBytes(StandardCharsets.US_ASCII);
    d.update(p, 0, p.length);
    d.update(key, 0, 32);
    d.update((byte) 3);
    byte[] out = new byte[32];
    d.doFinal(out, 0);
    return out;
  }

  private static ErrorCode refusal(int kind, byte[] value) {
    Card card = Card.builder(CardTest.identity("bad onion")).validity(CardTest.CREATED, CardTest.EXPIRES)
        .address(Address.of(0x10, new byte[] {1}))
        .issue(TestRandom.deterministic("bad onion/card".getBytes(StandardCharsets.US_ASCII)));
    // Swap the placeholder address for the one under test, and sign again, as a dishonest issuer would.
    byte[] body = Arrays.copyOf(card.encoded(), card.encoded().length - 64);
    byte[] head = Arrays.copyOf(body, body.length - 3);
    byte[] newBody = Bytes.concat(head, new byte[] {(byte) kind, (byte) value.length}, value);
    byte[] sk = CardTest.identity("bad onion").derivedKeys(InsecureSecretAccess.get()).ed25519Private();
    byte[] sig = Ed25519.sign(sk, Bytes.concat("sotto/v2/card/signature".getBytes(StandardCharsets.US_ASCII), newBody));
    SottoException e = assertThrows(SottoException.class, () -> Card.parse(Bytes.concat(newBody, sig), CardTest.NOW));
    return e.code();
  }
}
