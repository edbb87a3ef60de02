package dev.sotto.node;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.logging.FileHandler;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.StreamHandler;

/**
 * The node's log: {@link System.Logger}, backed by {@code java.util.logging}. Each home has its
 * own logger; a running node writes it to {@code <home>/log/node.0.log}, rotated at
 * {@value #LIMIT_BYTES} bytes over {@value #GENERATIONS} files ({@code node.0.log} the newest), at
 * level INFO: what starts or stops failing, and why; the node's start and stop. With
 * {@code --verbose} the command line also prints it, and each delivery, on standard error.
 *
 * <p>What is logged: times, contacts by their number in the store (never by name), the host and
 * port of addresses (never a key), error codes and reasons. Never a key, a seed, a passphrase or
 * a message's text: callers log only such values, and {@code NodeLogTest} looks for the text and
 * the recovery code in the log of a node that sent and received.
 */
public final class NodeLog {
  /** The parent of every node's logger. */
  static final String ROOT = "sotto";
  static final int LIMIT_BYTES = 1 << 20;
  static final int GENERATIONS = 4;
  static final String DIRECTORY = "log";
  /** The newest log file of a home. */
  public static final String CURRENT = "node.0.log";

  /** Strong references: java.util.logging holds its loggers weakly, and would drop their settings. */
  private static final Logger ROOT_LOGGER = Logger.getLogger(ROOT);
  private static final Map<String, Logger> LOGGERS = new HashMap<>();
  private static final Map<String, FileLog> FILES = new HashMap<>();

  static {
    // Nothing goes to the JDK's console handler: the command line prints its own lines.
    ROOT_LOGGER.setUseParentHandlers(false);
    ROOT_LOGGER.setLevel(Level.INFO);
  }

  private NodeLog() {}

  /** The logger of the node in {@code home}. */
  public static System.Logger of(Path home) {
    String name = loggerName(home);
    synchronized (LOGGERS) {
      LOGGERS.computeIfAbsent(name, Logger::getLogger);
    }
    return System.getLogger(name);
  }

  private static String loggerName(Path home) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256")
          .digest(home.toAbsolutePath().normalize().toString().getBytes(StandardCharsets.UTF_8));
      return ROOT + ".home." + HexFormat.of().formatHex(digest, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The directory of a home's log files. */
  public static Path directory(Path home) {
    return home.resolve(DIRECTORY);
  }

  /** A home's log written to its files while open; opened once per home in a process, however often asked. */
  static final class FileLog implements AutoCloseable {
    private final String name;
    private final FileHandler handler;
    private int users = 1;

    private FileLog(String name, FileHandler handler) {
      this.name = name;
      this.handler = handler;
    }

    @Override
    public void close() {
      synchronized (LOGGERS) {
        if (--users > 0) {
          return;
        }
        FILES.remove(name);
        LOGGERS.get(name).removeHandler(handler);
      }
      handler.close();
    }
  }

  /** Writes the home's log to {@code <home>/log/node.N.log} until closed. */
  static FileLog toFiles(Path home) throws IOException {
    return toFiles(home, LIMIT_BYTES, GENERATIONS);
  }

  static FileLog toFiles(Path home, int limitBytes, int generations) throws IOException {
    String name = loggerName(home);
    synchronized (LOGGERS) {
      FileLog open = FILES.get(name);
      if (open != null) {
        open.users++;
        return open;
      }
      Path dir = directory(home);
      if (!Files.isDirectory(dir)) {
        try {
          Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (UnsupportedOperationException e) {
          Files.createDirectories(dir);
        }
      }
      FileHandler handler = new FileHandler(dir.resolve("node.%g.log").toString(), limitBytes, generations, true);
      handler.setEncoding(StandardCharsets.UTF_8.name());
      handler.setFormatter(new Line(ZoneId.systemDefault(), false));
      handler.setLevel(Level.INFO);
      Logger logger = LOGGERS.computeIfAbsent(name, Logger::getLogger);
      logger.addHandler(handler);
      FileLog log = new FileLog(name, handler);
      FILES.put(name, log);
      return log;
    }
  }

  /**
   * Prints every node's log on {@code err} until closed, from {@code level} up ({@code --verbose}:
   * DEBUG, which adds each delivery and fetch).
   */
  public static AutoCloseable toStream(PrintStream err, System.Logger.Level level) {
    Level jul = switch (level) {
      case ALL, TRACE -> Level.FINEST;
      case DEBUG -> Level.FINE;
      case INFO -> Level.INFO;
      case WARNING -> Level.WARNING;
      case ERROR, OFF -> Level.SEVERE;
    };
    StreamHandler handler = new StreamHandler(new OutputStream() {
      @Override
      public void write(int b) {
        err.write(b);
      }

      @Override
      public void write(byte[] b, int off, int len) {
        err.write(b, off, len);
      }

      @Override
      public void flush() {
        err.flush();
      }
    }, new Line(ZoneId.systemDefault(), true)) {
      @Override
      public synchronized void publish(LogRecord record) {
        super.publish(record);
        flush();
      }
    };
    try {
      handler.setEncoding(StandardCharsets.UTF_8.name());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    handler.setLevel(jul);
    Level before = ROOT_LOGGER.getLevel();
    if (jul.intValue() < before.intValue()) {
      ROOT_LOGGER.setLevel(jul);
    }
    ROOT_LOGGER.addHandler(handler);
    return () -> {
      ROOT_LOGGER.removeHandler(handler);
      ROOT_LOGGER.setLevel(before);
      handler.flush();
    };
  }

  /**
   * The {@link java.util.logging.LogManager} of the command line ({@code java.util.logging.manager}
   * names it before logging starts): it does not close the handlers when the JVM begins to shut
   * down, as the default one does, so that a node stopped by SIGTERM still logs its stop. Its
   * file handlers flush after each record, and close with the node.
   */
  public static final class Manager extends java.util.logging.LogManager {
    public Manager() {}

    @Override
    public void reset() {
      // Called by the JDK at shutdown only (this code never reads a logging configuration).
    }
  }

  /** One line a record: time, level, message; for a stream, {@code sotto:} in front, as the command line's lines. */
  private static final class Line extends Formatter {
    private final DateTimeFormatter format;
    private final boolean prefix;

    Line(ZoneId zone, boolean prefix) {
      this.format = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS").withZone(zone);
      this.prefix = prefix;
    }

    @Override
    public String format(LogRecord record) {
      String level = record.getLevel() == Level.FINE ? "DEBUG" : record.getLevel().getName();
      String message = formatMessage(record).replace('\n', ' ').replace('\r', ' ');
      return (prefix ? "sotto: " : "") + format.format(Instant.ofEpochMilli(record.getMillis())) + " " + level + " "
          + message + System.lineSeparator();
    }
  }
}
