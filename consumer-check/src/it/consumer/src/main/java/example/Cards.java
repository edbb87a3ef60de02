package example;

import dev.sotto.Card;
import dev.sotto.Identity;
import dev.sotto.IdentitySeed;
import dev.sotto.RandomSource;
import java.time.Instant;

/** What an application does first: an identity from its seed, and a card for a contact. */
public final class Cards {
  private Cards() {}

  public static Card issue(IdentitySeed seed, Instant now) {
    Identity identity = Identity.fromSeed(seed);
    return Card.builder(identity).validity(now, now.plusSeconds(30L * 86_400)).issue(RandomSource.secure());
  }
}
