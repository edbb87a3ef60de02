package dev.sotto.node.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * {@code <home>/node.lock}: held, with an operating-system file lock, by the one process that
 * runs a home's node as a peer ({@code run}, or {@code chat} when nothing else runs it). Other
 * processes only queue and read through the store, and ask the lock whether anyone delivers.
 * The lock goes with its process, however that process ends.
 */
final class NodeLock implements AutoCloseable {
  static final String FILE_NAME = "node.lock";

  private final FileChannel channel;
  private final FileLock lock;

  private NodeLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /** Takes the lock, or returns null if another process (or this one) holds it. */
  static NodeLock tryTake(Path home) throws IOException {
    FileChannel channel = FileChannel.open(home.resolve(FILE_NAME), StandardOpenOption.CREATE, StandardOpenOption.READ,
        StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null;
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
    if (lock == null) {
      channel.close();
      return null;
    }
    // The holder's process id, for the message another process shows.
    channel.truncate(0);
    channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
    return new NodeLock(channel, lock);
  }

  /** Whether some process holds the lock: whether a node runs for this home. */
  static boolean isHeld(Path home) throws IOException {
    if (!Files.exists(home.resolve(FILE_NAME))) {
      return false;
    }
    try (NodeLock mine = tryTake(home)) {
      return mine == null;
    }
  }

  /** The process id the holder wrote, or "?" . */
  static String holder(Path home) {
    try {
      String pid = Files.readString(home.resolve(FILE_NAME), StandardCharsets.US_ASCII).strip();
      return pid.matches("[0-9]{1,12}") ? pid : "?";
    } catch (IOException e) {
      return "?";
    }
  }

  @Override
  public void close() throws IOException {
    try {
      lock.release();
    } finally {
      channel.close();
    }
  }
}
