package dev.sotto.node.tor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Tor bridges for a node's own daemon (spec: transport.adoc#node-tor-mode, bridges): unlisted
 * relays to enter Tor by, where the network blocks Tor's public relays, and pluggable transports
 * ({@code obfs4}, {@code webtunnel}, {@code meek_lite}, {@code snowflake}) that make the
 * connection to them look like something else. A bridge line is the one Tor's {@code Bridge}
 * option takes ({@code [TRANSPORT] IP:PORT [FINGERPRINT] [KEY=VALUE ...]}, as
 * bridges.torproject.org gives them); it goes into a torrc, so it is checked strictly here: one
 * line of printable ASCII, none of Tor's comment, quote or escape characters, a known transport,
 * a literal IP address (never a name: no DNS look-up) and port, and a 40-digit fingerprint when
 * one is given. Errors name the line's position and what is wrong, never the line, which may be a
 * private bridge's address.
 */
public final class Bridges {
  /** Transports the node knows, and the programs that carry them, in the order they are looked for. */
  static final Map<String, List<String>> PROGRAMS = new LinkedHashMap<>();

  static {
    PROGRAMS.put("obfs4", List.of("lyrebird", "obfs4proxy"));
    PROGRAMS.put("meek_lite", List.of("lyrebird", "obfs4proxy"));
    PROGRAMS.put("webtunnel", List.of("lyrebird"));
    PROGRAMS.put("snowflake", List.of("snowflake-client"));
  }

  /** The Debian package to install for a program. */
  private static final Map<String, String> PACKAGES = Map.of("lyrebird", "lyrebird", "obfs4proxy", "obfs4proxy",
      "snowflake-client", "snowflake-client");

  private static final int MAX_LENGTH = 2048;
  private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3}):(\\d{1,5})");
  private static final Pattern IPV6 = Pattern.compile("\\[([0-9A-Fa-f:.]{2,45})\\]:(\\d{1,5})");
  private static final Pattern FINGERPRINT = Pattern.compile("[0-9A-Fa-f]{40}");
  private static final Pattern ARGUMENT = Pattern.compile("[A-Za-z0-9_.-]+=[\\x21-\\x7e&&[^\"'#\\\\]]+");
  private static final Pattern WORD = Pattern.compile("[a-z][a-z0-9_]*");

  private Bridges() {}

  /**
   * Checks a bridge line and returns it with its spaces made single.
   *
   * @param position its place in the list, from 1, for the error
   * @throws IllegalArgumentException what is wrong with it, without the line itself
   */
  public static String check(String line, int position) {
    String at = "bridge " + position + ": ";
    if (line == null || line.isBlank()) {
      throw new IllegalArgumentException(at + "empty");
    }
    if (line.length() > MAX_LENGTH) {
      throw new IllegalArgumentException(at + "longer than " + MAX_LENGTH + " characters");
    }
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c < 0x20 || c > 0x7e || c == '#' || c == '"' || c == '\'' || c == '\\') {
        throw new IllegalArgumentException(at + "one line of printable ASCII, without # \" ' or \\, is expected");
      }
    }
    List<String> tokens = List.of(line.trim().split(" +"));
    int i = 0;
    String transport = null;
    if (WORD.matcher(tokens.get(0)).matches()) {
      transport = tokens.get(0);
      if (!PROGRAMS.containsKey(transport)) {
        throw new IllegalArgumentException(at + "unknown transport (known: " + String.join(", ", PROGRAMS.keySet())
            + ", or none for a plain bridge)");
      }
      i = 1;
    }
    if (i >= tokens.size() || !address(tokens.get(i))) {
      throw new IllegalArgumentException(at + "an IP address and port (1.2.3.4:443 or [2001:db8::1]:443) is expected"
          + (transport == null ? "" : " after the transport") + "; a host name is not taken (it would be looked up)");
    }
    i++;
    if (i < tokens.size() && !tokens.get(i).contains("=")) {
      if (!FINGERPRINT.matcher(tokens.get(i)).matches()) {
        throw new IllegalArgumentException(at + "a fingerprint is 40 hexadecimal digits");
      }
      i++;
    }
    for (; i < tokens.size(); i++) {
      if (!ARGUMENT.matcher(tokens.get(i)).matches()) {
        throw new IllegalArgumentException(at + "arguments after the fingerprint are KEY=VALUE");
      }
      if (transport == null) {
        throw new IllegalArgumentException(at + "KEY=VALUE arguments go with a transport");
      }
    }
    return String.join(" ", tokens);
  }

  /** The transport of a checked line, if it has one. */
  static Optional<String> transport(String checked) {
    String first = checked.split(" ", 2)[0];
    return PROGRAMS.containsKey(first) ? Optional.of(first) : Optional.empty();
  }

  private static boolean address(String token) {
    var v4 = IPV4.matcher(token);
    if (v4.matches()) {
      for (int g = 1; g <= 4; g++) {
        if (Integer.parseInt(v4.group(g)) > 255) {
          return false;
        }
      }
      return port(v4.group(5));
    }
    var v6 = IPV6.matcher(token);
    return v6.matches() && v6.group(1).contains(":") && port(v6.group(2));
  }

  private static boolean port(String digits) {
    int p = Integer.parseInt(digits);
    return p >= 1 && p <= 65535;
  }

  /**
   * The torrc lines for {@code bridges} (checked lines): {@code UseBridges 1}, a {@code Bridge}
   * line each, and a {@code ClientTransportPlugin} line for each program their transports need,
   * found by {@code find} (a program's name to its path, or null when it is not installed). None
   * for no bridges.
   *
   * @throws IOException when a transport's program is not installed (the message says which
   *     Debian package to install)
   */
  static List<String> torrcLines(List<String> bridges, Function<String, Path> find) throws IOException {
    List<String> lines = new ArrayList<>();
    if (bridges.isEmpty()) {
      return lines;
    }
    lines.add("UseBridges 1");
    Map<Path, List<String>> plugins = new LinkedHashMap<>();
    for (String b : bridges) {
      lines.add("Bridge " + b);
      Optional<String> t = transport(b);
      if (t.isEmpty()) {
        continue;
      }
      Path program = null;
      for (String name : PROGRAMS.get(t.get())) {
        program = find.apply(name);
        if (program != null) {
          break;
        }
      }
      if (program == null) {
        String first = PROGRAMS.get(t.get()).get(0);
        throw new IOException("bridges of the " + t.get() + " transport need " + String.join(" or ", PROGRAMS.get(t.get()))
            + " (Debian: apt-get install " + PACKAGES.get(first) + ")");
      }
      List<String> carried = plugins.computeIfAbsent(program, p -> new ArrayList<>());
      if (!carried.contains(t.get())) {
        carried.add(t.get());
      }
    }
    plugins.forEach((program, transports) -> lines.add("ClientTransportPlugin " + String.join(",", transports)
        + " exec " + program.toAbsolutePath()));
    return lines;
  }

  /** A program on the PATH (or in /usr/bin), or null. */
  static Path onPath(String name) {
    List<String> dirs = new ArrayList<>();
    String path = System.getenv("PATH");
    if (path != null) {
      dirs.addAll(List.of(path.split(java.io.File.pathSeparator)));
    }
    dirs.add("/usr/bin");
    for (String d : dirs) {
      if (d.isEmpty()) {
        continue;
      }
      Path p = Path.of(d, name);
      if (Files.isExecutable(p) && !Files.isDirectory(p)) {
        return p;
      }
    }
    return null;
  }

  /** For messages: how many bridges, and of which transports (never the lines). */
  public static String summary(List<String> bridges) {
    if (bridges.isEmpty()) {
      return "no bridges";
    }
    Map<String, Integer> kinds = new LinkedHashMap<>();
    for (String b : bridges) {
      kinds.merge(transport(b).orElse("plain"), 1, Integer::sum);
    }
    List<String> parts = new ArrayList<>();
    kinds.forEach((k, n) -> parts.add(n + " " + k));
    return bridges.size() + (bridges.size() == 1 ? " bridge (" : " bridges (") + String.join(", ", parts) + ")";
  }
}
