package dev.sotto.node.tor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.Address;
import dev.sotto.IdentitySeed;
import dev.sotto.node.Dialer;
import dev.sotto.node.HostPort;
import dev.sotto.node.Node;
import java.io.IOException;
import java.net.Socket;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Tor mode's settings fail closed (spec: transport.adoc#node-tor-mode): loopback only, no
 * advertised host, no card that mixes an onion address with a TCP one unless asked (with the
 * reason), the onion key from the seed, and no direct connection to an onion name. Costs
 * milliseconds.
 */
class TorModeTest {
  static final byte[] LINK = dev.sotto.internal.crypto.X25519.publicKey(new byte[] {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2,
      3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22});
  static final String ONION = OnionKey.of(IdentitySeed.fromBytes(new byte[32])).onion();

  static Node.Tor tor() {
    return new Node.Tor(ONION, 7400, null, null, null);
  }

  @Test
  void theOnionKeyComesFromTheSeedUnderItsOwnLabel() {
    // The value identity.json's first derive case gives for the seed of zeros, checked with
    // Python's 'cryptography' package (HKDF-SHA-256, Ed25519, SHA3-256, base32) besides.
    assertEquals("vdwko5vldbvpmy7r2ub2m6dprrreujz4lytglot3ziwcso4hcef5ofid.onion", ONION);
    IdentitySeed seed = IdentitySeed.fromBytes(new byte[32]);
    assertFalse(java.util.Arrays.equals(OnionKey.of(seed).publicKey(),
        dev.sotto.Identity.fromSeed(seed).publicIdentity().signingKey()), "not the identity signing key");
    assertTrue(OnionKey.of(seed).torKeyBlob().startsWith("ED25519-V3:"));
    assertEquals("OnionKey[" + ONION + "]", OnionKey.of(seed).toString(), "no key material in toString");
  }

  @Test
  void aCardInTorModeGivesTheOnionAddressOnly() {
    Node.Config c = new Node.Config("alice", "127.0.0.1", 7400, List.of(), List.of(), tor(), false);
    List<Address> card = c.cardAddresses(LINK);
    assertEquals(1, card.size());
    assertTrue(card.get(0).isOnion());
    assertEquals(ONION, card.get(0).host());
    Address onionMailbox = Address.onionMailbox(ONION, 7401, LINK);
    Node.Config withMailbox = new Node.Config("alice", "127.0.0.1", 7400, List.of(onionMailbox), List.of(), tor(), false);
    assertEquals(List.of(card.get(0), onionMailbox), withMailbox.cardAddresses(LINK), "onion addresses only: not mixed");
  }

  @Test
  void torModeListensOnLoopbackOnlyAndAdvertisesNothingElse() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Node.Config("alice", "0.0.0.0", 7400, List.of(), List.of(), tor(), false));
    assertTrue(e.getMessage().contains("loopback"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new Node.Config("alice", "127.0.0.1", 7400, List.of(),
        List.of(new HostPort("alice.example.org", 7400)), tor(), false));
    assertTrue(e.getMessage().contains("--advertise"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> new Node.Tor(ONION, 7400, new HostPort("192.0.2.1", 9050), new HostPort("127.0.0.1", 9051), null));
    assertTrue(e.getMessage().contains("127.0.0.1"), e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> new Node.Tor(ONION, 7400, new HostPort("127.0.0.1", 9050), null, null));
  }

  @Test
  void aCardThatMixesOnionAndTcpIsRefusedWithTheReasonUnlessAsked() throws Exception {
    Address tcpMailbox = Address.mailbox("mailbox.example.org", 7401, LINK);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Node.Config("alice", "127.0.0.1", 7400, List.of(tcpMailbox), List.of(), tor(), false));
    assertTrue(e.getMessage().contains("this node's onion address and the mailbox mailbox.example.org:7401"),
        e.getMessage());
    assertTrue(e.getMessage().contains("link"), e.getMessage());
    assertTrue(e.getMessage().contains("--mixed-card"), e.getMessage());
    Node.Config mixed = new Node.Config("alice", "127.0.0.1", 7400, List.of(tcpMailbox), List.of(), tor(), true);
    assertEquals(2, mixed.cardAddresses(LINK).size());
    // Kept as it was set, through the store's encoding.
    assertEquals(mixed, decode(mixed));

    Address onionMailbox = Address.onionMailbox(ONION, 7401, LINK);
    e = assertThrows(IllegalArgumentException.class,
        () -> new Node.Config("bob", "127.0.0.1", 7400, List.of(onionMailbox), List.of()));
    assertTrue(e.getMessage().contains("the mailbox " + ONION + " and this node's address 127.0.0.1"), e.getMessage());
    Node.Config plain = new Node.Config("bob", "127.0.0.1", 7400, List.of(onionMailbox), List.of(), null, true);
    assertEquals(plain, decode(plain));
    Node.Config torMode = new Node.Config("carol", "127.0.0.1", 7400, List.of(onionMailbox), List.of(),
        new Node.Tor(ONION, 7400, new HostPort("127.0.0.1", 9050), new HostPort("127.0.0.1", 9051), "/x/torrc"), false);
    assertEquals(torMode, decode(torMode));
  }

  private static Node.Config decode(Node.Config c) throws Exception {
    java.lang.reflect.Method encode = Node.Config.class.getDeclaredMethod("encode");
    encode.setAccessible(true);
    java.lang.reflect.Method decode = Node.Config.class.getDeclaredMethod("decode", byte[].class);
    decode.setAccessible(true);
    return (Node.Config) decode.invoke(null, encode.invoke(c));
  }

  @Test
  void withoutTorAnOnionNameIsNeverResolvedNorDialled() throws Exception {
    Address onion = Address.onionPeer(ONION, 7400, LINK);
    assertFalse(Dialer.TCP.reaches(onion));
    IOException e = assertThrows(IOException.class, () -> Dialer.TCP.dial(new Socket(), onion, 1000));
    assertTrue(e.getMessage().contains("through Tor only"), e.getMessage());
    Address disguised = Address.peer(ONION, 7400, LINK); // kind 1 with an onion name as its host
    assertFalse(Dialer.TCP.reaches(disguised));
    assertThrows(IOException.class, () -> Dialer.TCP.dial(new Socket(), disguised, 1000));
    assertEquals(Address.onionPeer(ONION, 7400, LINK), Node.parseAddress(Node.addressText(onion)));
    assertEquals("peer:" + ONION + ":7400:" + java.util.HexFormat.of().formatHex(LINK), Node.addressText(onion));
  }
}
