package dev.sotto.internal.encoding;

import dev.sotto.ErrorCode;
import dev.sotto.SottoException;
import dev.sotto.internal.crypto.Ed25519;
import dev.sotto.internal.crypto.MlKem768;
import dev.sotto.internal.crypto.X25519;
import java.util.Arrays;

/**
 * Public keys as Sotto encodes them everywhere (spec: encoding.adoc#public-keys): one type
 * byte, then the key's raw bytes, so that keys of different algorithms never share an
 * encoding (the DH/KEM key-confusion fix).
 */
public final class KeyCodec {
  public static final int TYPE_ED25519 = 0x01;
  public static final int TYPE_X25519 = 0x02;
  public static final int TYPE_ML_KEM_768 = 0x03;

  public static final int ED25519_ENCODED_LENGTH = 1 + Ed25519.PUBLIC_KEY_LENGTH;
  public static final int X25519_ENCODED_LENGTH = 1 + X25519.PUBLIC_KEY_LENGTH;
  public static final int ML_KEM_768_ENCODED_LENGTH = 1 + MlKem768.ENCAPSULATION_KEY_LENGTH;

  /** The canonical encodings of the X25519 points of small order (orders 1, 2, 4, 8, on the curve or its twist). */
  private static final byte[][] X25519_SMALL_ORDER = {
    Bytes.unhex("0000000000000000000000000000000000000000000000000000000000000000"),
    Bytes.unhex("0100000000000000000000000000000000000000000000000000000000000000"),
    Bytes.unhex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"),
    Bytes.unhex("5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157"),
    Bytes.unhex("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
  };

  private KeyCodec() {}

  public static byte[] ed25519(byte[] key) {
    return Bytes.concat(new byte[] {TYPE_ED25519}, key);
  }

  public static byte[] x25519(byte[] key) {
    return Bytes.concat(new byte[] {TYPE_X25519}, key);
  }

  public static byte[] mlKem768(byte[] key) {
    return Bytes.concat(new byte[] {TYPE_ML_KEM_768}, key);
  }

  public static byte[] readEd25519(Reader in, String field) throws SottoException {
    byte[] key = readTyped(in, field, TYPE_ED25519, Ed25519.PUBLIC_KEY_LENGTH);
    if (!Ed25519.isValidPublicKey(key)) {
      throw new SottoException(ErrorCode.INVALID_KEY, "field '" + field + "': not a valid Ed25519 public key");
    }
    return key;
  }

  public static byte[] readX25519(Reader in, String field) throws SottoException {
    byte[] key = readTyped(in, field, TYPE_X25519, X25519.PUBLIC_KEY_LENGTH);
    checkX25519(key, field);
    return key;
  }

  public static byte[] readMlKem768(Reader in, String field) throws SottoException {
    byte[] key = readTyped(in, field, TYPE_ML_KEM_768, MlKem768.ENCAPSULATION_KEY_LENGTH);
    if (!MlKem768.isValidEncapsulationKey(key)) {
      throw new SottoException(ErrorCode.INVALID_KEY, "field '" + field + "': ML-KEM-768 key fails the modulus check");
    }
    return key;
  }

  /** An X25519 public key in a Sotto encoding must be canonical and not of small order. */
  public static void checkX25519(byte[] key, String field) throws SottoException {
    if (!X25519.isCanonical(key)) {
      throw new SottoException(ErrorCode.INVALID_KEY, "field '" + field + "': non-canonical X25519 public key");
    }
    for (byte[] bad : X25519_SMALL_ORDER) {
      if (Arrays.equals(bad, key)) {
        throw new SottoException(ErrorCode.INVALID_KEY, "field '" + field + "': X25519 public key of small order");
      }
    }
  }

  private static byte[] readTyped(Reader in, String field, int type, int length) throws SottoException {
    int offset = in.position();
    int actual = in.u8(field + ".type");
    if (actual != type) {
      throw in.invalid(field + ".type", offset, String.format("key type 0x%02x, expected 0x%02x", actual, type));
    }
    return in.bytes(length, field);
  }
}
