package dev.sotto.node.it;

import dev.sotto.ErrorCode;
import dev.sotto.Frame;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;

/**
 * Links that send requests as fast as the node takes them: on each, one thread writes requests
 * without waiting for their answers (the node reads one at a time, so the writer is held back only
 * by the connection's buffers) and another reads and counts the answers. Stops at {@link #close}.
 */
final class Flood implements AutoCloseable {
  final AtomicLong ok = new AtomicLong();
  final AtomicLong limited = new AtomicLong();
  final AtomicLong other = new AtomicLong();
  final AtomicLong broken = new AtomicLong();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final List<RawClient> links = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();

  /**
   * {@code count} links to the node at {@code port}, from the addresses of {@code from} in turn, each
   * sending {@code request.apply(requestId)}.
   */
  Flood(int port, byte[] key, List<String> from, int count, LongFunction<Frame> request) throws Exception {
    for (int i = 0; i < count; i++) {
      RawClient c = linkWithRetries(from.get(i % from.size()), port, key);
      c.sendBuffer(32 * 1024); // the writer waits for the node, instead of sealing megabytes ahead of it
      links.add(c);
      Thread writer = new Thread(() -> {
        try {
          while (running.get()) {
            c.send(request.apply(c.nextRequestId()));
          }
        } catch (Exception e) {
          // closed
        }
      }, "flood-writer-" + i);
      Thread reader = new Thread(() -> {
        try {
          while (running.get()) {
            Frame answer = c.receive();
            if (answer.type() == Frame.OK) {
              ok.incrementAndGet();
            } else if (answer.type() == Frame.ERROR && answer.errorNumber() == ErrorCode.LIMIT_EXCEEDED.number()) {
              limited.incrementAndGet();
            } else if (answer.type() == Frame.ERROR || answer.type() == Frame.DONE) {
              other.incrementAndGet();
            }
          }
        } catch (Exception e) {
          if (running.get()) {
            broken.incrementAndGet();
          }
        }
      }, "flood-reader-" + i);
      writer.setDaemon(true);
      reader.setDaemon(true);
      threads.add(writer);
      threads.add(reader);
    }
    threads.forEach(Thread::start);
  }

  /**
   * A link as a flooder makes one: a handshake the node turned away (its handshake budget, or an
   * eviction while the machine is busy) is simply tried again, up to a few times.
   */
  private static RawClient linkWithRetries(String from, int port, byte[] key) throws Exception {
    for (int attempt = 1; ; attempt++) {
      try {
        return RawClient.linkFrom(from, port, key);
      } catch (IOException e) {
        if (attempt == 5) {
          throw e;
        }
        Thread.sleep(200L * attempt);
      }
    }
  }

  @Override
  public void close() {
    running.set(false);
    links.forEach(RawClient::close);
    try {
      for (Thread t : threads) {
        t.join(10_000);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return String.format("%d links: %d OK, %d LIMIT_EXCEEDED, %d other answers, %d links broken", links.size(), ok.get(),
        limited.get(), other.get(), broken.get());
  }
}
