package dev.sotto;

import dev.sotto.internal.encoding.Reader;
import dev.sotto.internal.encoding.Writer;
import dev.sotto.internal.envelope.Content;
import dev.sotto.internal.ratchet.DoubleRatchet;
import dev.sotto.internal.ratchet.RatchetMessage;
import dev.sotto.internal.ratchet.RatchetState;
import java.io.ByteArrayOutputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A conversation with one peer, over all layers (spec: envelope.adoc#session): the handshake, the
 * ratchet and the envelope. An application seals plaintexts into envelopes, opens envelopes into
 * plaintexts, and learns which mailbox tags to watch; it never sees a ratchet header or a DH key.
 *
 * <p>{@link #open} is transactional: an envelope that is rejected leaves the session exactly as it
 * was. The session serialises to a versioned byte format; it holds every secret of the
 * conversation, so store it encrypted.
 */
public final class Session {
  /** How many future messages of each receiving chain a session watches for (spec: envelope.adoc#tags). */
  public static final int TAG_WINDOW = 32;
  /** At most this many chunked payloads are reassembled at once; the oldest incomplete one is dropped. */
  public static final int MAX_PENDING_PAYLOADS = 4;
  /**
   * The incomplete chunked payloads hold at most this many bytes of data in all (2^24, more than
   * the largest payload of 256 chunks); beyond, the oldest other pending payload is dropped.
   */
  public static final int MAX_PENDING_BYTES = 1 << 24;
  public static final int STATE_VERSION = 0x02;

  /** First-contact envelope overhead before the ratchet plaintext: header, handshake fields, AEAD tags. */
  private static final int FIRST_CONTACT_OVERHEAD = Envelope.HEADER_LENGTH + 1229 + 16 + RatchetMessage.OVERHEAD;
  private static final int SESSION_OVERHEAD = Envelope.HEADER_LENGTH + RatchetMessage.OVERHEAD;

  private final PublicIdentity peer;
  private RatchetState ratchet;
  /** The tags {@link #tags} computed last: the next call computes only those that are new. */
  private final DoubleRatchet.TagMemo tagMemo = new DoubleRatchet.TagMemo();
  private long nextPayloadId;
  private LinkedHashMap<Long, Pending> pending;
  /** The initiator's first-contact envelope, sent again until the peer answers; null once it has. */
  private byte[] firstContact;

  /** The chunks received so far of one payload. */
  private record Pending(int count, TreeMap<Integer, byte[]> chunks) {
    Pending copy() {
      return new Pending(count, new TreeMap<>(chunks));
    }

    long bytes() {
      long total = 0;
      for (byte[] data : chunks.values()) {
        total += data.length;
      }
      return total;
    }
  }

  private Session(PublicIdentity peer, RatchetState ratchet, long nextPayloadId, LinkedHashMap<Long, Pending> pending,
      byte[] firstContact) {
    this.peer = peer;
    this.ratchet = ratchet;
    this.nextPayloadId = nextPayloadId;
    this.pending = pending;
    this.firstContact = firstContact;
  }

  /** The other side, authenticated by the handshake. */
  public PublicIdentity peer() {
    return peer;
  }

  // ------------------------------------------------------------------ starting

  /** A new session with the envelopes that carry its first payload; the first one carries the handshake. */
  public record Started(Session session, List<Envelope> envelopes) {}

  /**
   * Starts a conversation with the owner of the card of {@code prekeys} (spec:
   * envelope.adoc#first-contact) and seals {@code plaintext} as its first payload. Draws from
   * {@code random}, in this order: the handshake's ephemeral key and KEM randomness (see
   * {@link Initiator#start}), the ratchet's first key. Sealing itself draws nothing (the nonces are
   * synthetic).
   *
   * @throws SottoException EXPIRED when the card, the bundle or a one-time prekey has expired at
   *     {@code now}
   */
  public static Started initiate(Identity me, Prekeys prekeys, Instant now, byte[] plaintext, RandomSource random)
      throws SottoException {
    Card card = prekeys.card();
    Objects.requireNonNull(plaintext, "plaintext");
    boolean usesOpk = prekeys.oneTimePrekey().isPresent();
    int largest = Envelope.BUCKETS.get(Envelope.BUCKETS.size() - 1);
    long most = (largest - FIRST_CONTACT_OVERHEAD - (usesOpk ? 4 : 0) - Content.CHUNK_OVERHEAD)
        + (long) (Content.MAX_CHUNKS - 1) * (largest - SESSION_OVERHEAD - Content.CHUNK_OVERHEAD);
    if (plaintext.length > most) { // refused before anything is drawn (spec: envelope.adoc, the largest payload)
      throw new IllegalArgumentException("a first payload is at most " + most + " bytes");
    }
    List<Envelope> rest = new ArrayList<>();
    Session[] session = new Session[1];
    FirstContact fc = Initiator.to(me, prekeys).start(now, (secrets, withOneTimePrekey) -> {
      RatchetState state = DoubleRatchet.initiator(secrets.ratchetInit(), secrets.responderRatchetPublic(), random);
      session[0] = new Session(card.identity(), state, 0, new LinkedHashMap<>(), null);
      int firstOverhead = FIRST_CONTACT_OVERHEAD + (withOneTimePrekey ? 4 : 0);
      List<Piece> pieces = session[0].plan(plaintext, firstOverhead);
      byte[] first = null;
      for (Piece piece : pieces) {
        DoubleRatchet.Sent sent = DoubleRatchet.encrypt(state, piece.padded(plaintext), random);
        if (first == null) {
          first = sent.message();
        } else {
          rest.add(Envelope.of(sent.tag(), sent.message()));
        }
      }
      return first;
    }, random);
    List<Envelope> envelopes = new ArrayList<>();
    envelopes.add(Envelope.of(card.inviteTag(), fc.message()));
    envelopes.addAll(rest);
    session[0].firstContact = envelopes.get(0).encoded();
    return new Started(session[0], envelopes);
  }

  /** A session accepted from a first-contact envelope, and its first payload if it is complete. */
  public record Accepted(Session session, Optional<byte[]> payload) {}

  /**
   * Accepts a first-contact envelope for one of {@code responder}'s cards (spec:
   * envelope.adoc#first-contact). First deletes what has expired at {@code now}
   * ({@link Responder#expire}), whatever the envelope. Otherwise transactional for the responder
   * too: if anything fails, no one-time prekey is used up and no replay entry is made.
   *
   * @throws SottoException the envelope's errors; UNKNOWN_TAG when the tag is no held card's invite
   *     tag; the handshake's errors (spec: handshake.adoc#responder); the ratchet's and the
   *     content's errors for the first message
   */
  public static Accepted accept(Responder responder, byte[] envelope, Instant now, RandomSource random)
      throws SottoException {
    // Step 0 of the responder comes first, whatever the envelope (spec: handshake.adoc#responder):
    // what expired at now is deleted even when the envelope is malformed or under an unknown tag.
    responder.expire(now);
    Envelope e = Envelope.parse(envelope);
    if (!responder.holdsInviteTag(e.tag())) {
      throw new SottoException(ErrorCode.UNKNOWN_TAG, "no held card has this invite tag");
    }
    return responder.accept(e.body(), now, e.tag(), accepted -> {
      SessionSecrets secrets = accepted.secrets();
      RatchetState initial = DoubleRatchet.responder(secrets.ratchetInit(), secrets.responderRatchetPrivate());
      DoubleRatchet.Received received = DoubleRatchet.decrypt(initial, accepted.payload());
      LinkedHashMap<Long, Pending> pending = new LinkedHashMap<>();
      Optional<byte[]> payload = collect(Content.parse(received.plaintext()), pending);
      return new Accepted(new Session(accepted.peer(), received.next(), 0, pending, null), payload);
    });
  }

  // ------------------------------------------------------------------ sealing

  /**
   * One envelope's worth of content: {@code length} bytes of the payload from {@code from}, as a
   * whole payload or a chunk, padded to {@code size} bytes (its bucket's content size).
   */
  private record Piece(int kind, long payloadId, int index, int count, int from, int length, int size) {
    byte[] padded(byte[] payload) {
      byte[] out = new byte[size];
      writeInto(payload, out, 0);
      return out;
    }

    void writeInto(byte[] payload, byte[] out, int offset) {
      Content.encodeInto(kind, payloadId, index, count, payload, from, length, out, offset, size);
    }
  }

  /**
   * Cuts {@code plaintext} into pieces: one whole content in the smallest bucket it fits, or chunks
   * of 64 KiB envelopes (spec: envelope.adoc#chunking). {@code firstOverhead} is the first
   * envelope's overhead (larger for a first contact).
   */
  private List<Piece> plan(byte[] plaintext, int firstOverhead) {
    int largest = Envelope.BUCKETS.get(Envelope.BUCKETS.size() - 1);
    List<Piece> pieces = new ArrayList<>();
    if (Content.WHOLE_OVERHEAD + plaintext.length <= largest - firstOverhead) {
      for (int bucket : Envelope.BUCKETS) {
        int size = bucket - firstOverhead;
        if (size >= Content.WHOLE_OVERHEAD + plaintext.length) {
          pieces.add(new Piece(Content.KIND_WHOLE, 0, 0, 1, 0, plaintext.length, size));
          return pieces;
        }
      }
    }
    int firstCapacity = largest - firstOverhead - Content.CHUNK_OVERHEAD;
    int capacity = largest - SESSION_OVERHEAD - Content.CHUNK_OVERHEAD;
    long count = 1 + (Math.max(0, plaintext.length - firstCapacity) + capacity - 1) / capacity;
    if (count > Content.MAX_CHUNKS) {
      throw new IllegalArgumentException("a payload of " + plaintext.length + " bytes needs more than "
          + Content.MAX_CHUNKS + " envelopes");
    }
    long id = nextPayloadId;
    nextPayloadId = (nextPayloadId + 1) & 0xffffffffL;
    int offset = 0;
    for (int i = 0; i < count; i++) {
      int overhead = i == 0 ? firstOverhead : SESSION_OVERHEAD;
      int take = Math.min(plaintext.length - offset, i == 0 ? firstCapacity : capacity);
      pieces.add(new Piece(Content.KIND_CHUNK, id, i, (int) count, offset, take, largest - overhead));
      offset += take;
    }
    return pieces;
  }

  /**
   * Seals {@code plaintext} into envelopes, each under the mailbox tag of its message. While an
   * initiator's session is unanswered (it has opened nothing yet), the first-contact envelope is
   * returned again before every message whose number is an anchor (a multiple of 32, or 999), in
   * case the first was lost (the peer refuses the copies it has seen as replays). Draws 32
   * bytes (a new ratchet key) only when this is the first payload since a new receiving chain
   * began; otherwise nothing. All or nothing: a payload that does not fit the sending chain (at
   * most 1,000 messages without an answer) seals no envelope and changes nothing.
   *
   * @throws SottoException LIMIT_EXCEEDED when the sending chain cannot take the whole payload:
   *     the peer has not answered for 1,000 messages, and the session must be reset (a new first
   *     contact)
   * @throws IllegalStateException when this side cannot send yet (a responder's session always can;
   *     see {@link Ratchet#encrypt})
   * @throws IllegalArgumentException when the payload needs more than 256 envelopes
   */
  public synchronized List<Envelope> seal(byte[] plaintext, RandomSource random) throws SottoException {
    Objects.requireNonNull(plaintext, "plaintext");
    long savedId = nextPayloadId;
    RatchetState working = ratchet.copy();
    try {
      List<Envelope> out = new ArrayList<>();
      for (Piece piece : plan(plaintext, SESSION_OVERHEAD)) {
        // Sealed where it will travel: the content is written once, into the envelope's own bytes,
        // and the ratchet encrypts it there (no copy of the body between the layers).
        byte[] buffer = new byte[SESSION_OVERHEAD + piece.size()];
        piece.writeInto(plaintext, buffer, Envelope.HEADER_LENGTH + RatchetMessage.PREFIX_LENGTH);
        DoubleRatchet.Sent sent = DoubleRatchet.encryptInPlace(working, buffer, Envelope.HEADER_LENGTH, piece.size(), random);
        if (firstContact != null && DoubleRatchet.isAnchor(sent.n(), TAG_WINDOW)) {
          // Unanswered: the first contact may have been lost, and without it the peer cannot read
          // anything of this session. It goes again with every anchor message (spec:
          // envelope.adoc#first-contact), the chain's last one included.
          out.add(Envelope.parse(firstContact));
        }
        out.add(Envelope.wrap(sent.tag(), buffer));
      }
      ratchet = working;
      return out;
    } catch (SottoException | RuntimeException e) {
      nextPayloadId = savedId;
      throw e;
    }
  }

  // ------------------------------------------------------------------ opening

  /**
   * Opens an envelope of this conversation: the payload when it is complete (a whole payload, or
   * the last missing chunk of one), empty when a chunk was stored.
   *
   * @throws SottoException TRUNCATED, UNSUPPORTED_VERSION, INVALID_ENCODING (a length that is no
   *     bucket, bad padding, a chunk out of range or given twice); UNKNOWN_TAG (a tag this session
   *     does not expect now); the ratchet's errors; AUTH_FAILED also when the envelope's tag is not
   *     the one its message was sealed under. The session is then unchanged.
   */
  public synchronized Optional<byte[]> open(byte[] envelope, RandomSource random) throws SottoException {
    Envelope e = Envelope.parse(envelope);
    byte[] tag = e.tag();
    DoubleRatchet.TagMatch match = DoubleRatchet.matchTag(ratchet, tag, TAG_WINDOW);
    if (match == null) {
      throw new SottoException(ErrorCode.UNKNOWN_TAG, "this session does not expect this tag now");
    }
    // Opened in place, in e's own copy of the input: the input is never written, and the copy
    // receives plaintext only once the body's tag has verified. The match hands the tag it
    // computed to the decryption, which then does not compute it again.
    byte[] buffer = e.buffer();
    int messageLength = buffer.length - Envelope.HEADER_LENGTH;
    DoubleRatchet.Received received =
        DoubleRatchet.decryptInPlace(ratchet, buffer, Envelope.HEADER_LENGTH, messageLength, match);
    if (!Arrays.equals(received.tag(), tag)) {
      throw new SottoException(ErrorCode.AUTH_FAILED, "the envelope's tag is not its message's tag");
    }
    Content content = Content.parse(buffer, Envelope.HEADER_LENGTH + RatchetMessage.PREFIX_LENGTH,
        messageLength - RatchetMessage.OVERHEAD);
    // A whole payload leaves the pending chunks alone: only a chunk needs a copy to work on.
    LinkedHashMap<Long, Pending> working = content.kind() == Content.KIND_WHOLE ? pending : copyPending();
    Optional<byte[]> payload = collect(content, working);
    ratchet = received.next();
    pending = working;
    firstContact = null; // the peer has the session: it answered
    return payload;
  }

  private LinkedHashMap<Long, Pending> copyPending() {
    LinkedHashMap<Long, Pending> copy = new LinkedHashMap<>();
    pending.forEach((id, p) -> copy.put(id, p.copy()));
    return copy;
  }

  /** Adds a content to the reassembly state; returns the payload when one is complete. */
  private static Optional<byte[]> collect(Content c, LinkedHashMap<Long, Pending> pending) throws SottoException {
    if (c.kind() == Content.KIND_WHOLE) {
      return Optional.of(c.data());
    }
    Pending p = pending.get(c.payloadId());
    if (p == null) {
      p = new Pending(c.count(), new TreeMap<>());
      pending.put(c.payloadId(), p);
      Iterator<Long> oldest = pending.keySet().iterator();
      while (pending.size() > MAX_PENDING_PAYLOADS) {
        oldest.next();
        oldest.remove();
      }
    } else if (p.count() != c.count()) {
      // No decrypted value in the text.
      throw new SottoException(ErrorCode.INVALID_ENCODING, "a chunk's count differs from its payload's earlier chunks");
    }
    if (p.chunks().containsKey(c.index())) {
      throw new SottoException(ErrorCode.INVALID_ENCODING, "a chunk of a pending payload was already received");
    }
    p.chunks().put(c.index(), c.data());
    // The bytes bound: the oldest other pending payloads go first (one payload alone fits).
    long total = 0;
    for (Pending q : pending.values()) {
      total += q.bytes();
    }
    Iterator<Map.Entry<Long, Pending>> oldestFirst = pending.entrySet().iterator();
    while (total > MAX_PENDING_BYTES) {
      Map.Entry<Long, Pending> e = oldestFirst.next();
      if (e.getValue() != p) {
        total -= e.getValue().bytes();
        oldestFirst.remove();
      }
    }
    if (p.chunks().size() < p.count()) {
      return Optional.empty();
    }
    pending.remove(c.payloadId());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    p.chunks().values().forEach(out::writeBytes);
    return Optional.of(out.toByteArray());
  }

  /** The mailbox tags under which envelopes of this conversation can arrive now (16 bytes each). */
  public synchronized List<byte[]> tags() {
    return DoubleRatchet.expectedTags(ratchet, TAG_WINDOW, tagMemo);
  }

  // ------------------------------------------------------------------ state

  /**
   * The session's byte form (spec: envelope.adoc#session-state): version u8 || suite u16 || peer
   * (68) || next_payload_id u32 || ratchet_length u32 || ratchet state || pending_count u8 ||
   * pending payloads || first_contact_length u32 || first_contact. It holds every secret of the
   * conversation.
   */
  public synchronized byte[] serialize() {
    byte[] r = ratchet.serialize();
    Writer w = new Writer().u8(STATE_VERSION).u16(Suite.SOTTO_1.id()).bytes(peer.encoded()).u32(nextPayloadId)
        .u32(r.length).bytes(r).u8(pending.size());
    pending.forEach((id, p) -> {
      w.u32(id).u16(p.count()).u16(p.chunks().size());
      p.chunks().forEach((index, data) -> w.u16(index).u32(data.length).bytes(data));
    });
    if (firstContact == null) {
      w.u32(0);
    } else {
      w.u32(firstContact.length).bytes(firstContact);
    }
    return w.toByteArray();
  }

  /** Restores a session written by {@link #serialize()}. */
  public static Session restore(byte[] serialized) throws SottoException {
    Reader in = new Reader(serialized, "session state");
    in.version(STATE_VERSION, "session state");
    in.suite();
    PublicIdentity peer = PublicIdentity.read(in);
    long nextPayloadId = in.u32("next_payload_id");
    long length = in.u32("ratchet_length");
    RatchetState ratchet = RatchetState.parse(in.bytes(length, "ratchet"));
    int countOffset = in.position();
    int count = in.u8("pending_count");
    if (count > MAX_PENDING_PAYLOADS) {
      throw in.invalid("pending_count", countOffset, count + " pending payloads, at most " + MAX_PENDING_PAYLOADS);
    }
    LinkedHashMap<Long, Pending> pending = new LinkedHashMap<>();
    long total = 0;
    for (int i = 0; i < count; i++) {
      int offset = in.position();
      long id = in.u32("pending.payload_id");
      int chunkCount = in.u16("pending.count");
      int present = in.u16("pending.present");
      if (chunkCount < 2 || chunkCount > Content.MAX_CHUNKS || present >= chunkCount || present < 1
          || pending.containsKey(id)) {
        throw in.invalid("pending", offset, "inconsistent pending payload");
      }
      TreeMap<Integer, byte[]> chunks = new TreeMap<>();
      for (int j = 0; j < present; j++) {
        int indexOffset = in.position();
        int index = in.u16("pending.index");
        if (index >= chunkCount || chunks.containsKey(index)) {
          throw in.invalid("pending.index", indexOffset, "inconsistent chunk");
        }
        long dataLength = in.u32("pending.length");
        byte[] data = in.bytes(dataLength, "pending.data");
        total += data.length;
        if (total > MAX_PENDING_BYTES) {
          throw in.invalid("pending.data", indexOffset, "pending payloads hold more than " + MAX_PENDING_BYTES + " bytes");
        }
        chunks.put(index, data);
      }
      pending.put(id, new Pending(chunkCount, chunks));
    }
    int firstOffset = in.position();
    long firstLength = in.u32("first_contact_length");
    if (firstLength != 0 && !Envelope.BUCKETS.contains((int) Math.min(firstLength, Integer.MAX_VALUE))) {
      throw in.invalid("first_contact_length", firstOffset, "neither 0 nor a bucket size");
    }
    byte[] firstContact = firstLength == 0 ? null : in.bytes(firstLength, "first_contact");
    if (firstContact != null) {
      Envelope.parse(firstContact); // read as an envelope now, so that sending the copy later cannot fail
    }
    in.end();
    return new Session(peer, ratchet, nextPayloadId, pending, firstContact);
  }

  /** For the conformance suite: the internal ratchet state. Not for applications. */
  public synchronized byte[] ratchetState(InsecureSecretAccess access) {
    Objects.requireNonNull(access, "access");
    return ratchet.serialize();
  }

  @Override
  public String toString() {
    return "Session[with " + peer + ", redacted]";
  }
}
