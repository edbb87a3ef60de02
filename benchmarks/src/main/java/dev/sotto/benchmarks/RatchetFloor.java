package dev.sotto.benchmarks;

import dev.sotto.RandomSource;
import dev.sotto.SottoException;
import dev.sotto.internal.Labels;
import dev.sotto.internal.crypto.Aead;
import dev.sotto.internal.crypto.Hkdf;
import dev.sotto.internal.crypto.Hmac;
import dev.sotto.internal.crypto.X25519;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.internal.encoding.Writer;
import dev.sotto.internal.ratchet.DoubleRatchet;
import dev.sotto.internal.ratchet.Header;
import dev.sotto.internal.ratchet.Kdf;
import dev.sotto.internal.ratchet.RatchetMessage;
import dev.sotto.internal.ratchet.RatchetState;
import dev.sotto.internal.ratchet.Secret;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The primitive floor of one ratchet message (spec: ratchet.adoc, revision 2), shared by
 * {@link RatchetBenchmark} and {@link EnvelopeBenchmark}: the raw primitive calls that sealing or
 * opening one message must make, on inputs of the same lengths, with no protocol code around them.
 *
 * <p>The inputs are those of real messages: {@link Conversation} runs a ratchet conversation
 * through {@code DoubleRatchet}, recomputes every key with these primitives alone from the
 * conversation's initial values and the ratchet private keys it drew, and checks each floor's
 * output against the protocol's message, byte for byte.
 */
final class RatchetFloor {
  static final byte[] VERSION = {(byte) RatchetMessage.VERSION};
  static final int MESSAGE_KEY_MATERIAL = Aead.KEY_LENGTH + Aead.NONCE_LENGTH;
  static final int ROOT_OUTPUT = 4 * Secret.LENGTH;

  private RatchetFloor() {}

  /** The keys a chain's messages are sealed under: the session's AD (32), the header key, the tag key. */
  record ChainKeys(byte[] ad, byte[] headerKey, byte[] tagKey) {}

  /**
   * What sealing message n of a chain takes: the chain key CKs before the message, the 42-byte
   * header, n as u32 (for the tag), the plaintext, and the body's 103-byte associated data AD ||
   * 0x02 || siv || encrypted_header. That last one depends on the message's synthetic IV, which
   * seal computes; the floor takes it precomputed (concatenation is protocol work), so a floor is
   * set up only from a real message.
   */
  record Outgoing(ChainKeys keys, byte[] chainKey, byte[] header, byte[] number, byte[] bodyAd, byte[] plaintext) {}

  /**
   * What opening message n of a chain takes: the receiver's chain key before it, n as u32 (for
   * the tag the receiver returns), and the message's siv, encrypted header, body AD (as above) and
   * body. The receiver reads the siv from the message and does not recompute it.
   */
  record Incoming(ChainKeys keys, byte[] chainKey, byte[] number, byte[] siv, byte[] encryptedHeader, byte[] bodyAd,
      byte[] body) {}

  /**
   * A DH ratchet step, split as revision 2 splits it: the receiver's half on receipt (one
   * agreement, KDF_RK for the new receiving chain), the sender's half at its next message (its new
   * ratchet key's public half, one agreement, KDF_RK for the new sending chain). Both start from
   * the same root key, the one both sides hold between the two messages.
   */
  record DhStep(byte[] rootKey, byte[] senderPrivate, byte[] receiverPublic, byte[] receiverPrivate,
      byte[] senderPublic) {}

  /** The sender's half: X25519(k, 9), X25519(k, DHr), KDF_RK (HKDF of 128 bytes). Returns the new CKs. */
  static byte[] sendingHalf(DhStep d, Blackhole bh) throws SottoException {
    bh.consume(X25519.publicKey(d.senderPrivate()));
    byte[] okm = Hkdf.derive(d.rootKey(), X25519.agree(d.senderPrivate(), d.receiverPublic()), Labels.RATCHET_ROOT,
        ROOT_OUTPUT);
    return Arrays.copyOfRange(okm, Secret.LENGTH, 2 * Secret.LENGTH);
  }

  /** The receiver's half: X25519(dhs, DHr), KDF_RK (HKDF of 128 bytes). Returns the new CKr. */
  static byte[] receivingHalf(DhStep d, Blackhole bh) throws SottoException {
    byte[] okm = Hkdf.derive(d.rootKey(), X25519.agree(d.receiverPrivate(), d.senderPublic()), Labels.RATCHET_ROOT,
        ROOT_OUTPUT);
    return Arrays.copyOfRange(okm, Secret.LENGTH, 2 * Secret.LENGTH);
  }

  /** SIV(MK, header, plaintext): 2 HMAC, the second over AD || 0x02 || header || plaintext; 12 bytes. */
  static byte[] siv(Outgoing m, byte[] messageKey) {
    byte[] sivKey = Hmac.sha256(messageKey, Labels.RATCHET_SIV);
    return Arrays.copyOf(Hmac.sha256(sivKey, m.keys().ad(), VERSION, m.header(), m.plaintext()), Aead.NONCE_LENGTH);
  }

  /**
   * Sealing one message: [the sender's half of a DH step, if {@code step} is given, which gives the
   * chain key], 2 HMAC (KDF_CK), 2 HMAC (SIV), AEAD seal of the header (nonce siv), 1 HMAC (tag),
   * HKDF 44 (salt siv, 3 HMAC), AEAD seal of the body. Returns the body.
   */
  static byte[] seal(Outgoing m, DhStep step, Blackhole bh) throws SottoException {
    byte[] chainKey = step == null ? m.chainKey() : sendingHalf(step, bh);
    bh.consume(Hmac.sha256(chainKey, Labels.RATCHET_CHAIN_KEY));
    byte[] messageKey = Hmac.sha256(chainKey, Labels.RATCHET_MESSAGE_KEY);
    byte[] siv = siv(m, messageKey);
    bh.consume(Aead.seal(m.keys().headerKey(), siv, m.keys().ad(), m.header()));
    bh.consume(Hmac.sha256(m.keys().tagKey(), Labels.RATCHET_TAG, m.number()));
    byte[] material = Hkdf.derive(siv, messageKey, Labels.RATCHET_MESSAGE, MESSAGE_KEY_MATERIAL);
    return Aead.seal(Arrays.copyOf(material, Aead.KEY_LENGTH),
        Arrays.copyOfRange(material, Aead.KEY_LENGTH, MESSAGE_KEY_MATERIAL), m.bodyAd(), m.plaintext());
  }

  /**
   * Opening one message: AEAD open of the header (nonce siv), [the receiver's half of a DH step, if
   * {@code step} is given, which gives the chain key], 1 HMAC (tag), 2 HMAC (KDF_CK), HKDF 44 (salt
   * siv, 3 HMAC), AEAD open of the body. Returns the plaintext.
   */
  static byte[] open(Incoming m, DhStep step, Blackhole bh) throws SottoException {
    bh.consume(Aead.open(m.keys().headerKey(), m.siv(), m.keys().ad(), m.encryptedHeader()));
    byte[] chainKey = step == null ? m.chainKey() : receivingHalf(step, bh);
    bh.consume(Hmac.sha256(m.keys().tagKey(), Labels.RATCHET_TAG, m.number()));
    bh.consume(Hmac.sha256(chainKey, Labels.RATCHET_CHAIN_KEY));
    byte[] messageKey = Hmac.sha256(chainKey, Labels.RATCHET_MESSAGE_KEY);
    byte[] material = Hkdf.derive(m.siv(), messageKey, Labels.RATCHET_MESSAGE, MESSAGE_KEY_MATERIAL);
    return Aead.open(Arrays.copyOf(material, Aead.KEY_LENGTH),
        Arrays.copyOfRange(material, Aead.KEY_LENGTH, MESSAGE_KEY_MATERIAL), m.bodyAd(), m.body());
  }

  /**
   * A real ratchet conversation between A (initiator) and B, and the floors' inputs taken from it:
   * A sends the given plaintexts in its first sending chain (all chain steps; B receives them in
   * order), then, if {@code dhPlaintext} is not null, B answers once (its new sending chain) and A
   * sends {@code dhPlaintext}, the first message of A's second sending chain: a DH step on both
   * sides. Every key is recomputed with the
   * floor's primitives from the initial values and the ratchet private keys the sides drew, and
   * each floor (seal and open, with and without the DH step) is run on each message and checked
   * against the protocol: the same message key, synthetic IV, encrypted header, tag and body.
   */
  static final class Conversation {
    /** A's first sending chain (B's first receiving chain), message i at index i. */
    final Outgoing[] outgoing;
    final Incoming[] incoming;
    /** The DH-step message, the first of A's second sending chain, and its step (null without {@code dhPlaintext}). */
    final Outgoing dhOutgoing;
    final Incoming dhIncoming;
    final DhStep dhStep;

    Conversation(String label, byte[][] plaintexts, byte[] dhPlaintext) throws SottoException {
      String what = "ratchet floor " + label;
      RandomSource random = Fixtures.random(label);
      byte[] ad = random.bytes(32);
      byte[] sk = random.bytes(Secret.LENGTH);
      byte[] hka = random.bytes(Secret.LENGTH);
      byte[] hkb = random.bytes(Secret.LENGTH);
      byte[] tka = random.bytes(Secret.LENGTH);
      byte[] tkb = random.bytes(Secret.LENGTH);
      byte[] spk = X25519.generatePrivateKey(random);
      List<byte[]> drawn = new ArrayList<>();
      RandomSource recording = out -> {
        random.nextBytes(out);
        drawn.add(out.clone());
      };
      DoubleRatchet.Init init = new DoubleRatchet.Init(ad, new Secret.RootKey(sk.clone()),
          new Secret.HeaderKey(hka.clone()), new Secret.HeaderKey(hkb.clone()), new Secret.TagKey(tka.clone()),
          new Secret.TagKey(tkb.clone()));
      RatchetState a = DoubleRatchet.initiator(init, X25519.publicKey(spk), recording);
      RatchetState b = DoubleRatchet.responder(init, spk);
      Fixtures.check(drawn.size() == 1, what + ": the initiator draws its first ratchet key");
      byte[] a0 = drawn.get(0);

      // A's first chain: KDF_RK(SK, DH(a0, SPK_B)).
      byte[] okm1 = Hkdf.derive(sk, X25519.agree(a0, X25519.publicKey(spk)), Labels.RATCHET_ROOT, ROOT_OUTPUT);
      ChainKeys first = new ChainKeys(ad, hka, tka);
      byte[] chainKey = Arrays.copyOfRange(okm1, 32, 64);
      outgoing = new Outgoing[plaintexts.length];
      incoming = new Incoming[plaintexts.length];
      for (int i = 0; i < plaintexts.length; i++) {
        DoubleRatchet.Sent sent = DoubleRatchet.encrypt(a, plaintexts[i], recording);
        DoubleRatchet.Received received = DoubleRatchet.decrypt(b, sent.message());
        Fixtures.check(Arrays.equals(plaintexts[i], received.plaintext()), what + ": message " + i + " decrypts");
        b = received.next();
        outgoing[i] = new Outgoing(first, chainKey, sent.header(), u32(i), bodyAd(ad, sent.message()), plaintexts[i]);
        incoming[i] = incoming(first, chainKey, i, sent.message());
        check(sent, outgoing[i], incoming[i], null, what + ", message " + i);
        chainKey = Hmac.sha256(chainKey, Labels.RATCHET_CHAIN_KEY);
      }
      Fixtures.check(drawn.size() == 1, what + ": chain steps draw nothing");

      if (dhPlaintext == null) {
        dhOutgoing = null;
        dhIncoming = null;
        dhStep = null;
        return;
      }

      // B answers: the sending half of B's DH step draws b1; KDF_RK(RK1, DH(b1, A0)).
      DoubleRatchet.Sent answer = DoubleRatchet.encrypt(b, plaintexts[0], recording);
      Fixtures.check(drawn.size() == 2, what + ": B's first message draws its ratchet key");
      byte[] b1 = drawn.get(1);
      Fixtures.check(Arrays.equals(X25519.publicKey(b1), Header.parse(answer.header()).ratchetKey()),
          what + ": B's header carries its new ratchet key");
      byte[] okm2 = Hkdf.derive(Arrays.copyOf(okm1, 32), X25519.agree(b1, X25519.publicKey(a0)), Labels.RATCHET_ROOT,
          ROOT_OUTPUT);
      Fixtures.check(Arrays.equals(Hmac.sha256(Arrays.copyOfRange(okm2, 32, 64), Labels.RATCHET_MESSAGE_KEY),
          answer.messageKey().bytes()), what + ": B's new sending chain");
      DoubleRatchet.Received answered = DoubleRatchet.decrypt(a, answer.message());
      a = answered.next();

      // A's next message: the DH step. A's sending half draws a1, KDF_RK(RK2, DH(a1, B1)); B's
      // receiving half computes KDF_RK(RK2, DH(b1, A1)). Header and tag keys: the NHKs and NTKs
      // of A's first KDF_RK.
      DoubleRatchet.Sent dhSent = DoubleRatchet.encrypt(a, dhPlaintext, recording);
      Fixtures.check(drawn.size() == 3, what + ": A's first message after receiving draws its ratchet key");
      byte[] a1 = drawn.get(2);
      dhStep = new DhStep(Arrays.copyOf(okm2, 32), a1, X25519.publicKey(b1), b1, X25519.publicKey(a1));
      Fixtures.check(Arrays.equals(dhStep.senderPublic(), Header.parse(dhSent.header()).ratchetKey()),
          what + ": A's header carries its new ratchet key");
      DoubleRatchet.Received dhReceived = DoubleRatchet.decrypt(b, dhSent.message());
      Fixtures.check(Arrays.equals(dhPlaintext, dhReceived.plaintext()), what + ": the DH-step message decrypts");
      Fixtures.check(dhReceived.openedWith() == DoubleRatchet.Opened.NEXT, what + ": the DH-step message starts a chain");
      ChainKeys next = new ChainKeys(ad, Arrays.copyOfRange(okm1, 64, 96), Arrays.copyOfRange(okm1, 96, 128));
      byte[] dhChainKey = Arrays.copyOfRange(Hkdf.derive(dhStep.rootKey(), X25519.agree(a1, dhStep.receiverPublic()),
          Labels.RATCHET_ROOT, ROOT_OUTPUT), 32, 64);
      dhOutgoing = new Outgoing(next, dhChainKey, dhSent.header(), u32(0), bodyAd(ad, dhSent.message()), dhPlaintext);
      dhIncoming = incoming(next, dhChainKey, 0, dhSent.message());
      check(dhSent, dhOutgoing, dhIncoming, dhStep, what + ", DH step");
    }

    private static Incoming incoming(ChainKeys keys, byte[] chainKey, long n, byte[] message) throws SottoException {
      RatchetMessage m = RatchetMessage.parse(message);
      return new Incoming(keys, chainKey, u32(n), m.siv(), m.encryptedHeader(), bodyAd(keys.ad(), message), m.body());
    }

    /** AD || version || siv || encrypted_header: the message's first 71 bytes after the AD. */
    private static byte[] bodyAd(byte[] ad, byte[] message) throws SottoException {
      return Bytes.concat(ad, RatchetMessage.parse(message).prefix());
    }

    /** The floors give the protocol's values for this message, and their inputs have the protocol's lengths. */
    private static void check(DoubleRatchet.Sent sent, Outgoing out, Incoming in, DhStep step, String what)
        throws SottoException {
      Blackhole bh = blackhole();
      try {
        Fixtures.check(out.header().length == Header.LENGTH && out.bodyAd().length == 103
            && in.encryptedHeader().length == RatchetMessage.ENCRYPTED_HEADER_LENGTH, what + ": lengths");
        if (step != null) {
          Fixtures.check(Arrays.equals(sendingHalf(step, bh), out.chainKey())
              && Arrays.equals(receivingHalf(step, bh), in.chainKey()), what + ": both halves give the new chain key");
        }
        byte[] messageKey = Hmac.sha256(out.chainKey(), Labels.RATCHET_MESSAGE_KEY);
        Fixtures.check(Arrays.equals(messageKey, sent.messageKey().bytes()), what + ": message key");
        byte[] siv = siv(out, messageKey);
        Fixtures.check(Arrays.equals(siv, sent.siv()) && Arrays.equals(siv, in.siv()), what + ": synthetic IV");
        Fixtures.check(Arrays.equals(Aead.seal(out.keys().headerKey(), siv, out.keys().ad(), out.header()),
            in.encryptedHeader()), what + ": encrypted header");
        Fixtures.check(Arrays.equals(Arrays.copyOf(Hmac.sha256(out.keys().tagKey(), Labels.RATCHET_TAG, out.number()),
            Kdf.TAG_LENGTH), sent.tag()), what + ": tag");
        Fixtures.check(Arrays.equals(seal(out, step, bh), in.body()), what + ": the seal floor gives the protocol's body");
        Fixtures.check(Arrays.equals(open(in, step, bh), out.plaintext()), what + ": the open floor opens it");
      } finally {
        evaporate(bh);
      }
    }
  }

  static byte[] u32(long n) {
    return new Writer().u32(n).toByteArray();
  }

  /** A Blackhole for set-up checks outside a benchmark; {@link #evaporate} it after use. */
  static Blackhole blackhole() {
    return new Blackhole("Today's password is swordfish. I understand instantiating Blackholes directly is dangerous.");
  }

  static void evaporate(Blackhole bh) {
    bh.evaporate("Yes, I am Stephen Hawking, and know a thing or two about black holes.");
  }
}
