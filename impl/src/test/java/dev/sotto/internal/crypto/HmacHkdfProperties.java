package dev.sotto.internal.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.params.HKDFParameters;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * {@link Hmac} and {@link Hkdf} (over the JDK's SHA-256) against Bouncy Castle's HMac, SHA256Digest
 * and HKDFBytesGenerator, which they replaced, on random keys (empty, short, exactly a block, longer
 * than a block: hashed first), messages across block edges, and output lengths. Wycheproof's cases
 * run in HmacWycheproofTest and HkdfWycheproofTest.
 */
class HmacHkdfProperties {
  @Property(tries = 300)
  void hmacAgreesWithBouncyCastle(@ForAll @Size(max = 150) byte[] key, @ForAll @Size(max = 300) byte[] a,
      @ForAll @Size(max = 70) byte[] b, @ForAll @IntRange(min = 0, max = 300) int cut) {
    HMac bc = new HMac(new SHA256Digest());
    bc.init(new KeyParameter(key));
    bc.update(a, 0, a.length);
    bc.update(b, 0, b.length);
    byte[] expected = new byte[32];
    bc.doFinal(expected, 0);
    assertArrayEquals(expected, Hmac.sha256(key, a, b), "parts");
    byte[] data = new byte[b.length + 5];
    System.arraycopy(b, 0, data, 3, b.length);
    assertArrayEquals(expected, Hmac.sha256Then(key, data, 3, b.length, a), "prefix, then a slice");

    SHA256Digest digest = new SHA256Digest();
    int split = Math.min(cut, a.length);
    digest.update(a, 0, a.length);
    byte[] hash = new byte[32];
    digest.doFinal(hash, 0);
    assertArrayEquals(hash, Hmac.hash(java.util.Arrays.copyOf(a, split), java.util.Arrays.copyOfRange(a, split, a.length)),
        "SHA-256");
  }

  @Property(tries = 200)
  void hkdfAgreesWithBouncyCastle(@ForAll @Size(max = 80) byte[] salt, @ForAll @Size(max = 80) byte[] ikm,
      @ForAll @Size(max = 40) byte[] info, @ForAll @IntRange(min = 0, max = 300) int length) {
    HKDFBytesGenerator bc = new HKDFBytesGenerator(new SHA256Digest());
    bc.init(new HKDFParameters(ikm, salt.length == 0 ? null : salt, info));
    byte[] expected = new byte[length];
    bc.generateBytes(expected, 0, length);
    assertArrayEquals(expected, Hkdf.derive(salt, ikm, info, length));
  }
}
