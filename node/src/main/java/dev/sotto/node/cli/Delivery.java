package dev.sotto.node.cli;

import java.io.IOException;
import java.nio.file.Path;

/** What becomes of a queued message: whether a node runs for the home to deliver it. */
final class Delivery {
  private Delivery() {}

  static String status(Path home) throws IOException {
    return NodeLock.isHeld(home)
        ? "the running node delivers it"
        : "no node is running for this home: 'sotto run' delivers it";
  }
}
