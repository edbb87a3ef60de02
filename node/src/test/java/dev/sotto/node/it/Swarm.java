package dev.sotto.node.it;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Connections that never complete a LinkHello, held open against a node from one thread: half
 * silent, half sending one byte every {@code every} (the start of a hello, as a slow client would).
 * Each one the node closes is opened again at once, so that {@code count} are held all along. The
 * sources are bound to the given loopback addresses in turn.
 */
final class Swarm implements AutoCloseable {
  private final int port;
  private final List<String> from;
  private final Duration every;
  private final SocketChannel[] slots;
  private final long[] nextByte;
  private final int[] sent;
  private final Selector selector;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final Thread thread;
  /** Connections opened, closed by the node, bytes sent, and connects that failed. */
  final AtomicLong opened = new AtomicLong();
  final AtomicLong closedByNode = new AtomicLong();
  final AtomicLong bytesSent = new AtomicLong();
  final AtomicLong failed = new AtomicLong();
  private int next;

  Swarm(int port, int count, List<String> from, Duration every) throws IOException {
    this.port = port;
    this.from = from;
    this.every = every;
    this.slots = new SocketChannel[count];
    this.nextByte = new long[count];
    this.sent = new int[count];
    this.selector = Selector.open();
    this.thread = new Thread(this::run, "swarm");
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    ByteBuffer scratch = ByteBuffer.allocate(4096);
    try {
      while (running.get()) {
        long now = System.nanoTime();
        for (int i = 0; i < slots.length; i++) {
          if (slots[i] == null) {
            open(i, now);
          } else if (i % 2 == 1 && slots[i].isConnected() && now - nextByte[i] >= 0) {
            try {
              // The first bytes of a hello: version 0x02, then the time's high bytes (zeros).
              slots[i].write(ByteBuffer.wrap(new byte[] {(byte) (sent[i]++ == 0 ? 2 : 0)}));
              bytesSent.incrementAndGet();
            } catch (IOException e) {
              drop(i, true);
              continue;
            }
            nextByte[i] = now + every.toNanos();
          }
        }
        selector.select(50);
        for (SelectionKey key : selector.selectedKeys()) {
          int i = (Integer) key.attachment();
          SocketChannel ch = (SocketChannel) key.channel();
          try {
            if (key.isConnectable()) {
              ch.finishConnect();
              key.interestOps(SelectionKey.OP_READ);
            } else if (key.isReadable()) {
              scratch.clear();
              if (ch.read(scratch) < 0) {
                drop(i, true);
              }
            }
          } catch (IOException e) {
            drop(i, ch.isConnected());
          }
        }
        selector.selectedKeys().clear();
      }
    } catch (IOException | RuntimeException e) {
      // the selector failed: the swarm stops
    } finally {
      for (int i = 0; i < slots.length; i++) {
        drop(i, false);
      }
      try {
        selector.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
  }

  private void open(int i, long now) {
    SocketChannel ch = null;
    try {
      ch = SocketChannel.open();
      ch.configureBlocking(false);
      ch.bind(new InetSocketAddress(from.get(next++ % from.size()), 0));
      ch.connect(new InetSocketAddress("127.0.0.1", port));
      ch.register(selector, SelectionKey.OP_CONNECT, i);
      slots[i] = ch;
      sent[i] = 0;
      nextByte[i] = now + every.toNanos();
      opened.incrementAndGet();
    } catch (IOException e) {
      failed.incrementAndGet();
      if (ch != null) {
        try {
          ch.close();
        } catch (IOException ignored) {
          // nothing to do
        }
      }
    }
  }

  private void drop(int i, boolean byNode) {
    if (slots[i] == null) {
      return;
    }
    try {
      slots[i].close();
    } catch (IOException ignored) {
      // closing anyway
    }
    slots[i] = null;
    if (byNode) {
      closedByNode.incrementAndGet();
    }
  }

  @Override
  public void close() {
    running.set(false);
    selector.wakeup();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return String.format("swarm of %d: %d opened, %d closed by the node, %d bytes sent, %d connects failed",
        slots.length, opened.get(), closedByNode.get(), bytesSent.get(), failed.get());
  }
}
