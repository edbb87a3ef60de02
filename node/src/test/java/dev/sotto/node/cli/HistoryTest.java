package dev.sotto.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.node.Node;
import dev.sotto.node.store.Unseal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** 'history' (both sides, in the order sent, --last) and the retention commands ('config --keep', 'contact keep'). */
class HistoryTest {
  @TempDir Path dir;

  private final Cli cli = new Cli();
  private Path alice;
  private Path bob;

  private static Node.Options fast() {
    return Node.Options.defaults().withFetchInterval(Duration.ofMillis(100));
  }

  private static void await(Callable<Boolean> condition) throws Exception {
    long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!condition.call()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("condition not met");
      }
      Thread.sleep(20);
    }
  }

  /** alice: "one", bob: "two", alice: "three", delivered both ways and read. */
  @BeforeEach
  void aConversation() throws Exception {
    alice = dir.resolve("alice");
    bob = dir.resolve("bob");
    cli.run("--home", alice.toString(), "init", "--name", "alice", "--port", Integer.toString(Cli.freePort())).ok();
    cli.run("--home", bob.toString(), "init", "--name", "bob", "--port", Integer.toString(Cli.freePort())).ok();
    String bobsCard = cli.run("--home", bob.toString(), "card").ok().out().strip();
    cli.run("--home", alice.toString(), "contact", "add", "bob", bobsCard).ok();
    cli.quietlyAdds(bob, "alice", alice);
    try (Node a = Node.open(alice, null, fast()); Node b = Node.open(bob, null, fast())) {
      a.start();
      b.start();
      a.send("bob", "one");
      await(() -> b.contacts().size() == 1 && b.history("alice", -1).stream().anyMatch(m -> m.text().equals("one")));
      Thread.sleep(1100); // sent_at is in seconds: one second apart, the order is the clocks'
      b.send("alice", "two");
      await(() -> a.history("bob", -1).stream().anyMatch(m -> m.text().equals("two")));
      Thread.sleep(1100);
      a.send("bob", "three");
      await(() -> a.outboxSize() == 0 && b.history("alice", -1).stream().anyMatch(m -> m.text().equals("three")));
    }
    cli.run("--home", alice.toString(), "read").ok();
    cli.run("--home", bob.toString(), "read").ok();
  }

  private List<String> history(Path home, String... more) {
    String[] args = new String[3 + more.length];
    args[0] = "--home";
    args[1] = home.toString();
    args[2] = "history";
    System.arraycopy(more, 0, args, 3, more.length);
    return List.of(cli.run(args).ok().out().split("\n"));
  }

  /** Moves every stored message of {@code home} back in time. */
  private static void age(Path home, Duration by) throws Exception {
    Unseal.age(home, by);
  }

  @Test
  void historyShowsBothSidesInTheOrderSent() throws Exception {
    List<String> lines = history(alice, "bob");
    List<String> texts = lines.stream().filter(l -> l.matches("\\[\\d\\d:\\d\\d:\\d\\d] (you|bob): (one|two|three)"))
        .toList();
    assertEquals(3, texts.size(), lines.toString());
    assertTrue(texts.get(0).endsWith("] you: one") && texts.get(1).endsWith("] bob: two")
        && texts.get(2).endsWith("] you: three"), texts.toString());
    List<String> bobs = history(bob, "alice", "--last", "2");
    assertEquals(2, bobs.size(), bobs.toString());
    assertTrue(bobs.get(0).endsWith("] you: two") && bobs.get(1).endsWith("] alice: three"), bobs.toString());

    age(alice, Duration.ofDays(3));
    List<String> old = history(alice, "bob", "--last", "1");
    assertEquals(1, old.size());
    assertTrue(old.get(0).matches("\\[\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d] you: three"), old.toString());

    cli.run("--home", alice.toString(), "history", "carol").failsWith(Failure.BAD_INPUT, "no contact named 'carol'");
    cli.run("--home", alice.toString(), "history", "bob", "--last", "0").failsWith(Failure.BAD_INPUT, "--last");
  }

  @Test
  void retentionCommandsDeleteAndSayHowMany() throws Exception {
    assertTrue(cli.run("--home", alice.toString(), "config").ok().out().contains("Keeps:        off (messages are kept)"));
    assertEquals("Messages are kept: 30d; deleted 0 messages past retention.\n",
        cli.run("--home", alice.toString(), "config", "--keep", "30d").ok().out());
    assertTrue(cli.run("--home", alice.toString(), "config").ok().out().contains("Keeps:        30d"));
    age(alice, Duration.ofDays(2));
    assertEquals("Messages with bob are kept: global (30d)\n",
        cli.run("--home", alice.toString(), "contact", "keep", "bob").ok().out());
    assertEquals("Messages with bob are kept: 36h; deleted 3 messages past retention.\n",
        cli.run("--home", alice.toString(), "contact", "keep", "bob", "36h").ok().out());
    List<String> left = history(alice, "bob");
    assertTrue(left.stream().noneMatch(l -> l.matches(".*(you|bob): (one|two|three)")), left.toString());
    assertEquals("Messages with bob are kept: off (messages are kept); deleted 0 messages past retention.\n",
        cli.run("--home", alice.toString(), "contact", "keep", "bob", "off").ok().out());

    age(bob, Duration.ofDays(2));
    assertEquals("Messages with alice are kept: off (messages are kept); deleted 0 messages past retention.\n",
        cli.run("--home", bob.toString(), "contact", "keep", "alice", "off").ok().out());
    assertEquals("Messages are kept: 1d; deleted 0 messages past retention.\n",
        cli.run("--home", bob.toString(), "config", "--keep", "1d").ok().out(), "the contact's own 'off' wins");
    assertEquals("Messages with alice are kept: global (1d); deleted 3 messages past retention.\n",
        cli.run("--home", bob.toString(), "contact", "keep", "alice", "global").ok().out());

    cli.run("--home", alice.toString(), "config", "--keep", "30").failsWith(Failure.BAD_INPUT, "30d, 12h");
    cli.run("--home", alice.toString(), "config", "--keep", "0d").failsWith(Failure.BAD_INPUT, "30d, 12h");
    cli.run("--home", alice.toString(), "config", "--keep", "global").failsWith(Failure.BAD_INPUT, "30d, 12h");
    cli.run("--home", alice.toString(), "contact", "keep", "carol", "7d").failsWith(Failure.BAD_INPUT,
        "no contact named 'carol'");
  }
}
