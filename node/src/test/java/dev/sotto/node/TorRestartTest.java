package dev.sotto.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.IdentitySeed;
import dev.sotto.RandomSource;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node in Tor mode whose Tor daemon restarts (spec: transport.adoc#onion-dos), against a
 * control port that answers as Tor does (the real daemon's answers to the same ADD_ONION are checked
 * by TorDosSettingsTest): the node publishes its onion service with the flood settings; when the
 * control connection breaks it reaches the control port again and publishes the service again, and
 * while the port is down it keeps trying. About 6 s.
 */
class TorRestartTest {
  @TempDir Path dir;

  /** A control port: each connection authenticated without a secret, each ADD_ONION answered with {@code id}. */
  static final class FakeControl implements AutoCloseable {
    final ServerSocket server;
    final List<String> addOnions = new CopyOnWriteArrayList<>();
    final AtomicReference<Socket> current = new AtomicReference<>();
    final AtomicBoolean down = new AtomicBoolean();
    /** Connections accepted: a new one means the node reached Tor again. */
    final AtomicInteger connections = new AtomicInteger();
    /** How long each GETINFO waits before its answer (a slow Tor on a loaded machine). */
    final AtomicLong getinfoDelay = new AtomicLong();
    /** Set: the connection's services are dropped (Tor lost them) while the connection stays. */
    final AtomicBoolean forget = new AtomicBoolean();
    private final Thread thread;

    FakeControl(String id) throws IOException {
      server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
      thread = new Thread(() -> {
        while (!server.isClosed()) {
          try {
            Socket s = server.accept();
            if (down.get()) {
              s.close(); // the daemon is not back yet
              continue;
            }
            current.set(s);
            connections.incrementAndGet();
            Thread t = new Thread(() -> serve(s, id), "fake-control-conn");
            t.setDaemon(true);
            t.start();
          } catch (IOException e) {
            return;
          }
        }
      }, "fake-control");
      thread.setDaemon(true);
      thread.start();
    }

    private void serve(Socket s, String id) {
      try (s) {
        BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
        PrintWriter out = new PrintWriter(s.getOutputStream(), true, StandardCharsets.US_ASCII);
        boolean published = false;
        for (String line = in.readLine(); line != null; line = in.readLine()) {
          String answer;
          if (line.startsWith("PROTOCOLINFO")) {
            answer = "250-PROTOCOLINFO 1\r\n250-AUTH METHODS=NULL\r\n250-VERSION Tor=\"0.4.9.11\"\r\n250 OK";
          } else if (line.equals("AUTHENTICATE")) {
            answer = "250 OK";
          } else if (line.startsWith("ADD_ONION ")) {
            addOnions.add(line.replaceFirst("ED25519-V3:\\S+", "ED25519-V3:KEY")); // the key is a secret
            published = true;
            answer = "250-ServiceID=" + id + "\r\n250 OK";
          } else if (line.equals("GETINFO onions/current")) {
            if (forget.getAndSet(false)) {
              published = false;
            }
            long delay = getinfoDelay.get();
            if (delay > 0) {
              Thread.sleep(delay);
            }
            answer = published ? "250-onions/current=" + id + "\r\n250 OK" : "551 No onion services";
          } else {
            answer = "510 Unrecognized command";
          }
          out.print(answer + "\r\n");
          out.flush();
        }
      } catch (IOException e) {
        // closed: the daemon "restarted"
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    /** Tor goes away: the control connection breaks, and new ones are refused until {@link #up}. */
    void restart() throws IOException {
      down.set(true);
      current.get().close();
    }

    void up() {
      down.set(false);
    }

    @Override
    public void close() throws IOException {
      server.close();
    }
  }

  /** Alice's node in Tor mode, with the Tor daemon at {@code control}'s port (not started). */
  private Node aliceOn(FakeControl control, IdentitySeed seed, String onion) throws Exception {
    Path home = dir.resolve("alice");
    Node.Tor tor = new Node.Tor(onion, 7400, new HostPort("127.0.0.1", TestNodes.freePort()),
        new HostPort("127.0.0.1", control.server.getLocalPort()), null);
    Node.init(home, seed, null, TestNodes.CHEAP, new Node.Config("alice", "127.0.0.1", TestNodes.freePort(),
        List.of(), List.of(), tor, false), RandomSource.secure(), Clock.systemUTC());
    return Node.open(home, null, TestNodes.fast());
  }

  @Test
  void afterTorRestartsTheNodePublishesItsOnionServiceAgain() throws Exception {
    IdentitySeed seed = IdentitySeed.generate(RandomSource.secure());
    String onion = dev.sotto.node.tor.OnionKey.of(seed).onion();
    Duration before = Node.torCheck;
    Node.torCheck = Duration.ofMillis(100);
    try (FakeControl control = new FakeControl(onion.replace(".onion", ""));
        Node alice = aliceOn(control, seed, onion)) {
      alice.start();
      assertEquals(1, control.addOnions.size());
      String line = control.addOnions.get(0);
      assertTrue(line.startsWith("ADD_ONION ED25519-V3:KEY Flags=DiscardPK,MaxStreamsCloseCircuit MaxStreams=8"
          + " PoWDefensesEnabled=1 Port=7400,127.0.0.1:"), line);
      assertEquals(Boolean.TRUE, alice.torProofOfWork());
      Thread.sleep(500); // a few checks find the service up: nothing is published again
      assertEquals(1, control.addOnions.size());
      assertEquals(0, alice.torRepublished());

      control.restart();
      Thread.sleep(600); // down for six checks: each fails, and the node keeps trying
      assertEquals(1, control.addOnions.size());
      control.up();
      TestNodes.await(Duration.ofSeconds(10), () -> alice.torRepublished() == 1);
      assertEquals(2, control.addOnions.size());
      assertEquals(line, control.addOnions.get(1));
      Thread.sleep(300);
      assertEquals(1, alice.torRepublished(), "once published again, the service is found up");
    } finally {
      Node.torCheck = before;
    }
  }

  /**
   * A slow Tor is not a lost one: answers later than the control timeout make the node wait for
   * the next check, on the same connection, with nothing published again; Tor that answers but has
   * lost the service gets it published again on the same connection, without reaching Tor again
   * (for a daemon of the node's own, that would mean a restart). About 5 s.
   */
  @Test
  void aSlowTorIsAskedAgainAndALostServiceIsPublishedOnTheSameConnection() throws Exception {
    IdentitySeed seed = IdentitySeed.generate(RandomSource.secure());
    String onion = dev.sotto.node.tor.OnionKey.of(seed).onion();
    Duration check = Node.torCheck;
    Duration timeout = Node.torControlTimeout;
    Node.torCheck = Duration.ofMillis(100);
    Node.torControlTimeout = Duration.ofMillis(300);
    try (FakeControl control = new FakeControl(onion.replace(".onion", ""));
        Node alice = aliceOn(control, seed, onion)) {
      alice.start();
      assertEquals(1, control.connections.get());
      control.getinfoDelay.set(500); // every answer comes after the node's 300 ms timeout
      Thread.sleep(1_500);
      control.getinfoDelay.set(0);
      Thread.sleep(800); // the late answers are read and dropped; the checks answer in time again
      assertEquals(1, control.connections.get(), "a slow answer is not a lost Tor: no new connection");
      assertEquals(1, control.addOnions.size(), "nor is the service published again");
      assertEquals(0, alice.torRepublished());

      control.forget.set(true);
      TestNodes.await(Duration.ofSeconds(10), () -> alice.torRepublished() == 1);
      assertEquals(2, control.addOnions.size());
      assertEquals(1, control.connections.get(), "published again on the same connection");
      Thread.sleep(300);
      assertEquals(1, alice.torRepublished(), "once published again, the service is found up");
    } finally {
      Node.torCheck = check;
      Node.torControlTimeout = timeout;
    }
  }
}
