package dev.sotto.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.Card;
import io.nayuki.qrcodegen.QrCode;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QrTest {
  @TempDir Path dir;

  @Test
  void aCardFitsAndReadsBackUpperCased() throws Exception {
    Cli cli = new Cli();
    String home = dir.resolve("me").toString();
    cli.run("--home", home, "init", "--mailbox",
        "mailbox:mailbox.example.org:7401:de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f").ok();
    String card = cli.run("--home", home, "card").ok().out().strip();
    // What a QR reader gives back is the upper-case form: the same card.
    assertEquals(Card.parseText(card, Instant.now()), Card.parseText(card.toUpperCase(), Instant.now()));

    QrCode qr = Qr.encode(card);
    assertTrue(qr.version <= 40);
    List<String> lines = Qr.render(qr, false);
    int width = qr.size + 2 * Qr.QUIET_ZONE;
    assertEquals((width + 1) / 2, lines.size());
    lines.forEach(line -> assertEquals(width, line.length()));
    // Module (0, 0) is the dark corner of a finder pattern: blank by default, drawn when inverted.
    assertEquals(' ', lines.get(Qr.QUIET_ZONE / 2).charAt(Qr.QUIET_ZONE));
    assertEquals('\u2588', lines.get(0).charAt(0), "the quiet zone is light, so drawn");
    assertEquals(' ', Qr.render(qr, true).get(0).charAt(0));

    Cli.Result drawn = cli.run("--home", home, "card", "--qr").ok();
    assertTrue(drawn.out().endsWith(card + "\n"));
    assertTrue(drawn.out().contains("\u2588\u2588\u2588\u2588"));
  }
}
