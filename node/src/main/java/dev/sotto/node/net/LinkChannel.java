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
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * A TCP connection carrying one link (spec: transport.adoc#link-handshake, #frames): the
 * handshake, then frames. Blocking; one thread uses a channel at a time.
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
      socket.connect(new InetSocketAddress(address.host(), address.port()), timeoutMillis);
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

  /** What the server decides between the checks of a {@code LinkHello} and its key exchange. */
  public interface Gate {
    /** Whether this connection may have a key exchange; false closes it at once. */
    boolean admit();
  }

  /** The connection was closed by the {@link Gate} before any public-key operation. */
  public static final class Refused extends IOException {
    Refused() {
      super("over the handshake budget");
    }
  }

  /**
   * Runs the handshake as responder on an accepted socket (spec: transport.adoc#link-accept):
   * reads the hello and checks it at {@code clock}'s time, asks {@code gate}, and only then
   * verifies the proof and answers.
   *
   * @throws SottoException the hello was refused (REPLAY, EXPIRED, AUTH_FAILED, ...)
   * @throws Refused the gate refused it
   */
  public static LinkChannel accept(Socket socket, LinkResponder responder, Clock clock, Gate gate, String localName,
      RandomSource random, WireTap tap) throws IOException, SottoException {
    DataInputStream in = new DataInputStream(socket.getInputStream());
    OutputStream out = new BufferedOutputStream(socket.getOutputStream(), BUFFER);
    String name = socket.getRemoteSocketAddress() + " -> " + localName;
    byte[] hello = new byte[LinkInitiator.HELLO_LENGTH];
    in.readFully(hello);
    tap.seen(name, false, "hello", hello);
    LinkResponder.Hello checked = responder.read(hello, clock.instant());
    if (!gate.admit()) {
      throw new Refused();
    }
    LinkResponder.Accepted accepted = responder.accept(checked, random);
    tap.seen(name, true, "accept", accepted.accept());
    out.write(accepted.accept());
    out.flush();
    return new LinkChannel(socket, in, out, accepted.link(), name, tap);
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
   * Sends a request and reads its responses, up to the one that ends it (OK, ERROR, DONE, or
   * PREKEYS for a GET_PREKEYS). A response to another request, a request from the responder, or
   * a response of a type the request cannot have, is a link error.
   */
  public List<Frame> call(Frame request) throws IOException, SottoException {
    send(request);
    flush();
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
      if (type != Frame.ITEM || request.type() != Frame.FETCH) {
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
