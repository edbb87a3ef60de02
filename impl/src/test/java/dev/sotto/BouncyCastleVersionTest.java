package dev.sotto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.junit.jupiter.api.Test;

/**
 * The tests run once against the lowest Bouncy Castle release the library supports and once
 * against the newest (impl/pom.xml): this says which one is loaded, so that neither run can
 * silently test the other's.
 */
class BouncyCastleVersionTest {
  @Test
  void theExpectedReleaseIsLoaded() {
    String expected = System.getProperty("sotto.bc.expected");
    assertNotNull(expected, "run by Maven, which says which release it put on the path");
    assertEquals(expected, new BouncyCastleProvider().getVersionStr());
  }
}
