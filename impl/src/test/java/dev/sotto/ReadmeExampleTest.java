package dev.sotto;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;

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
    RandomSource random = RandomSource.secure();
    Identity alice = Identity.fromSeed(IdentitySeed.generate(random));
    Identity bob = Identity.fromSeed(IdentitySeed.generate(random));

    Address mailbox = Address.mailbox("mailbox.example.org", 7401,
        HexFormat.of().parseHex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"));

    IssuedCard bobsCard = Card.builder(bob).validity(now, now.plus(Duration.ofDays(30)))
        .signedPrekeyId(1).kemPrekeyId(2).oneTimePrekeyIds(3, 4, 5).kemOneTimePrekeyIds(6)
        .address(mailbox).issue(random);
    Responder bobsPrekeys = new Responder(bob);
    bobsPrekeys.add(bobsCard);
    Card card = Card.parseText(bobsCard.card().text(), now);

    Session.Started started = Session.initiate(alice, card, now, "Hello Bob".getBytes(UTF_8), random);
    Session.Accepted accepted = Session.accept(bobsPrekeys, started.envelopes().get(0).encoded(), now, random);
    Session bobsSession = accepted.session();
    List<Envelope> reply = bobsSession.seal("Hi Alice".getBytes(UTF_8), random);
    byte[] text = started.session().open(reply.get(0).encoded(), random).orElseThrow();

    assertEquals("Hello Bob", new String(accepted.payload().orElseThrow(), UTF_8));
    assertEquals("Hi Alice", new String(text, UTF_8));
  }
}
