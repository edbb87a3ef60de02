package dev.sotto.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DemoTest {
  @Test
  void demoShowsTheConversationAndThatTheWireIsUnreadable() {
    Cli.Result r = new Cli().run("demo");
    String out = r.out();
    assertEquals(0, r.status(), () -> out + r.err());
    assertEquals("", r.err());
    for (String text : Demo.ALICE_WRITES) {
      assertTrue(out.contains("alice > bob: " + text), text);
      assertTrue(out.contains("] alice: " + text), text);
    }
    assertTrue(out.contains("] alice joined (fingerprint sottofp1"), out);
    assertTrue(out.contains("] bob: " + Demo.BOB_WRITES), out);
    assertTrue(out.contains("The conversation"), out);
    assertTrue(out.contains("What the network saw"), out);
    assertTrue(out.contains("alice -> mailbox"), out);
    assertTrue(out.contains("bob -> alice"), out);
    assertTrue(out.contains("ok  delivered directly to alice's node"), out);
    assertTrue(out.contains("ok  no readable byte in the stored envelopes"), out);
    assertTrue(out.contains("ok  no readable byte in the bytes on the wire"), out);
    assertTrue(out.contains("ok  every handshake message is 1243 bytes"), out);
    assertTrue(out.contains("ok  the mailbox took one envelope per message: 5 deposits"), out);
    assertTrue(out.contains("ok  carol keeps fetching and reads nothing sent after her removal"), out);
    assertTrue(out.contains("] alice removed you"), out);
    assertFalse(out.contains("FAILED"), out);
    assertTrue(out.contains("temporary homes deleted"), out);
  }

  /**
   * {@code demo --tor}: the same conversation over a private Tor network that the demo starts (fails
   * where tor is missing; .ci/run installs it). Costs about 50 s, most of it waiting on Tor.
   */
  @Test
  void demoRunsOverAPrivateTorNetwork() {
    Cli.Result r = new Cli().run("demo", "--tor");
    String out = r.out();
    assertEquals(0, r.status(), () -> out + r.err());
    assertTrue(out.contains("talking through Tor, each at an onion address"), out);
    assertTrue(out.matches("(?s).*alice    reached at [a-z2-7]{56}\\.onion \\(through Tor only\\).*"), out);
    for (String text : Demo.ALICE_WRITES) {
      assertTrue(out.contains("] alice: " + text), text);
    }
    assertTrue(out.contains("] bob: " + Demo.BOB_WRITES), out);
    assertTrue(out.contains("ok  delivered directly to alice's node"), out);
    assertTrue(out.contains("ok  no readable byte in the bytes on the wire"), out);
    assertFalse(out.contains("FAILED"), out);
  }
}
