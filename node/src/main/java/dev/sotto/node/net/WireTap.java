package dev.sotto.node.net;

/**
 * Sees every byte string a link puts on or takes off the wire, as the network sees it: the two
 * handshake messages and each whole frame (the demo's wire view). Implementations must be
 * thread-safe and quick.
 */
public interface WireTap {
  WireTap NONE = (link, outbound, kind, wire) -> {};

  /**
   * @param link a name for the connection, e.g. "alice -> 127.0.0.1:7400"
   * @param outbound whether this side sent the bytes
   * @param kind "hello", "accept" or "frame"
   * @param wire the bytes as they crossed the wire (do not keep or modify the array)
   */
  void seen(String link, boolean outbound, String kind, byte[] wire);
}
