package dev.sotto.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.conformance.harness.Handler;
import dev.sotto.conformance.harness.Interop;
import dev.sotto.conformance.harness.ProcessPeer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The interop runner against the reference adapter, run as a child process, and against broken ones. */
class InteropTest {
  /** The adapter, started the way another implementation would be: a command run by sh -c. */
  static String adapterCommand(String... args) {
    String java = ProcessHandle.current().info().command().orElse("java");
    return "'" + java + "' -cp '" + System.getProperty("java.class.path") + "' dev.sotto.conformance.Main adapter "
        + String.join(" ", args);
  }

  record Run(Interop.Result result, String output) {}

  static Run interop(String command, int conversations) throws IOException {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8);
    try (ProcessPeer tested = new ProcessPeer(command);
        Handler reference = new Handler(Handler.Fault.NONE);
        Handler mirror = new Handler(Handler.Fault.NONE)) {
      Interop.Result result = new Interop(reference, tested, mirror, out).run(7, conversations);
      return new Run(result, buffer.toString(StandardCharsets.UTF_8));
    }
  }

  @Test
  void theReferenceAdapterPassesTheTourAnd500Conversations() throws IOException {
    Run run = interop(adapterCommand(), 500);
    assertEquals(0, run.result().failed(), run.output());
    assertTrue(run.output().strip().endsWith("501 passed, 0 failed"), run.output());
  }

  @Test
  void aWrongLabelIsCaughtAndNamed() throws IOException {
    Run run = interop(adapterCommand("--break", "LABEL"), 10);
    assertEquals(11, run.result().failed(), run.output()); // the tour and every conversation
    assertTrue(run.output().contains("identity.create: field 'fingerprint' differs"), run.output());
  }

  @Test
  void aWrongLengthIsCaughtAndNamed() throws IOException {
    Run run = interop(adapterCommand("--break", "LENGTH"), 10);
    assertTrue(run.result().failed() > 0, run.output());
    assertTrue(run.output().contains("field 'envelopes' differs"), run.output());
  }

  @Test
  void aMissingCheckIsCaughtAndNamed() throws IOException {
    Run run = interop(adapterCommand("--break", "CHECK"), 30);
    assertTrue(run.result().failed() > 0, run.output());
    assertTrue(run.output().contains("expected error AUTH_FAILED, actual success"), run.output());
  }

  @Test
  void anImplementationThatDoesNotAnswerFailsEverything() throws IOException {
    Run run = interop("exit 3", 5);
    assertEquals(6, run.result().failed(), run.output()); // the tour and every conversation
    assertTrue(run.output().contains("the implementation exited"), run.output());
  }
}
