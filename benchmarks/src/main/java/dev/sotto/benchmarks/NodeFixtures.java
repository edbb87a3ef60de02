package dev.sotto.benchmarks;

import dev.sotto.Address;
import dev.sotto.IdentitySeed;
import dev.sotto.RandomSource;
import dev.sotto.node.Node;
import dev.sotto.node.store.Vault;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** What the node benchmarks share: new nodes in temporary homes. */
final class NodeFixtures {
  private NodeFixtures() {}

  /** A new node in {@code dir/name} on a free loopback port (cheap Argon2id: no passphrase anyway). */
  static Path initNode(Path dir, String name, List<Address> mailboxes) throws Exception {
    Path home = dir.resolve(name);
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Node.init(home, IdentitySeed.generate(RandomSource.secure()), null,
        new Vault.Params(1024, 1, 1), new Node.Config(name, "127.0.0.1", port, mailboxes),
        RandomSource.secure(), Clock.systemUTC());
    return home;
  }

  /** Deletes a directory tree (a benchmark's temporary homes). */
  static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
