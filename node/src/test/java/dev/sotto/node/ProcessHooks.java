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
import java.util.HexFormat;

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
   * ({@code System.nanoTime()}, the link's source address): {@code D nanos source tag size} for a
   * deposit, {@code I nanos source tag} for each item a FETCH hands out, {@code A nanos source n}
   * for an ACK of n items.
   */
  public static void recordMailbox(Node node, Path file) throws IOException {
    BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.US_ASCII);
    HexFormat hex = HexFormat.of();
    node.logMailbox((link, request, answers) -> {
      long now = System.nanoTime();
      String from = link.source.getHostAddress();
      StringBuilder lines = new StringBuilder();
      try {
        switch (request.type()) {
          case Frame.DEPOSIT -> lines.append("D ").append(now).append(' ').append(from).append(' ')
              .append(hex.formatHex(request.envelope().tag())).append(' ').append(request.envelope().length()).append('\n');
          case Frame.FETCH -> {
            for (Frame a : answers) {
              if (a.type() == Frame.ITEM) {
                lines.append("I ").append(now).append(' ').append(from).append(' ')
                    .append(hex.formatHex(a.itemEnvelope().tag())).append('\n');
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
              .append(request.itemIds().size()).append('\n');
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
