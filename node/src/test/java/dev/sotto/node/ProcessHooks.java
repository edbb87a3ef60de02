package dev.sotto.node;

import dev.sotto.Frame;
import dev.sotto.SottoException;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;

/**
 * Hooks for node processes of the multi-process tests (it.NodeProcess), which live in another
 * package: links from a loopback address of the node's own, and a mailbox that logs what it sees.
 */
public final class ProcessHooks {
  private ProcessHooks() {}

  /** Every link the node opens leaves from {@code source} (a loopback address: 127.0.0.0/8). */
  public static void bindSource(Node node, String source) throws IOException {
    InetAddress from = InetAddress.getByName(source);
    if (!from.isLoopbackAddress()) {
      throw new IllegalArgumentException("a test node binds loopback addresses only");
    }
    node.dialer(new Dialer() {
      @Override
      public void dial(java.net.Socket socket, dev.sotto.Address address, String lane, int timeoutMillis)
          throws IOException {
        socket.bind(new InetSocketAddress(from, 0));
        Dialer.TCP.dial(socket, address, lane, timeoutMillis);
      }

      @Override
      public boolean reaches(dev.sotto.Address address) {
        return Dialer.TCP.reaches(address);
      }
    });
  }

  /**
   * The mailbox writes to {@code file} what a mailbox that logs everything knows, a line an event
   * ({@code System.nanoTime()}, the link's source address, the link's number in the order links
   * were first seen): {@code D nanos source tag size link} for a deposit, {@code I nanos source tag
   * link} for each item a FETCH hands out, {@code A nanos source n link} for an ACK of n items, and
   * {@code F nanos source link n tags} for every FETCH of n tags, with the 8 first hex digits of up
   * to 16 of its tags, the lowest, comma-separated (what chains a receiver's fetches across links,
   * security.adoc#fetch-linkability; in Tor mode every link comes from loopback).
   */
  public static void recordMailbox(Node node, Path file) throws IOException {
    BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.US_ASCII);
    HexFormat hex = HexFormat.of();
    java.util.Map<Object, Integer> links = java.util.Collections.synchronizedMap(new java.util.IdentityHashMap<>());
    node.logMailbox((link, request, answers) -> {
      long now = System.nanoTime();
      String from = link.source.getHostAddress();
      String id = "L" + links.computeIfAbsent(link, k -> links.size());
      StringBuilder lines = new StringBuilder();
      try {
        switch (request.type()) {
          case Frame.DEPOSIT -> lines.append("D ").append(now).append(' ').append(from).append(' ')
              .append(hex.formatHex(request.envelope().tag())).append(' ').append(request.envelope().length()).append(' ')
              .append(id).append('\n');
          case Frame.FETCH -> {
            List<String> tags = new ArrayList<>();
            for (byte[] t : request.tags()) {
              tags.add(hex.formatHex(t, 0, 4));
            }
            Collections.sort(tags);
            lines.append("F ").append(now).append(' ').append(from).append(' ').append(id).append(' ')
                .append(tags.size()).append(' ').append(String.join(",", tags.subList(0, Math.min(16, tags.size()))))
                .append('\n');
            for (Frame a : answers) {
              if (a.type() == Frame.ITEM) {
                lines.append("I ").append(now).append(' ').append(from).append(' ')
                    .append(hex.formatHex(a.itemEnvelope().tag())).append(' ').append(id).append('\n');
              }
            }
          }
          case Frame.FETCH_PREFIX -> { // handed out by prefix: to every link that names it, taken by one
            for (Frame a : answers) {
              if (a.type() == Frame.ITEM) {
                lines.append("P ").append(now).append(' ').append(from).append(' ')
                    .append(hex.formatHex(a.itemEnvelope().tag())).append('\n');
              }
            }
          }
          case Frame.ACK -> lines.append("A ").append(now).append(' ').append(from).append(' ')
              .append(request.itemIds().size()).append(' ').append(id).append('\n');
          default -> { }
        }
      } catch (SottoException e) {
        return; // answered with an error; nothing stored or handed out
      }
      if (lines.length() > 0) {
        synchronized (out) {
          try {
            out.write(lines.toString());
            out.flush();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      }
    });
  }
}
