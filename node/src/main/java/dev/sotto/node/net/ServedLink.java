package dev.sotto.node.net;

import dev.sotto.ErrorCode;
import dev.sotto.Frame;
import dev.sotto.Link;
import dev.sotto.LinkInitiator;
import dev.sotto.LinkResponder;
import dev.sotto.SottoException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;

/**
 * One accepted connection, from its first byte to its close (spec: transport.adoc#link-accept,
 * #frames, #requests): the hello, the key exchange, then one request at a time. Its fields are
 * used on the server's event loop only, but for those a worker uses while the link is in its
 * hands ({@link #link}, {@link #state}, the rate bucket), which pass between threads through the
 * executor and the event loop's task queue.
 *
 * <p>The connection never reads on its own (auto-read is off): it asks for bytes when it wants
 * them, so that a peer that sends a flood of requests fills its own socket buffers, not the
 * server's memory.
 */
final class ServedLink extends ChannelInboundHandlerAdapter {
  private enum Phase { HELLO, KEY_EXCHANGE, OPEN, PACED, BUSY, CLOSED }

  /** The longest frame (class 0x03). */
  private static final int MAX_FRAME = Link.FRAME_SIZES.get(Link.FRAME_SIZES.size() - 1);

  private final Server server;
  private final LinkTable table;
  private final InetAddress source;
  private final String name;
  private ChannelHandlerContext ctx;
  private Phase phase = Phase.HELLO;
  /** Bytes read and not yet used: part of a hello or of a frame, or frames sent ahead. */
  private ByteBuf in;
  private Link link;
  private Object state;
  private double tokens;
  private long lastRequest;
  /** The bytes of requests this link may still have read now, and when that was reckoned. */
  private double paceLevel;
  private long paceLast;
  /** The frame at the head of the buffer has its bytes from both paces: read it without asking again. */
  private boolean granted;
  /** The frame waiting in line for the pace of every link together (set by the server). */
  long waitingBytes;
  /** The group of {@link LinkTable} this link is in (null: none), and since when. */
  LinkTable.Group group;
  long since;
  /** The bytes this link has counted in the table's total. */
  long buffered;
  /** Whether the table counts this connection among its links. */
  private boolean admitted;

  ServedLink(Server server, LinkTable table, InetSocketAddress remote) {
    this.server = server;
    this.table = table;
    this.source = remote.getAddress();
    this.name = remote + " -> " + server.name();
    this.tokens = server.limits().burst();
    this.paceLevel = server.limits().linkPace().burst();
    this.paceLast = System.nanoTime();
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    server.add(Server.Counter.ACCEPTED);
    if (server.isClosed() || !table.admit(this)) {
      server.add(Server.Counter.REFUSED_FULL);
      phase = Phase.CLOSED;
      ctx.close();
      return;
    }
    admitted = true;
    table.place(this, table.hello, System.nanoTime());
    ctx.read();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ByteBuf bytes = (ByteBuf) msg;
    if (phase == Phase.CLOSED) {
      bytes.release();
      return;
    }
    if (in == null) {
      in = bytes;
    } else {
      if (in.writableBytes() < bytes.readableBytes()) {
        int want = in.readableBytes() + bytes.readableBytes();
        ByteBuf larger = ctx.alloc().heapBuffer(Math.max(want, Math.min(2 * in.readableBytes(), MAX_FRAME)));
        larger.writeBytes(in);
        in.release();
        in = larger;
      }
      in.writeBytes(bytes);
      bytes.release();
    }
    progress();
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (phase == Phase.HELLO || phase == Phase.OPEN) {
      ctx.read();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    close(null);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    close(null); // the peer reset the connection, or a read failed: nothing to answer
  }

  /** Uses what has been read as far as it goes, then accounts for what is left. */
  private void progress() {
    if (phase == Phase.HELLO) {
      if (in.readableBytes() < LinkInitiator.HELLO_LENGTH) {
        keep();
        return;
      }
      byte[] hello = new byte[LinkInitiator.HELLO_LENGTH];
      in.readBytes(hello);
      keep();
      hello(hello);
      return;
    }
    if (phase != Phase.OPEN) {
      keep(); // a frame sent ahead waits until the link is ready for it
      return;
    }
    if (in == null || !in.isReadable()) {
      keep();
      if (group != table.idle) {
        table.place(this, table.idle, System.nanoTime());
      }
      return;
    }
    int length;
    try {
      length = Link.frameLength(in.getUnsignedByte(in.readerIndex()));
    } catch (SottoException e) {
      close(Server.Counter.LINK_ERRORS); // an undefined frame class
      return;
    }
    if (in.readableBytes() < length) {
      if (group != table.reading) {
        table.place(this, table.reading, System.nanoTime()); // the request's deadline runs from its first byte
      }
      keep();
      return;
    }
    if (!granted && !pace(length)) {
      // Over a pace of request bytes: the frame waits in the buffer, and the peer's next ones in
      // its own socket buffers. The server's choice, so no deadline runs meanwhile.
      server.add(Server.Counter.PACED);
      phase = Phase.PACED;
      table.place(this, null, 0);
      keep();
      return;
    }
    granted = false;
    List<byte[]> wires = new ArrayList<>();
    byte[] wire = new byte[length];
    in.readBytes(wire);
    wires.add(wire);
    // Requests sent ahead and read already go to the worker with this one, as far as the paces
    // give their bytes now without waiting: the handler may commit them together.
    while (wires.size() < TOGETHER && in.isReadable()) {
      int next;
      try {
        next = Link.frameLength(in.getUnsignedByte(in.readerIndex()));
      } catch (SottoException e) {
        break; // its turn closes the link
      }
      if (in.readableBytes() < next || !tryPace(next)) {
        break;
      }
      byte[] more = new byte[next];
      in.readBytes(more);
      wires.add(more);
    }
    keep();
    phase = Phase.BUSY;
    table.place(this, null, 0);
    try {
      server.requests().execute(() -> answer(wires));
    } catch (RejectedExecutionException e) {
      close(Server.Counter.OVERLOADED);
    }
  }

  /** Most requests a worker takes from one link at once (as many as a peer sends ahead: spec: transport.adoc#requests). */
  private static final int TOGETHER = 16;

  /** Takes {@code length} bytes from this link's pace and every link's if both have them now; never waits. */
  private boolean tryPace(int length) {
    long now = System.nanoTime();
    Server.Pace p = server.limits().linkPace();
    if (now - paceLast > 0) {
      paceLevel = Math.min(p.burst(), paceLevel + (now - paceLast) / 1e9 * p.perSecond());
      paceLast = now;
    }
    if (paceLevel <= 0 || !server.tryPace(length)) {
      return false;
    }
    paceLevel -= length;
    return true;
  }

  /**
   * Takes a frame of {@code length} bytes from this link's pace and then every link's: true when it
   * may be read now; else false, and the link is resumed when its own pace has refilled (a timer of
   * its own) or its turn in the server's line has come ({@link #paced}). Opening a frame costs in
   * proportion to its bytes, so a link that sends large requests fast, or many links together, are
   * slowed down rather than served at the others' expense.
   */
  private boolean pace(int length) {
    long now = System.nanoTime();
    Server.Pace p = server.limits().linkPace();
    if (now - paceLast > 0) {
      paceLevel = Math.min(p.burst(), paceLevel + (now - paceLast) / 1e9 * p.perSecond());
      paceLast = now;
    }
    if (paceLevel <= 0) {
      long wait = (long) Math.ceil((1 - paceLevel) / p.perSecond() * 1e9);
      ctx.channel().eventLoop().schedule(() -> {
        if (phase == Phase.PACED) {
          resume();
        }
      }, wait, java.util.concurrent.TimeUnit.NANOSECONDS);
      return false;
    }
    paceLevel -= length;
    if (server.pace(this, length)) {
      return true;
    }
    return false;
  }

  /** The server's line has come to this link: its frame is read now. False if it went away meanwhile. */
  boolean paced() {
    if (phase != Phase.PACED) {
      return false;
    }
    granted = true;
    resume();
    return true;
  }

  private void resume() {
    phase = Phase.OPEN;
    progress();
    if (phase == Phase.OPEN) {
      ctx.read();
    }
  }

  /** Drops the read buffer when it is empty, shrinks it when it is mostly empty, and counts what it holds. */
  private void keep() {
    if (in != null && !in.isReadable()) {
      in.release();
      in = null;
    } else if (in != null && in.capacity() > 2 * in.readableBytes() + 1024) {
      ByteBuf smaller = ctx.alloc().heapBuffer(in.readableBytes());
      smaller.writeBytes(in);
      in.release();
      in = smaller;
    }
    table.buffer(this, in == null ? 0 : in.readableBytes());
  }

  // ---------------------------------------------------------------- the handshake

  /** A complete hello: the checks that cost no public-key operation, the budgets, then the key exchange. */
  private void hello(byte[] hello) {
    if (phase == Phase.CLOSED) {
      return; // closed by keep(): the buffers ran out
    }
    server.tap().seen(name, false, "hello", hello);
    LinkResponder.Hello checked;
    try {
      checked = server.responder().read(hello, server.clock().instant());
    } catch (SottoException e) {
      close(e.code() == ErrorCode.REPLAY ? Server.Counter.REPLAYS : Server.Counter.BAD_HELLOS);
      return;
    }
    if (!server.admit(source)) {
      close(null); // counted by the budget
      return;
    }
    phase = Phase.KEY_EXCHANGE;
    table.place(this, null, 0);
    try {
      server.keyExchanges().execute(() -> {
        LinkResponder.Accepted accepted;
        try {
          accepted = server.responder().accept(checked, server.random());
        } catch (SottoException | RuntimeException e) {
          ctx.channel().eventLoop().execute(() -> close(Server.Counter.BAD_HELLOS)); // AUTH_FAILED, a replay that raced
          return;
        }
        ctx.channel().eventLoop().execute(() -> accepted(accepted));
      });
    } catch (RejectedExecutionException e) {
      close(Server.Counter.OVERLOADED);
    }
  }

  private void accepted(LinkResponder.Accepted accepted) {
    if (phase == Phase.CLOSED) {
      accepted.link().destroy();
      return;
    }
    server.tap().seen(name, true, "accept", accepted.accept());
    link = accepted.link();
    state = server.handler().newLink(source);
    lastRequest = System.nanoTime();
    ctx.writeAndFlush(Unpooled.wrappedBuffer(accepted.accept()));
    server.add(Server.Counter.COMPLETED);
    phase = Phase.OPEN;
    progress();
    if (phase == Phase.OPEN) {
      ctx.read();
    }
  }

  // ---------------------------------------------------------------- requests

  /** On a worker: opens the frames, answers them in order, seals the answers. */
  private void answer(List<byte[]> wires) {
    List<byte[]> sealed = new ArrayList<>();
    try {
      List<Frame> requests = new ArrayList<>();
      for (byte[] wire : wires) {
        server.tap().seen(name, false, "frame", wire);
        Frame request = link.open(wire);
        if (!request.isRequest()) {
          post(null, Server.Counter.LINK_ERRORS); // a response from the initiator
          return;
        }
        requests.add(request);
      }
      long now = System.nanoTime();
      Server.Limits l = server.limits();
      tokens = Math.min(l.burst(), tokens + (now - lastRequest) / 1e9 * l.requestsPerSecond());
      lastRequest = now;
      // The requests the rate allows go to the handler; those after them are refused.
      int allowed = 0;
      while (allowed < requests.size() && tokens >= 1) {
        tokens -= 1;
        allowed++;
      }
      List<List<Frame>> answers;
      try {
        answers = new ArrayList<>(allowed == 0 ? List.of()
            : allowed == 1 ? List.of(server.handler().handle(state, requests.get(0)))
            : server.handler().handleAll(state, requests.subList(0, allowed)));
      } catch (Exception e) {
        post(null, Server.Counter.HANDLER_FAILURES); // the store failed: close this link, serve the others
        return;
      }
      for (Frame refused : requests.subList(allowed, requests.size())) {
        server.add(Server.Counter.RATE_LIMITED);
        answers.add(List.of(Frame.error(refused.requestId(), ErrorCode.LIMIT_EXCEEDED)));
      }
      for (List<Frame> responses : answers) {
        for (Frame response : responses) {
          byte[] frame = link.seal(response);
          server.tap().seen(name, true, "frame", frame);
          sealed.add(frame);
        }
        server.add(Server.Counter.REQUESTS);
      }
    } catch (SottoException e) {
      post(null, Server.Counter.LINK_ERRORS); // a frame that does not open: the counters can no longer be trusted
      return;
    } catch (RuntimeException e) {
      post(null, Server.Counter.HANDLER_FAILURES); // a link whose counter is spent, or a bug: close it
      return;
    }
    post(sealed, null);
  }

  /** Back on the event loop: writes the answers, or closes the link. */
  private void post(List<byte[]> sealed, Server.Counter failure) {
    try {
      ctx.channel().eventLoop().execute(() -> {
        if (sealed == null) {
          close(failure);
        } else {
          write(sealed);
        }
      });
    } catch (RejectedExecutionException e) {
      // the server is closing
    }
  }

  private void write(List<byte[]> sealed) {
    if (phase == Phase.CLOSED) {
      return;
    }
    long bytes = 0;
    ChannelFuture last = null;
    for (byte[] frame : sealed) {
      bytes += frame.length;
      last = ctx.write(Unpooled.wrappedBuffer(frame));
    }
    ctx.flush();
    table.place(this, table.writing, System.nanoTime());
    table.buffer(this, bytes + (in == null ? 0 : in.readableBytes()));
    if (last == null) {
      written();
      return;
    }
    last.addListener(f -> {
      if (!f.isSuccess()) {
        close(null);
      } else {
        written();
      }
    });
  }

  /** The peer took the answers: the next request may come. */
  private void written() {
    if (phase == Phase.CLOSED) {
      return;
    }
    phase = Phase.OPEN;
    table.place(this, null, 0);
    progress();
    if (phase == Phase.OPEN) {
      ctx.read();
    }
  }

  // ---------------------------------------------------------------- closing

  /** Closes the connection once, counting why ({@code null}: counted elsewhere, or the peer's doing). */
  void close(Server.Counter why) {
    if (phase == Phase.CLOSED) {
      return;
    }
    phase = Phase.CLOSED;
    if (why != null) {
      server.add(why);
    }
    if (admitted) {
      table.release(this);
    }
    if (in != null) {
      in.release();
      in = null;
    }
    if (link != null) {
      link.destroy(); // a worker that still holds it fails at its next use, and its answer is dropped
    }
    if (ctx != null) {
      ctx.close();
    }
  }
}
