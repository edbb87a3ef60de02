package dev.sotto.node.it;

import dev.sotto.Envelope;
import dev.sotto.Frame;
import dev.sotto.Link;
import dev.sotto.LinkInitiator;
import dev.sotto.LinkResponder;
import dev.sotto.RandomSource;
import dev.sotto.SottoException;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A hand-driven link initiator for the hostile tests: a socket on which a test writes whatever
 * bytes it likes, and, after {@link #handshake}, seals and opens frames with the {@link Link}
 * (spec: transport.adoc#link-handshake, #frames).
 */
final class RawClient implements Closeable {
  static final RandomSource RANDOM = RandomSource.secure();
  private static final int TIMEOUT_MILLIS = 10_000;

  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;
  private Link link;
  private long nextRequestId = 1;

  private RawClient(Socket socket) throws IOException {
    this.socket = socket;
    this.in = new DataInputStream(socket.getInputStream());
    this.out = socket.getOutputStream();
  }

  /** A bare TCP connection to a loopback port. */
  static RawClient connect(int port) throws IOException {
    return connectFrom(null, port);
  }

  /**
   * A bare TCP connection to a loopback port from the loopback address {@code from} (any of
   * 127.0.0.0/8 on Linux), or from the system's choice when null.
   */
  static RawClient connectFrom(String from, int port) throws IOException {
    Socket s = new Socket();
    try {
      if (from != null) {
        s.bind(new InetSocketAddress(from, 0));
      }
      s.setTcpNoDelay(true);
      s.connect(new InetSocketAddress("127.0.0.1", port), TIMEOUT_MILLIS);
      s.setSoTimeout(TIMEOUT_MILLIS);
      return new RawClient(s);
    } catch (IOException e) {
      s.close();
      throw e;
    }
  }

  /** A connection with a completed link handshake to the node holding {@code linkKey}. */
  static RawClient link(int port, byte[] linkKey) throws IOException, SottoException {
    return linkFrom(null, port, linkKey);
  }

  /** As {@link #link}, from the loopback address {@code from}. */
  static RawClient linkFrom(String from, int port, byte[] linkKey) throws IOException, SottoException {
    RawClient c = connectFrom(from, port);
    try {
      c.handshake(linkKey);
      return c;
    } catch (IOException | SottoException | RuntimeException e) {
      c.close();
      throw e;
    }
  }

  /** Runs the initiator's side of the handshake (spec: transport.adoc#link-hello); returns the hello it sent. */
  byte[] handshake(byte[] linkKey) throws IOException, SottoException {
    LinkInitiator initiator = LinkInitiator.start(linkKey, Instant.now(), RANDOM);
    byte[] hello = initiator.hello();
    write(hello);
    byte[] accept = new byte[LinkResponder.ACCEPT_LENGTH];
    in.readFully(accept);
    link = initiator.finish(accept);
    return hello;
  }

  /**
   * Reads until {@code length} bytes arrived or the other side closed, whichever is first.
   *
   * @return the bytes that arrived (fewer than {@code length} when it closed)
   * @throws AssertionError if neither happened within {@code timeout}
   */
  byte[] readUpTo(int length, Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    byte[] buffer = new byte[length];
    int n = 0;
    while (n < length) {
      long left = (deadline - System.nanoTime()) / 1_000_000;
      if (left <= 0) {
        throw new AssertionError("neither " + length + " bytes nor a close within " + timeout + " (" + n + " bytes)");
      }
      socket.setSoTimeout((int) left);
      try {
        int r = in.read(buffer, n, length - n);
        if (r < 0) {
          break;
        }
        n += r;
      } catch (SocketTimeoutException e) {
        throw new AssertionError("neither " + length + " bytes nor a close within " + timeout + " (" + n + " bytes)", e);
      } catch (SocketException e) {
        break; // a reset: closed
      }
    }
    return Arrays.copyOf(buffer, n);
  }

  /** Makes the socket's send buffer small: a writer that runs ahead of the node blocks sooner. */
  void sendBuffer(int bytes) throws IOException {
    socket.setSendBufferSize(bytes);
  }

  void write(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  long nextRequestId() {
    return nextRequestId++;
  }

  /** Seals a frame under this link's next sending counter, without sending it. */
  byte[] seal(Frame frame) {
    return link.seal(frame);
  }

  void send(Frame frame) throws IOException {
    write(seal(frame));
  }

  Frame receive() throws IOException, SottoException {
    int classByte = in.read();
    if (classByte < 0) {
      throw new EOFException("link closed");
    }
    byte[] wire = new byte[Link.frameLength(classByte)];
    wire[0] = (byte) classByte;
    in.readFully(wire, 1, wire.length - 1);
    return link.open(wire);
  }

  /** Sends one request and reads its responses, through OK, ERROR or DONE. */
  List<Frame> call(Frame request) throws IOException, SottoException {
    send(request);
    List<Frame> responses = new ArrayList<>();
    while (true) {
      Frame response = receive();
      if (response.requestId() != request.requestId()) {
        throw new IOException("answer to request " + response.requestId() + ", expected " + request.requestId());
      }
      responses.add(response);
      if (response.type() != Frame.ITEM) {
        return responses;
      }
    }
  }

  /** The single answer to a request. */
  Frame callOne(Frame request) throws IOException, SottoException {
    List<Frame> responses = call(request);
    if (responses.size() != 1) {
      throw new IOException("expected one answer, got " + responses);
    }
    return responses.get(0);
  }

  /**
   * Waits for the other side to close the connection, reading and discarding what it sends.
   *
   * @return how many bytes arrived before the close
   * @throws AssertionError if the connection is still open after {@code timeout}
   */
  long awaitClosed(Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    long bytes = 0;
    byte[] buffer = new byte[8192];
    while (true) {
      long left = (deadline - System.nanoTime()) / 1_000_000;
      if (left <= 0) {
        throw new AssertionError("the connection is still open after " + timeout);
      }
      socket.setSoTimeout((int) left);
      try {
        int n = in.read(buffer);
        if (n < 0) {
          return bytes;
        }
        bytes += n;
      } catch (SocketTimeoutException e) {
        throw new AssertionError("the connection is still open after " + timeout, e);
      } catch (SocketException e) {
        // a reset: the other side closed with our bytes unread
        return bytes;
      }
    }
  }

  /**
   * Whether the other side has closed the connection already, without waiting: a read that
   * would block means open.
   */
  boolean closedNow() throws IOException {
    socket.setSoTimeout(1);
    try {
      return in.read() < 0;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (SocketException e) {
      return true;
    }
  }

  @Override
  public void close() {
    if (link != null) {
      link.destroy();
    }
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }

  /** A well-formed 1 KiB envelope under a random tag, with a random body. */
  static Envelope randomEnvelope() throws SottoException {
    return envelopeUnder(RANDOM.bytes(Envelope.TAG_LENGTH));
  }

  /** A well-formed 1 KiB envelope under {@code tag}, with a random body. */
  static Envelope envelopeUnder(byte[] tag) throws SottoException {
    byte[] encoded = RANDOM.bytes(Envelope.BUCKETS.get(0));
    encoded[0] = Envelope.VERSION;
    System.arraycopy(tag, 0, encoded, 1, Envelope.TAG_LENGTH);
    return Envelope.parse(encoded);
  }

  /** The error number of an ERROR frame, or -1 for OK. */
  static int outcome(Frame response) throws SottoException {
    if (response.type() == Frame.OK) {
      return -1;
    }
    if (response.type() == Frame.ERROR) {
      return response.errorNumber();
    }
    throw new AssertionError("not OK or ERROR: " + response);
  }
}
