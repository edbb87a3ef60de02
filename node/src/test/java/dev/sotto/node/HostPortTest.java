package dev.sotto.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.Address;
import java.util.List;
import org.junit.jupiter.api.Test;

class HostPortTest {
  @Test
  void parsesHostAndPort() {
    assertEquals(new HostPort("example.org", 7400), HostPort.parse("example.org", 7400));
    assertEquals(new HostPort("example.org", 7401), HostPort.parse("example.org:7401", 7400));
    assertEquals(new HostPort("192.0.2.7", 1), HostPort.parse("192.0.2.7:1", 7400));
    assertEquals(new HostPort("2001:db8::7", 7400), HostPort.parse("2001:db8::7", 7400));
    assertEquals(new HostPort("2001:db8::7", 7400), HostPort.parse("[2001:db8::7]", 7400));
    assertEquals(new HostPort("2001:db8::7", 65535), HostPort.parse("[2001:db8::7]:65535", 7400));
    for (String bad : new String[] {"", "Example.org", "example.org:", "example.org:0", "example.org:65536", "[::1",
        "[::1]7400", "a b", "host:x", "x".repeat(221)}) {
      assertThrows(IllegalArgumentException.class, () -> HostPort.parse(bad, 7400), bad);
    }
  }

  @Test
  void theTextReadsBack() {
    for (HostPort h : List.of(new HostPort("example.org", 1), new HostPort("::1", 7400), new HostPort("10.0.0.1", 80))) {
      assertEquals(h, HostPort.parse(h.text(), 9));
    }
    assertEquals("[::1]:7400", new HostPort("::1", 7400).text());
  }

  @Test
  void addressesOnlyThisMachineReaches() {
    for (String local : new String[] {"0.0.0.0", "::", "0:0:0:0:0:0:0:0", "127.0.0.1", "127.1.2.3", "::1",
        "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1", "::ffff:0.0.0.0", "localhost", "node.localhost"}) {
      assertTrue(new HostPort(local, 1).thisMachineOnly(), local);
    }
    for (String reachable : new String[] {"192.0.2.7", "10.0.0.1", "128.0.0.1", "2001:db8::1", "fe80::1", "example.org",
        "127.example.org", "localhost.example.org", "1.2.3.999", "12:zz"}) {
      assertFalse(new HostPort(reachable, 1).thisMachineOnly(), reachable);
    }
  }

  @Test
  void aConfigsCardGivesTheAdvertisedAddressesThenTheMailboxes() {
    byte[] key = new byte[32];
    key[0] = 9;
    Address mailbox = Address.mailbox("m.example.org", 7400, key);
    Node.Config listening = new Node.Config("me", "0.0.0.0", 7401, List.of(mailbox));
    assertEquals(List.of(Address.peer("0.0.0.0", 7401, key), mailbox), listening.cardAddresses(key));
    Node.Config advertised = listening.withAdvertise(List.of(new HostPort("me.example.org", 7999)));
    assertEquals(List.of(Address.peer("me.example.org", 7999, key), mailbox), advertised.cardAddresses(key));
    assertEquals(advertised, Node.Config.decode(advertised.encode()));
    assertEquals(listening, Node.Config.decode(listening.encode()));
    // A store written before the setting has no advertise line.
    String old = "name=me\nhost=127.0.0.1\nport=7401\nmailboxes=\n";
    assertEquals(new Node.Config("me", "127.0.0.1", 7401, List.of()), Node.Config.decode(old.getBytes()));
  }
}
