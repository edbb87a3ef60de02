package dev.sotto.node.it;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A hostile listener on loopback, test side: a <em>tarpit</em> accepts every connection and
 * sends one random byte on it every 1.5 s, for as long as the other side keeps it open (each byte
 * is a read that a per-read timeout never sees time out); a <em>silent</em> listener accepts and
 * then neither reads nor writes. It holds at most {@link #MAX_CONNECTIONS} connections (the
 * oldest closed beyond), and {@link #close} closes them all and its threads.
 */
final class Tarpit implements AutoCloseable {
  static final long DRIBBLE_MILLIS = 1_500;
  static final int MAX_CONNECTIONS = 256;

  private final ServerSocket server;
  private final boolean dribble;
  private final List<Socket> held = new CopyOnWriteArrayList<>();
  private final ScheduledExecutorService dribbler;
  private final Thread acceptor;
  private final AtomicInteger accepted = new AtomicInteger();
  private final AtomicInteger bytesSent = new AtomicInteger();

  private Tarpit(boolean dribble) throws IOException {
    this.dribble = dribble;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.dribbler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "tarpit-dribble");
      t.setDaemon(true);
      return t;
    });
    this.acceptor = new Thread(this::accept, dribble ? "tarpit-accept" : "silent-accept");
    acceptor.setDaemon(true);
    acceptor.start();
    if (dribble) {
      dribbler.scheduleAtFixedRate(this::dribbleOnce, DRIBBLE_MILLIS, DRIBBLE_MILLIS, TimeUnit.MILLISECONDS);
    }
  }

  /** Accepts, then sends one byte every 1.5 s on each connection. */
  static Tarpit dribbling() throws IOException {
    return new Tarpit(true);
  }

  /** Accepts, then says nothing. */
  static Tarpit silent() throws IOException {
    return new Tarpit(false);
  }

  int port() {
    return server.getLocalPort();
  }

  /** Connections accepted so far. */
  int accepted() {
    return accepted.get();
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        accepted.incrementAndGet();
        held.add(s);
        while (held.size() > MAX_CONNECTIONS) {
          closeQuietly(held.remove(0));
        }
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void dribbleOnce() {
    for (Socket s : held) {
      try {
        // Drain what the client sent, so that its writes never block: it waits on reads only.
        InputStream in = s.getInputStream();
        int available = in.available();
        if (available > 0) {
          in.skip(available);
        }
        s.getOutputStream().write(RawClient.RANDOM.bytes(1)[0]);
        s.getOutputStream().flush();
        bytesSent.incrementAndGet();
      } catch (IOException e) {
        held.remove(s);
        closeQuietly(s);
      }
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }

  @Override
  public void close() {
    try {
      server.close();
    } catch (IOException ignored) {
      // closing anyway
    }
    dribbler.shutdownNow();
    held.forEach(Tarpit::closeQuietly);
    held.clear();
    try {
      acceptor.join(5_000);
      dribbler.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return (dribble ? "tarpit" : "silent listener") + " on port " + port() + ": " + accepted.get() + " connections, "
        + bytesSent.get() + " bytes dribbled";
  }
}
