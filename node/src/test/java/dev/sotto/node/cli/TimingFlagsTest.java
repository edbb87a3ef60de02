package dev.sotto.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.node.Timing;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** 'sotto run' switches the timing defences (spec: transport.adoc#node-timing); a value out of range is one clear line. */
class TimingFlagsTest {
  @TempDir Path dir;

  private final Cli cli = new Cli();

  @Test
  void valuesOutOfRangeAreRefusedBeforeTheNodeStarts() throws Exception {
    Path home = dir.resolve("alice");
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    cli.run("--home", home.toString(), "init", "--name", "alice", "--port", Integer.toString(port)).ok();
    cli.run("--home", home.toString(), "run", "--send-delay", "-1").failsWith(Failure.BAD_INPUT, "--send-delay");
    cli.run("--home", home.toString(), "run", "--send-delay", "90000").failsWith(Failure.BAD_INPUT, "at most a day");
    cli.run("--home", home.toString(), "run", "--steady-fetch", "--fetch-jitter", "1000")
        .failsWith(Failure.BAD_INPUT, "--fetch-jitter is 0 to 999");
    cli.run("--home", home.toString(), "run", "--cover", "4000").failsWith(Failure.BAD_INPUT, "--cover is 0 to 3600");
    cli.run("--home", home.toString(), "run", "--cover", "-1").failsWith(Failure.BAD_INPUT, "--cover is 0 to 3600");
    cli.run("--home", home.toString(), "run", "--prefix-fetch", "17")
        .failsWith(Failure.BAD_INPUT, "--prefix-fetch is 0 to 16");
    cli.run("--home", home.toString(), "run", "--prefix-fetch", "-2")
        .failsWith(Failure.BAD_INPUT, "--prefix-fetch is 0 to 16");
    assertTrue(cli.run("--home", home.toString(), "run", "--help").ok().out().contains("--steady-fetch"));
  }

  @Test
  void theStartLineSaysWhichDefencesAreOn() {
    assertEquals("", RunCommand.timingShown(Timing.OFF));
    assertEquals("; steady fetching, jitter 500 ms; sender delay up to 60.0 s",
        RunCommand.timingShown(Timing.OFF.withSteadyFetch(Duration.ofMillis(500)).withSendDelay(Duration.ofSeconds(60))));
    assertEquals("; cover loops, 60.0 an hour; padded fetches",
        RunCommand.timingShown(Timing.OFF.withCover(60).withPadFetch(true)));
    assertEquals("; padded fetches; fetches by tag prefixes of 4 bits",
        RunCommand.timingShown(Timing.OFF.withPadFetch(true).withPrefixFetch(4)));
  }
}
