package dev.sotto.node.tor;

import dev.sotto.node.HostPort;
import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small client of Tor's control protocol (control-spec): authentication (none, or the cookie
 * file), {@code GETINFO}, {@code ADD_ONION} and {@code DEL_ONION}, {@code TAKEOWNERSHIP}. No
 * events are asked for, so every reply answers the last command. Hand-written because no
 * maintained Java library of it is on Maven Central under the project's dependency rules; kept to
 * what the node uses, and tested against a scripted server ({@code TorControlTest}).
 */
public final class TorControl implements Closeable {
  private static final Pattern COOKIE_FILE = Pattern.compile("COOKIEFILE=\"((?:[^\"\\\\]|\\\\.)*)\"");
  private static final Pattern METHODS = Pattern.compile("METHODS=([A-Z,]+)");

  private final Socket socket;
  private final BufferedReader in;
  private final OutputStream out;

  private TorControl(Socket socket) throws IOException {
    this.socket = socket;
    this.in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
    this.out = socket.getOutputStream();
  }

  /** Connects to the control port at {@code at} and authenticates (none, or the cookie that Tor names). */
  public static TorControl open(HostPort at, int timeoutMillis) throws IOException {
    Socket socket = new Socket();
    try {
      socket.connect(new InetSocketAddress(at.host(), at.port()), timeoutMillis);
      socket.setSoTimeout(timeoutMillis);
      TorControl control = new TorControl(socket);
      control.authenticate();
      return control;
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  private void authenticate() throws IOException {
    String info = String.join("\n", command("PROTOCOLINFO 1"));
    Matcher m = METHODS.matcher(info);
    List<String> methods = m.find() ? List.of(m.group(1).split(",")) : List.of();
    if (methods.contains("NULL")) {
      command("AUTHENTICATE");
      return;
    }
    Matcher file = COOKIE_FILE.matcher(info);
    if (!methods.contains("COOKIE") || !file.find()) {
      throw new IOException("Tor's control port asks for " + methods + "; the node authenticates by cookie"
          + " (CookieAuthentication 1) or not at all");
    }
    byte[] cookie = Files.readAllBytes(Path.of(file.group(1).replace("\\\"", "\"").replace("\\\\", "\\")));
    command("AUTHENTICATE " + HexFormat.of().formatHex(cookie));
  }

  /**
   * A reply whose status is not 250: Tor read the command and refused it, and the connection is
   * still in step (the whole reply was read).
   */
  public static final class Refused extends IOException {
    private static final long serialVersionUID = 1L;

    Refused(String message) {
      super(message);
    }
  }

  /** Commands written whose reply has not been read in full (one that timed out is still owed). */
  private int owed;
  /** The connection broke (closed by Tor, or a reply that is not one): no command is sent on it again. */
  private volatile boolean broken;

  /**
   * Sends one command line and reads its reply: the lines' texts after their status and
   * separator (a data block's lines included). A reply still owed for an earlier command that
   * timed out (a slow Tor on a loaded machine) is read and dropped first, so a timeout does not put
   * the connection out of step: it costs only that command.
   *
   * @throws Refused when the reply's status is not 250 (its text in the message)
   * @throws java.net.SocketTimeoutException when Tor has not answered within the timeout; the
   *     connection stays usable
   * @throws IOException when the connection breaks ({@link #isOpen} is false from then on)
   */
  public synchronized List<String> command(String line) throws IOException {
    if (line.indexOf('\r') >= 0 || line.indexOf('\n') >= 0) {
      throw new IllegalArgumentException("a control command is one line");
    }
    if (broken) {
      throw new IOException("Tor's control connection is closed");
    }
    try {
      while (owed > 0) {
        skipReply();
      }
      out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      owed++;
      return reply(line.split(" ", 2)[0]);
    } catch (IOException e) {
      // A late answer (read and dropped before the next command) or a refusal leaves the
      // connection in step; anything else breaks it.
      if (!(e instanceof java.net.SocketTimeoutException) && !(e instanceof Refused)) {
        broken = true;
      }
      throw e;
    }
  }

  /** Whether the connection can still carry commands (it has not broken, nor been closed). */
  public boolean isOpen() {
    return !broken && !socket.isClosed();
  }

  /** Reads one whole reply to {@code verb}; a status other than 250 is thrown once the reply is read. */
  private List<String> reply(String verb) throws IOException {
    List<String> reply = new ArrayList<>();
    String refused = null;
    while (true) {
      String l = in.readLine();
      if (l == null) {
        throw new IOException("Tor closed the control connection");
      }
      if (l.length() < 4) {
        throw new IOException("not a control reply line: " + l);
      }
      String status = l.substring(0, 3);
      char sep = l.charAt(3);
      String text = l.substring(4);
      if (!status.equals("250") && refused == null) {
        refused = "Tor refused " + verb + ": " + status + " " + text;
      }
      reply.add(text);
      if (sep == '+') {
        for (String d = in.readLine(); !".".equals(d); d = in.readLine()) {
          if (d == null) {
            throw new IOException("Tor closed the control connection");
          }
          reply.add(d.startsWith("..") ? d.substring(1) : d);
        }
      } else if (sep == ' ') {
        owed--;
        if (refused != null) {
          throw new Refused(refused);
        }
        return reply;
      }
    }
  }

  /**
   * Reads and drops the rest of a reply owed for a command that timed out, possibly read in part:
   * lines up to its end line ({@code NNN } then text). A data block's lines never have that form
   * (the node reads only service ids and key-value lines in data blocks).
   */
  private void skipReply() throws IOException {
    while (true) {
      String l = in.readLine();
      if (l == null) {
        throw new IOException("Tor closed the control connection");
      }
      if (l.length() >= 4 && l.charAt(3) == ' ' && Character.isDigit(l.charAt(0)) && Character.isDigit(l.charAt(1))
          && Character.isDigit(l.charAt(2))) {
        owed--;
        return;
      }
    }
  }

  /** {@code GETINFO key}: the value Tor gives, without quotes. */
  public String getInfo(String key) throws IOException {
    for (String l : command("GETINFO " + key)) {
      if (l.startsWith(key + "=")) {
        String v = l.substring(key.length() + 1);
        return v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"") ? v.substring(1, v.length() - 1) : v;
      }
    }
    throw new IOException("Tor gave no " + key);
  }

  /**
   * Streams a rendezvous circuit may carry at once (spec: transport.adoc#onion-dos): a client that
   * opens more has its circuit closed. A node opens one link per circuit (each contact and
   * mailbox has circuits of its own), and a link that fails is opened again on the same circuit.
   */
  public static final int MAX_STREAMS = 8;

  /** Whether the last {@link #addOnion} had Tor's proof-of-work defence (false: this Tor has none). */
  private volatile boolean proofOfWork;

  /**
   * Publishes an onion service of {@code keyBlob} ({@code ED25519-V3:...}) whose port
   * {@code virtualPort} leads to {@code target} ({@code 127.0.0.1:PORT}), with the node's defences
   * against floods (spec: transport.adoc#onion-dos): at most {@link #MAX_STREAMS} streams per
   * rendezvous circuit, the circuit closed beyond ({@code MaxStreams}, {@code
   * Flags=MaxStreamsCloseCircuit}), and Tor's proof-of-work defence ({@code PoWDefensesEnabled=1},
   * Tor 0.4.8 and later; a Tor that does not know it is asked again without, and {@link
   * #proofOfWork} says so). Tor forgets the key when the service is removed ({@code
   * Flags=DiscardPK}: nothing is written to Tor's disk). Returns the service id (the onion address
   * without {@code .onion}).
   */
  public String addOnion(String keyBlob, int virtualPort, HostPort target) throws IOException {
    String ports = " Port=" + virtualPort + "," + target.host() + ":" + target.port();
    String base = "ADD_ONION " + keyBlob + " Flags=DiscardPK,MaxStreamsCloseCircuit MaxStreams=" + MAX_STREAMS;
    List<String> reply;
    try {
      reply = command(base + " PoWDefensesEnabled=1" + ports);
      proofOfWork = true;
    } catch (IOException e) {
      if (e.getMessage() == null || !e.getMessage().contains("PoWDefensesEnabled")) {
        throw e;
      }
      reply = command(base + ports); // a Tor before 0.4.8, or built without the defence
      proofOfWork = false;
    }
    for (String l : reply) {
      if (l.startsWith("ServiceID=")) {
        return l.substring("ServiceID=".length());
      }
    }
    throw new IOException("Tor's ADD_ONION reply gave no ServiceID");
  }

  /** Whether the onion service last published has Tor's proof-of-work defence. */
  public boolean proofOfWork() {
    return proofOfWork;
  }

  /** Removes an onion service that this connection added. */
  public void delOnion(String serviceId) throws IOException {
    command("DEL_ONION " + serviceId);
  }

  /** Tor exits when this connection closes (a daemon the node started for itself). */
  public void takeOwnership() throws IOException {
    command("TAKEOWNERSHIP");
  }

  /** Tor's bootstrap progress, 0 to 100 (GETINFO status/bootstrap-phase). */
  public int bootstrapProgress() throws IOException {
    Matcher m = Pattern.compile("PROGRESS=(\\d+)").matcher(getInfo("status/bootstrap-phase"));
    return m.find() ? Integer.parseInt(m.group(1)) : 0;
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
