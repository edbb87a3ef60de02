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
}
