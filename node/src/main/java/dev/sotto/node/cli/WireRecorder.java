package dev.sotto.node.cli;

import dev.sotto.node.net.WireTap;
import java.util.ArrayList;
import java.util.List;

/** A wire tap that keeps a copy of everything: the demo's view of the network. */
final class WireRecorder implements WireTap {
  /** One handshake message or frame, as one end of a link saw it. */
  record Seen(String link, boolean outbound, String kind, byte[] wire) {
    int size() {
      return wire.length;
    }
  }

  private final List<Seen> seen = new ArrayList<>();

  @Override
  public synchronized void seen(String link, boolean outbound, String kind, byte[] wire) {
    seen.add(new Seen(link, outbound, kind, wire.clone()));
  }

  synchronized List<Seen> all() {
    return List.copyOf(seen);
  }
}
