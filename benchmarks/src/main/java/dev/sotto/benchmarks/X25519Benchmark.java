package dev.sotto.benchmarks;

import dev.sotto.RandomSource;
import dev.sotto.SottoException;
import dev.sotto.internal.crypto.X25519;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.NamedParameterSpec;
import java.security.spec.XECPrivateKeySpec;
import java.security.spec.XECPublicKeySpec;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import javax.crypto.KeyAgreement;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Sotto's X25519 beside Bouncy Castle's (which it replaced) and the JDK's own ({@code
 * KeyAgreement "X25519"}, SunEC), in one run, on the same keys; {@code @Setup} checks that the
 * three agree. Compare them as ratios within one run.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@State(Scope.Benchmark)
public class X25519Benchmark {
  byte[] privateKey;
  byte[] peerPublic;

  KeyAgreement jdkAgreement;
  PrivateKey jdkPrivate;
  PublicKey jdkPeerPublic;
  PublicKey jdkBasePoint;

  @Setup
  public void setUp() throws SottoException, GeneralSecurityException {
    RandomSource random = Fixtures.random("x25519");
    privateKey = X25519.generatePrivateKey(random);
    peerPublic = X25519.publicKey(X25519.generatePrivateKey(random));

    KeyFactory factory = KeyFactory.getInstance("X25519");
    jdkPrivate = factory.generatePrivate(new XECPrivateKeySpec(NamedParameterSpec.X25519, privateKey));
    byte[] bigEndian = peerPublic.clone();
    for (int i = 0; i < 16; i++) {
      byte t = bigEndian[i];
      bigEndian[i] = bigEndian[31 - i];
      bigEndian[31 - i] = t;
    }
    jdkPeerPublic = factory.generatePublic(new XECPublicKeySpec(NamedParameterSpec.X25519, new BigInteger(1, bigEndian)));
    jdkBasePoint = factory.generatePublic(new XECPublicKeySpec(NamedParameterSpec.X25519, BigInteger.valueOf(9)));
    jdkAgreement = KeyAgreement.getInstance("X25519");

    byte[] sotto = sottoAgree();
    Fixtures.check(Arrays.equals(sotto, bouncyCastleAgree()), "Sotto's and Bouncy Castle's agreements agree");
    Fixtures.check(Arrays.equals(sotto, jdkAgree()), "Sotto's and the JDK's agreements agree");
    Fixtures.check(Arrays.equals(sottoPublicKey(), bouncyCastlePublicKey()), "the public keys agree");
    Fixtures.check(Arrays.equals(sottoPublicKey(), jdkPublicKey()), "Sotto's and the JDK's public keys agree");
  }

  /** X25519(k, u) with the all-zero check: what Sotto runs. */
  @Benchmark
  public byte[] sottoAgree() throws SottoException {
    return X25519.agree(privateKey, peerPublic);
  }

  /** Bouncy Castle's X25519(k, u) with its all-zero check (what Sotto used before). */
  @Benchmark
  public byte[] bouncyCastleAgree() {
    byte[] out = new byte[32];
    if (!org.bouncycastle.math.ec.rfc7748.X25519.calculateAgreement(privateKey, 0, peerPublic, 0, out, 0)) {
      throw new IllegalStateException("all-zero shared secret");
    }
    return out;
  }

  /** The JDK's XDH (SunEC): init, doPhase and generateSecret on keys made once. */
  @Benchmark
  public byte[] jdkAgree() throws GeneralSecurityException {
    jdkAgreement.init(jdkPrivate);
    jdkAgreement.doPhase(jdkPeerPublic, true);
    return jdkAgreement.generateSecret();
  }

  /** X25519(k, 9): Sotto computes it with a fixed-base table on Edwards25519 ({@code X25519Base}). */
  @Benchmark
  public byte[] sottoPublicKey() {
    return X25519.publicKey(privateKey);
  }

  /** Bouncy Castle's X25519(k, 9), through its Ed25519 fixed-base table. */
  @Benchmark
  public byte[] bouncyCastlePublicKey() {
    byte[] out = new byte[32];
    org.bouncycastle.math.ec.rfc7748.X25519.scalarMultBase(privateKey, 0, out, 0);
    return out;
  }

  /**
   * The JDK's X25519(k, 9): an agreement with u = 9 (init, doPhase, generateSecret). SunEC has no
   * fixed-base path: its key pair generator runs the same ladder on u = 9.
   */
  @Benchmark
  public byte[] jdkPublicKey() throws GeneralSecurityException {
    jdkAgreement.init(jdkPrivate);
    jdkAgreement.doPhase(jdkBasePoint, true);
    return jdkAgreement.generateSecret();
  }
}
