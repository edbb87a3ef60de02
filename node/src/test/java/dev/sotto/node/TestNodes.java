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
