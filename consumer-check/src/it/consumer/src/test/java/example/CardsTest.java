package example;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sotto.Card;
import dev.sotto.IdentitySeed;
import dev.sotto.RandomSource;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class CardsTest {
  @Test
  void aCardReadsBackAsItsIdentitysCard() throws Exception {
    IdentitySeed seed = IdentitySeed.generate(RandomSource.secure());
    Instant now = Instant.ofEpochSecond(1_800_000_000L);
    Card card = Cards.issue(seed, now);
    Card read = Card.parse(card.encoded(), now);
    assertEquals(card.identity(), read.identity());
  }
}
