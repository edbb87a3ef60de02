package dev.sotto;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The example of README.adoc, as it stands there: it must compile and work. */
class ReadmeExampleTest {
  @Test
  void theReadmeExampleWorks() throws SottoException {
    Instant now = Instant.now();
    // README begin
    RandomSource random = RandomSource.secure();
    Identity alice = Identity.fromSeed(IdentitySeed.generate(random));
    Identity bob = Identity.fromSeed(IdentitySeed.generate(random));

    // Bob's mailbox, with the link key (an X25519 public key) its operator publishes.
    Address mailbox = Address.mailbox("mailbox.example.org", 7401,
        HexFormat.of().parseHex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"));

    // Bob makes a long-lived card and gives it to Alice out of band (its text form fits a link or a
    // QR code). His responder issues short-lived prekeys for it, which his mailbox serves under
    // card.bundleTag(): a signed bundle, and one-time prekeys that it hands out once each.
    Card bobsCard = Card.builder(bob).validity(now, now.plus(Duration.ofDays(365))).address(mailbox).issue(random);
    Responder bobsResponder = new Responder(bob);
    bobsResponder.addCard(bobsCard);
    PrekeyBundle bundle = bobsResponder.issueBundle(bobsCard, now, now.plus(Duration.ofDays(3)), random);
    List<OneTimePrekey> oneTime = bobsResponder.issueOneTimePrekeys(bobsCard, now.plus(Duration.ofDays(3)), 1, 1, random);

    // Alice reads the card, then the prekeys she fetched, each checked under the card.
    Card card = Card.parseText(bobsCard.text(), now);
    Prekeys prekeys = Prekeys.of(PrekeyBundle.parse(bundle.encoded(), card, now),
        OneTimePrekey.parse(oneTime.get(0).encoded(), card, now), OneTimePrekey.parse(oneTime.get(1).encoded(), card, now));

    // Alice writes first; Bob may be offline. Every envelope is 1, 4, 16 or 64 KiB.
    Session.Started started = Session.initiate(alice, prekeys, now, "Hello Bob".getBytes(UTF_8), random);
    Session.Accepted accepted = Session.accept(bobsResponder, started.envelopes().get(0).encoded(), now, random);
    Session bobsSession = accepted.session();                  // accepted.payload(): "Hello Bob"
    List<Envelope> reply = bobsSession.seal("Hi Alice".getBytes(UTF_8), random);
    byte[] text = started.session().open(reply.get(0).encoded(), random).orElseThrow();
    // README end

    assertEquals("Hello Bob", new String(accepted.payload().orElseThrow(), UTF_8));
    assertEquals("Hi Alice", new String(text, UTF_8));
    assertEquals(List.of(), bobsResponder.oneTimePrekeys(bobsCard), "both one-time prekeys were used");
  }

  /** The lines between the markers above are the README's example, line for line (indentation aside). */
  @Test
  void theReadmeShowsThisExample() throws IOException {
    Path module = Path.of(System.getProperty("basedir", "."));
    List<String> readme = Files.readAllLines(module.resolve("../README.adoc"), UTF_8);
    int start = readme.indexOf("== Using the library");
    int java = readme.subList(start, readme.size()).indexOf("[source,java]") + start;
    int open = readme.subList(java, readme.size()).indexOf("----") + java;
    int close = readme.subList(open + 1, readme.size()).indexOf("----") + open + 1;
    List<String> source = Files.readAllLines(module.resolve("src/test/java/dev/sotto/ReadmeExampleTest.java"), UTF_8);
    int begin = source.indexOf("    // README begin");
    int end = source.indexOf("    // README end");
    List<String> shown = readme.subList(open + 1, close).stream().map(String::strip).toList();
    List<String> tested = source.subList(begin + 1, end).stream().map(String::strip).toList();
    assertEquals(shown, tested);
  }
}
