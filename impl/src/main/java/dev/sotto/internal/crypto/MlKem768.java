package dev.sotto.internal.crypto;

import dev.sotto.internal.encoding.Bytes;
import dev.sotto.ErrorCode;
import dev.sotto.SottoException;
import org.bouncycastle.crypto.SecretWithEncapsulation;
import org.bouncycastle.crypto.kems.MLKEMExtractor;
import org.bouncycastle.crypto.kems.MLKEMGenerator;
import org.bouncycastle.crypto.params.MLKEMParameters;
import org.bouncycastle.crypto.params.MLKEMPrivateKeyParameters;
import org.bouncycastle.crypto.params.MLKEMPublicKeyParameters;

/**
 * ML-KEM-768 (FIPS 203), as suite SOTTO-1 uses it. A decapsulation key is kept as its
 * 64-byte seed d || z (FIPS 203 ML-KEM.KeyGen_internal); encapsulation takes its 32-byte
 * randomness m explicitly. spec: suite.adoc#ml-kem-768
 */
public final class MlKem768 {
  public static final int SEED_LENGTH = 64;
  public static final int ENCAPSULATION_KEY_LENGTH = 1184;
  public static final int CIPHERTEXT_LENGTH = 1088;
  public static final int SHARED_SECRET_LENGTH = 32;
  public static final int ENCAPSULATION_RANDOMNESS_LENGTH = 32;

  private static final int Q = 3329;

  private MlKem768() {}

  /** The encapsulation key of the key pair that ML-KEM.KeyGen_internal(d, z) makes from seed = d || z. */
  public static byte[] encapsulationKey(byte[] seed) {
    Bytes.requireLength(seed, SEED_LENGTH, "ML-KEM seed");
    return new MLKEMPrivateKeyParameters(MLKEMParameters.ml_kem_768, seed).getPublicKey();
  }

  /** The result of an encapsulation: the ciphertext and the shared secret. */
  public record Encapsulation(byte[] ciphertext, byte[] sharedSecret) {}

  /**
   * ML-KEM.Encaps_internal(ek, m), after the encapsulation key check of FIPS 203 section 7.2.
   *
   * @throws SottoException {@link ErrorCode#INVALID_KEY} when {@code ek} fails the check
   */
  public static Encapsulation encapsulate(byte[] encapsulationKey, byte[] m) throws SottoException {
    Bytes.requireLength(m, ENCAPSULATION_RANDOMNESS_LENGTH, "encapsulation randomness");
    if (!isValidEncapsulationKey(encapsulationKey)) {
      throw new SottoException(ErrorCode.INVALID_KEY, "ML-KEM-768 encapsulation key fails the FIPS 203 modulus check");
    }
    MLKEMPublicKeyParameters key = new MLKEMPublicKeyParameters(MLKEMParameters.ml_kem_768, encapsulationKey);
    SecretWithEncapsulation result = MLKEMGenerator.internalGenerateEncapsulated(key, m.clone());
    return new Encapsulation(result.getEncapsulation(), result.getSecret());
  }

  /**
   * ML-KEM.Decaps_internal with the key made from {@code seed}. A ciphertext of the right
   * length never fails: a wrong one yields the implicit-rejection secret.
   */
  public static byte[] decapsulate(byte[] seed, byte[] ciphertext) {
    Bytes.requireLength(seed, SEED_LENGTH, "ML-KEM seed");
    Bytes.requireLength(ciphertext, CIPHERTEXT_LENGTH, "ML-KEM ciphertext");
    MLKEMPrivateKeyParameters key = new MLKEMPrivateKeyParameters(MLKEMParameters.ml_kem_768, seed);
    return new MLKEMExtractor(key).extractSecret(ciphertext);
  }

  /**
   * A decapsulation key expanded from its seed once (ML-KEM.KeyGen_internal), for a key that
   * decapsulates many times, as the responder's signed ML-KEM prekey does: {@link #decapsulate(byte[],
   * byte[])} expands the seed at every call. Its secret never leaves it; {@link #toString()} shows
   * none of it, and it has no value equality.
   */
  public static final class DecapsulationKey {
    private final MLKEMPrivateKeyParameters key;

    private DecapsulationKey(MLKEMPrivateKeyParameters key) {
      this.key = key;
    }

    /** The key that ML-KEM.KeyGen_internal(d, z) makes from seed = d || z. */
    public static DecapsulationKey fromSeed(byte[] seed) {
      Bytes.requireLength(seed, SEED_LENGTH, "ML-KEM seed");
      return new DecapsulationKey(new MLKEMPrivateKeyParameters(MLKEMParameters.ml_kem_768, seed));
    }

    /** Its encapsulation key (1184 bytes). */
    public byte[] encapsulationKey() {
      return key.getPublicKey();
    }

    /** ML-KEM.Decaps_internal, as {@link MlKem768#decapsulate(byte[], byte[])} without expanding a seed. */
    public byte[] decapsulate(byte[] ciphertext) {
      Bytes.requireLength(ciphertext, CIPHERTEXT_LENGTH, "ML-KEM ciphertext");
      return new MLKEMExtractor(key).extractSecret(ciphertext);
    }

    /**
     * Clears the expanded key (Bouncy Castle's {@code destroy}; best effort, as all zeroization in
     * Java); it cannot be used afterwards.
     */
    public void destroy() {
      key.destroy();
    }

    /** Whether {@link #destroy()} was called. */
    public boolean isDestroyed() {
      return key.isDestroyed();
    }

    @Override
    public String toString() {
      return "MlKem768.DecapsulationKey[redacted]";
    }
  }

  /**
   * The encapsulation key check of FIPS 203 section 7.2: the right length, and every one of
   * the 3 x 256 12-bit coefficients of t-hat less than q = 3329 (ByteEncode12(ByteDecode12(x)) = x).
   */
  public static boolean isValidEncapsulationKey(byte[] encapsulationKey) {
    if (encapsulationKey == null || encapsulationKey.length != ENCAPSULATION_KEY_LENGTH) {
      return false;
    }
    int polyBytes = 3 * 256 * 12 / 8;
    for (int i = 0; i < polyBytes; i += 3) {
      int b0 = encapsulationKey[i] & 0xff;
      int b1 = encapsulationKey[i + 1] & 0xff;
      int b2 = encapsulationKey[i + 2] & 0xff;
      int c0 = b0 | ((b1 & 0x0f) << 8);
      int c1 = (b1 >>> 4) | (b2 << 4);
      if (c0 >= Q || c1 >= Q) {
        return false;
      }
    }
    return true;
  }
}
