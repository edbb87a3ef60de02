package dev.sotto.node;

import dev.sotto.Address;
import dev.sotto.IdentitySeed;
import dev.sotto.RandomSource;
import dev.sotto.node.store.Vault;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

/** Helpers for tests that run nodes. */
final class TestNodes {
  static final Vault.Params CHEAP = new Vault.Params(1024, 1, 1);

  private TestNodes() {}

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  static Path init(Path dir, String name, List<Address> mailboxes) throws Exception {
    Path home = dir.resolve(name);
    Node.init(home, IdentitySeed.generate(RandomSource.secure()), null, CHEAP,
        new Node.Config(name, "127.0.0.1", freePort(), mailboxes), RandomSource.secure(), Clock.systemUTC());
    return home;
  }

  static Node.Options fast() {
    return Node.Options.defaults().withFetchInterval(Duration.ofMillis(100));
  }

  /**
   * Lets the nodes fetch each other's prekeys without the network: a GET_PREKEYS to an address
   * that names one of these nodes' link keys goes to that node's {@link NodeCore#handle}, as it
   * would over a link (the node need not run); any other address fails as unreachable.
   */
  static void connect(Node... nodes) {
    for (Node n : nodes) {
      n.prekeysFrom((address, tag) -> {
        for (Node other : nodes) {
          if (java.util.Arrays.equals(other.peerAddress().linkKey(), address.linkKey())) {
            dev.sotto.Frame answer = other.core().handle(new NodeCore.LinkState(), dev.sotto.Frame.getPrekeys(1, tag)).get(0);
            return answer.type() == dev.sotto.Frame.PREKEYS ? answer.prekeyItems() : List.of();
          }
        }
        throw new IOException("nobody at " + address);
      });
    }
  }

  /** Waits until the condition holds, up to the timeout. */
  static void await(Duration timeout, Callable<Boolean> condition) throws Exception {
    long end = System.nanoTime() + timeout.toNanos();
    while (!condition.call()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("condition not met within " + timeout);
      }
      Thread.sleep(20);
    }
  }

  /**
   * Seals what a node queued and takes its outbox, as its worker would send it: what it returns is
   * marked sent, so on a running node it loses whatever the worker has not sent yet.
   */
  static List<dev.sotto.Envelope> outbox(Node sender) throws Exception {
    sender.fetchWantedPrekeys();
    sender.core().sealPending();
    List<dev.sotto.Envelope> out = new java.util.ArrayList<>();
    List<Long> ids = new java.util.ArrayList<>();
    for (NodeCore.Batch batch : sender.core().due(10_000)) {
      for (dev.sotto.node.store.Tx.Outgoing o : batch.envelopes()) {
        out.add(dev.sotto.Envelope.parse(o.envelope()));
        ids.add(o.id());
      }
    }
    sender.core().sent(ids);
    return out;
  }

  /** Delivers every envelope; each must be accepted. */
  static void deliver(List<dev.sotto.Envelope> envelopes, Node to) throws Exception {
    for (dev.sotto.Envelope e : envelopes) {
      org.junit.jupiter.api.Assertions.assertEquals(NodeCore.Outcome.ACCEPTED, to.core().receive(e));
    }
  }

  /** The bytes of a home's store.db and its log, one after the other (what a thief of the disk reads). */
  static byte[] storeFiles(Path home) throws Exception {
    java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
    for (String suffix : new String[] {"", "-wal"}) {
      Path file = home.resolve(dev.sotto.node.store.Store.FILE_NAME + suffix);
      if (java.nio.file.Files.exists(file)) {
        all.write(java.nio.file.Files.readAllBytes(file));
        all.write(new byte[64]);
      }
    }
    return all.toByteArray();
  }

  /** Whether {@code needle} occurs in {@code haystack}. */
  static boolean contains(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }
}
