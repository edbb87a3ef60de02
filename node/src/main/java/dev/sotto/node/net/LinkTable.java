package dev.sotto.node.net;

import io.netty.channel.EventLoop;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.concurrent.TimeUnit;

/**
 * The server's links by what they wait for, each group in the order it began waiting, so that the
 * oldest of a group is its first (spec: transport.adoc#mailbox-policy). Used only on the server's
 * event loop: no locks.
 *
 * <p>A deadline is a group's limit counted from when a link joined it; a sweep a few times a second
 * closes the links at the head of each group whose time is up, and looks at no other. A link under
 * the server's own work (a key exchange, a request being answered) is in no group: the server's
 * slowness is never the peer's fault.
 */
final class LinkTable {
  /** Links that wait for one thing, oldest first, with how long they may wait and what a timeout counts as. */
  static final class Group {
    final LinkedHashSet<ServedLink> members = new LinkedHashSet<>();
    final long limitNanos;
    final Server.Counter timeout;

    Group(int limitMillis, Server.Counter timeout) {
      this.limitNanos = TimeUnit.MILLISECONDS.toNanos(limitMillis);
      this.timeout = timeout;
    }

    ServedLink oldest() {
      Iterator<ServedLink> it = members.iterator();
      return it.hasNext() ? it.next() : null;
    }
  }

  private final Server server;
  private final EventLoop loop;
  /** Connections whose LinkHello is not complete yet: from the accept, {@link Server.Limits#handshakeMillis}. */
  final Group hello;
  /** Links in the middle of a request frame: from its first byte, {@link Server.Limits#requestMillis}. */
  final Group reading;
  /** Links whose responses the peer has not taken yet: from the first write, {@link Server.Limits#requestMillis}. */
  final Group writing;
  /** Links with no request under way: from the end of the last, {@link Server.Limits#idleMillis}. */
  final Group idle;
  private int links;
  private long buffered;

  LinkTable(Server server, EventLoop loop) {
    this.server = server;
    this.loop = loop;
    Server.Limits l = server.limits();
    this.hello = new Group(l.handshakeMillis(), Server.Counter.HANDSHAKE_TIMEOUTS);
    this.reading = new Group(l.requestMillis(), Server.Counter.REQUEST_TIMEOUTS);
    this.writing = new Group(l.requestMillis(), Server.Counter.REQUEST_TIMEOUTS);
    this.idle = new Group(l.idleMillis(), Server.Counter.IDLE_CLOSED);
  }

  /** Starts the sweep: a tenth of the shortest deadline, between 10 and 250 ms. */
  void start() {
    Server.Limits l = server.limits();
    long shortest = Math.min(l.handshakeMillis(), Math.min(l.requestMillis(), l.idleMillis()));
    long period = Math.max(10, Math.min(250, shortest / 10));
    loop.scheduleAtFixedRate(this::sweep, period, period, TimeUnit.MILLISECONDS);
  }

  /** Moves a link into a group (or none), its wait beginning {@code now}. */
  void place(ServedLink link, Group group, long now) {
    if (link.group != null) {
      link.group.members.remove(link);
    }
    link.group = group;
    link.since = now;
    if (group != null) {
      group.members.add(link);
    }
  }

  /**
   * Takes a new connection in; when the links have run out, closes the one that has waited
   * longest for its hello, else the one slowest in sending a request, else the one idle longest.
   * False when every link is busy: the newcomer must be closed.
   */
  boolean admit(ServedLink link) {
    if (links >= server.linkCapacity()) {
      ServedLink victim;
      Server.Counter why;
      if ((victim = hello.oldest()) != null) {
        why = Server.Counter.EVICTED_UNAUTHENTICATED;
      } else if ((victim = reading.oldest()) != null) {
        why = Server.Counter.EVICTED_SLOW;
      } else if ((victim = idle.oldest()) != null) {
        why = Server.Counter.EVICTED_IDLE;
      } else {
        return false;
      }
      victim.close(why);
    }
    links++;
    server.open.set(links);
    return true;
  }

  /** A link is gone: out of its group, its buffers no longer counted. */
  void release(ServedLink link) {
    place(link, null, 0);
    buffered -= link.buffered;
    link.buffered = 0;
    links--;
    server.open.set(links);
  }

  /**
   * A link now buffers {@code bytes} (incomplete hello or frame, responses not taken); past the
   * limit in all, the oldest holders are closed: links whose peer does not take their answers
   * first, then links slow in sending a request. {@code link} itself may be among them.
   */
  void buffer(ServedLink link, long bytes) {
    buffered += bytes - link.buffered;
    link.buffered = bytes;
    long max = server.limits().maxBufferedBytes();
    while (buffered > max) {
      // Unfinished hellos hold at most 1,242 bytes each, and links under the server's own work
      // at most one read ahead: neither is closed for it.
      ServedLink victim = writing.oldest();
      if (victim == null) {
        victim = reading.oldest();
      }
      if (victim == null) {
        return;
      }
      victim.close(Server.Counter.EVICTED_BUFFERS);
    }
  }

  private void sweep() {
    long now = System.nanoTime();
    for (Group g : new Group[] {hello, reading, writing, idle}) {
      ServedLink first;
      while ((first = g.oldest()) != null && now - first.since >= g.limitNanos) {
        first.close(g.timeout);
      }
    }
  }
}
