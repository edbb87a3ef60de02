package dev.sotto.node.net;

import dev.sotto.Address;
import dev.sotto.Frame;
import dev.sotto.Link;
import dev.sotto.LinkInitiator;
import dev.sotto.LinkResponder;
import dev.sotto.RandomSource;
import dev.sotto.SottoException;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * A TCP connection carrying one link that this node opened (spec: transport.adoc#link-handshake,
 * #frames): the handshake as initiator, then frames. Blocking; one thread uses a channel at a
 * time. The links other nodes open are served by {@link Server}.
 */
public final class LinkChannel implements Closeable {
  /** Batches small frames (a FETCH answer); a larger frame bypasses it. Kept small: a mailbox holds many idle links. */
  private static final int BUFFER = 8 * 1024;
  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;
  private final Link link;
  private final String name;
  private final WireTap tap;
  private long nextRequestId = 1;

  private LinkChannel(Socket socket, DataInputStream in, OutputStream out, Link link, String name, WireTap tap) {
    this.socket = socket;
    this.in = in;
    this.out = out;
    this.link = link;
    this.name = name;
    this.tap = tap;
  }

  /** Connects to a TCP address of kind peer or mailbox and runs the handshake as initiator, on the system clock. */
  public static LinkChannel connect(Address address, String localName, RandomSource random, int timeoutMillis, WireTap tap)
      throws IOException, SottoException {
    return connect(address, localName, Clock.systemUTC(), random, timeoutMillis, tap);
  }

  /** As {@link #connect(Address, String, RandomSource, int, WireTap)}, the hello's time read from {@code clock}. */
  public static LinkChannel connect(Address address, String localName, Clock clock, RandomSource random,
      int timeoutMillis, WireTap tap) throws IOException, SottoException {
    Socket socket = new Socket();
    try {
      socket.setTcpNoDelay(true);
      dev.sotto.node.Dialer.TCP.dial(socket, address, timeoutMillis); // never an onion name over TCP
      socket.setSoTimeout(timeoutMillis);
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
    return initiate(socket, address, localName, clock, random, tap);
  }

  /**
   * Runs the handshake as initiator on a socket connected to {@code address}, which the caller
   * made (so that it can close it from another thread, for a deadline on the whole handshake:
   * the socket's read timeout bounds each read only). Closes the socket if the handshake fails.
   */
  public static LinkChannel initiate(Socket socket, Address address, String localName, Clock clock, RandomSource random,
      WireTap tap) throws IOException, SottoException {
    try {
      DataInputStream in = new DataInputStream(socket.getInputStream());
      OutputStream out = new BufferedOutputStream(socket.getOutputStream(), BUFFER);
      String name = localName + " -> " + address.host() + ":" + address.port();
      LinkInitiator initiator = LinkInitiator.start(address.linkKey(), clock.instant(), random);
      byte[] hello = initiator.hello();
      tap.seen(name, true, "hello", hello);
      out.write(hello);
      out.flush();
      byte[] accept = new byte[LinkResponder.ACCEPT_LENGTH];
      in.readFully(accept);
      tap.seen(name, false, "accept", accept);
      Link link = initiator.finish(accept);
      return new LinkChannel(socket, in, out, link, name, tap);
    } catch (IOException | SottoException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  /** The connection itself (tests that write to it by hand). */
  Socket socket() {
    return socket;
  }

  public String name() {
    return name;
  }

  public void setTimeout(int millis) throws IOException {
    socket.setSoTimeout(millis);
  }

  /** Seals and sends one frame. */
  public void send(Frame frame) throws IOException {
    byte[] wire = link.seal(frame);
    tap.seen(name, true, "frame", wire);
    out.write(wire);
  }

  public void flush() throws IOException {
    out.flush();
  }

  /**
   * Reads and opens one frame.
   *
   * @throws EOFException when the other side closed the connection
   * @throws SottoException a link error: close the channel
   */
  public Frame receive() throws IOException, SottoException {
    int classByte = in.read();
    if (classByte < 0) {
      throw new EOFException("link closed");
    }
    int length = Link.frameLength(classByte);
    byte[] wire = new byte[length];
    wire[0] = (byte) classByte;
    in.readFully(wire, 1, length - 1);
    tap.seen(name, false, "frame", wire);
    return link.open(wire);
  }

  /**
   * Sends a request and reads its responses, up to the one that ends it (OK, ERROR, DONE,
   * PREKEYS for a GET_PREKEYS, HELD for a BACKUP_KEEP). A response to another request, a request from the responder, or
   * a response of a type the request cannot have, is a link error.
   */
  public List<Frame> call(Frame request) throws IOException, SottoException {
    send(request);
    flush();
    return responsesTo(request);
  }

  /**
   * Sends requests ahead, up to {@link #AHEAD} (spec: transport.adoc#requests), then reads their
   * responses, which come in the order of the requests: the answers of each request in turn.
   */
  public List<List<Frame>> callAll(List<Frame> requests) throws IOException, SottoException {
    if (requests.isEmpty() || requests.size() > AHEAD) {
      throw new IllegalArgumentException("1 to " + AHEAD + " requests at once");
    }
    for (Frame request : requests) {
      send(request);
    }
    flush();
    List<List<Frame>> answers = new ArrayList<>();
    for (Frame request : requests) {
      answers.add(responsesTo(request));
    }
    return answers;
  }

  /** The most requests sent ahead of their responses (spec: transport.adoc#requests). */
  public static final int AHEAD = 16;

  private List<Frame> responsesTo(Frame request) throws IOException, SottoException {
    List<Frame> responses = new ArrayList<>();
    while (true) {
      Frame response = receive();
      if (response.requestId() != request.requestId() || response.isRequest()) {
        throw new IOException("link error: unexpected frame " + response);
      }
      checkResponse(response);
      responses.add(response);
      int type = response.type();
      if (type == Frame.OK || type == Frame.ERROR || type == Frame.DONE) {
        return responses;
      }
      if (type == Frame.PREKEYS) {
        if (request.type() != Frame.GET_PREKEYS) {
          throw new IOException("link error: unexpected frame " + response);
        }
        return responses;
      }
      if (type == Frame.HELD) {
        if (request.type() != Frame.BACKUP_KEEP) {
          throw new IOException("link error: unexpected frame " + response);
        }
        return responses;
      }
      if (type != Frame.ITEM || request.type() != Frame.FETCH && request.type() != Frame.FETCH_GROUP
          && request.type() != Frame.FETCH_PREFIX && request.type() != Frame.BACKUP_GET) {
        throw new IOException("link error: unexpected frame " + response);
      }
    }
  }

  /** A response whose body fails its checks, or of an undefined type, is a link error (spec: transport.adoc#requests). */
  private static void checkResponse(Frame response) throws IOException, SottoException {
    switch (response.type()) {
      case Frame.OK -> {
        if (response.body().length != 0) {
          throw new IOException("link error: an OK with a body");
        }
      }
      case Frame.ERROR -> response.errorNumber();
      case Frame.ITEM -> response.itemEnvelope();
      case Frame.DONE -> response.more();
      case Frame.PREKEYS -> response.prekeyItems();
      case Frame.HELD -> response.heldBody();
      default -> throw new IOException("link error: response type 0x" + Integer.toHexString(response.type()));
    }
  }

  /** The next request id, 1, 2, 3, ... */
  public long nextRequestId() {
    return nextRequestId++;
  }

  public boolean isClosed() {
    return socket.isClosed();
  }

  @Override
  public void close() {
    link.destroy();
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing: nothing left to do
    }
  }
}
