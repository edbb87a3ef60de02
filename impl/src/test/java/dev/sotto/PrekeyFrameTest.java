package dev.sotto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sotto.Frame.PrekeyItem;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.internal.encoding.Writer;
import dev.sotto.testing.TestRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The prekey service's frames (design r2-prekeys section 9): PUBLISH ({@code bundle_tag[16] ||
 * credential[32] || count u16 || (length u16 || item) x count}), GET_PREKEYS ({@code bundle_tag[16]})
 * and PREKEYS ({@code count u16 || (length u16 || item) x count}); round trips and every malformed
 * body.
 */
class PrekeyFrameTest {
  final HandshakeTest h = new HandshakeTest();
  final byte[] bundleTag = h.bobsCard.bundleTag();
  final byte[] credential = TestRandom.deterministic(new byte[] {'k'}).bytes(32);
  final List<PrekeyItem> items = List.of(PrekeyItem.of(h.bundle), PrekeyItem.of(h.oneTime.get(0)),
      PrekeyItem.of(h.oneTime.get(2)));

  static byte[] itemsBody(List<byte[]> encoded) {
    Writer w = new Writer().u16(encoded.size());
    encoded.forEach(e -> w.u16(e.length).bytes(e));
    return w.toByteArray();
  }

  static ErrorCode publishRefused(byte[] body) {
    return assertThrows(SottoException.class, () -> Frame.of(Frame.PUBLISH, 1, body).publishBody()).code();
  }

  static ErrorCode prekeysRefused(byte[] body) {
    return assertThrows(SottoException.class, () -> Frame.of(Frame.PREKEYS, 1, body).prekeyItems()).code();
  }

  static ErrorCode getRefused(byte[] body) {
    return assertThrows(SottoException.class, () -> Frame.of(Frame.GET_PREKEYS, 1, body).bundleTag()).code();
  }

  @Test
  void publishRoundTrips() throws SottoException {
    Frame frame = Frame.publish(7, bundleTag, credential, items);
    assertEquals(Frame.PUBLISH, frame.type());
    assertEquals(0x05, Frame.PUBLISH);
    assertEquals(7, frame.requestId());
    assertArrayEquals(Bytes.concat(bundleTag, credential, itemsBody(List.of(h.bundle.encoded(),
        h.oneTime.get(0).encoded(), h.oneTime.get(2).encoded()))), frame.body());
    Frame received = Frame.of(frame.type(), frame.requestId(), frame.body());
    assertEquals(frame, received);
    Frame.Publish body = received.publishBody();
    assertArrayEquals(bundleTag, body.bundleTag());
    assertArrayEquals(credential, body.credential());
    assertEquals(items, body.items());
    assertEquals(List.of(PrekeyItem.Kind.BUNDLE, PrekeyItem.Kind.X25519_ONE_TIME, PrekeyItem.Kind.ML_KEM_ONE_TIME),
        body.items().stream().map(PrekeyItem::kind).toList());
    // What a mailbox reads of the items without the card, and what a reader with the card gets back.
    assertEquals(0, body.items().get(0).serial());
    assertEquals(h.bundle.expires().getEpochSecond(), body.items().get(0).expires());
    assertEquals(h.oneTime.get(0).expires().getEpochSecond(), body.items().get(1).expires());
    assertThrows(IllegalStateException.class, () -> body.items().get(1).serial());
    assertEquals(h.bundle, PrekeyBundle.parse(body.items().get(0).encoded(), h.bobsCard, HandshakeTest.NOW));
    assertEquals(h.oneTime.get(2), OneTimePrekey.parse(body.items().get(2).encoded(), h.bobsCard, HandshakeTest.NOW));
    assertEquals(false, body.toString().contains(Bytes.hex(credential)), "the credential is not shown");
  }

  @Test
  void itemFieldsAreReadAtTheirOffsets() throws SottoException {
    // A bundle with a serial and times that use every byte of their fields.
    PrekeyBundle high = PrekeyBundle.issue(h.bob, h.bobsCard, 0xfffffffeL, 0x01020304L, 0x3a01020304L,
        h.bundle.signedPrekey(), h.bundle.kemPrekey());
    PrekeyItem item = Frame.prekeys(1, List.of(PrekeyItem.of(high))).prekeyItems().get(0);
    assertEquals(0xfffffffeL, item.serial());
    assertEquals(0x3a01020304L, item.expires());
  }

  @Test
  void getPrekeysAndPrekeysRoundTrip() throws SottoException {
    Frame get = Frame.getPrekeys(8, bundleTag);
    assertEquals(0x06, get.type());
    assertArrayEquals(bundleTag, get.body());
    assertArrayEquals(bundleTag, Frame.of(Frame.GET_PREKEYS, 8, get.body()).bundleTag());
    Frame answer = Frame.prekeys(8, items);
    assertEquals(0x85, answer.type());
    assertArrayEquals(itemsBody(List.of(h.bundle.encoded(), h.oneTime.get(0).encoded(), h.oneTime.get(2).encoded())),
        answer.body());
    assertEquals(items, Frame.of(Frame.PREKEYS, 8, answer.body()).prekeyItems());
    assertEquals(List.of(), Frame.prekeys(9, List.of()).prekeyItems(), "nothing published: an empty answer");
    assertArrayEquals(new byte[] {0, 0}, Frame.prekeys(9, List.of()).body());
    // The most items in one frame, of the small kind; 65 is refused by the factory.
    List<PrekeyItem> many = new ArrayList<>();
    for (int i = 0; i < Frame.MAX_PREKEY_ITEMS; i++) {
      many.add(PrekeyItem.of(h.oneTime.get(i % 2)));
    }
    assertEquals(many, Frame.prekeys(1, many).prekeyItems());
    assertEquals(many, Frame.publish(1, bundleTag, credential, many).publishBody().items());
    List<PrekeyItem> tooMany = new ArrayList<>(many);
    tooMany.add(PrekeyItem.of(h.oneTime.get(0)));
    assertThrows(IllegalArgumentException.class, () -> Frame.prekeys(1, tooMany));
    assertThrows(IllegalArgumentException.class, () -> Frame.publish(1, bundleTag, credential, tooMany));
  }

  @Test
  void theFactoriesCheckTheirArguments() {
    assertThrows(IllegalArgumentException.class, () -> Frame.publish(1, bundleTag, credential, List.of()), "no item");
    assertThrows(IllegalArgumentException.class, () -> Frame.publish(1, Arrays.copyOf(bundleTag, 15), credential, items));
    assertThrows(IllegalArgumentException.class, () -> Frame.publish(1, bundleTag, Arrays.copyOf(credential, 31), items));
    assertThrows(IllegalArgumentException.class, () -> Frame.getPrekeys(1, new byte[17]));
    // 64 bundles do not fit the largest frame.
    List<PrekeyItem> bundles = new ArrayList<>();
    for (int i = 0; i < Frame.MAX_PREKEY_ITEMS; i++) {
      bundles.add(PrekeyItem.of(h.bundle));
    }
    assertThrows(IllegalArgumentException.class, () -> Frame.prekeys(1, bundles));
    // Reading the wrong body is a programming error.
    assertThrows(IllegalStateException.class, () -> Frame.ok(1).publishBody());
    assertThrows(IllegalStateException.class, () -> Frame.getPrekeys(1, bundleTag).prekeyItems());
    assertThrows(IllegalStateException.class, () -> Frame.prekeys(1, items).bundleTag());
  }

  @Test
  void malformedPublishBodies() {
    byte[] body = Frame.publish(7, bundleTag, credential, items).body();
    for (int length = 0; length < body.length; length++) {
      assertEquals(ErrorCode.TRUNCATED, publishRefused(Arrays.copyOf(body, length)), "length " + length);
    }
    assertEquals(ErrorCode.TRAILING_DATA, publishRefused(Arrays.copyOf(body, body.length + 1)));
    byte[] head = Bytes.concat(bundleTag, credential);
    assertEquals(ErrorCode.INVALID_ENCODING, publishRefused(Bytes.concat(head, new byte[] {0, 0})), "count 0");
    assertEquals(ErrorCode.INVALID_ENCODING, publishRefused(Bytes.concat(head, new byte[] {0, 65})), "count 65");
    assertEquals(ErrorCode.INVALID_ENCODING, publishRefused(Bytes.concat(head, new byte[] {(byte) 0xff, (byte) 0xff})));
    for (byte[] bad : badItems()) {
      publishRefused(Bytes.concat(head, bad));
    }
    assertEquals(ErrorCode.INVALID_ENCODING, publishRefused(Bytes.concat(head, itemsBody(List.of(new byte[100])))),
        "an item of no known length");
    assertEquals(ErrorCode.UNSUPPORTED_VERSION, publishRefused(Bytes.concat(head, itemsBody(List.of(revisionOne())))));
  }

  @Test
  void malformedPrekeysBodies() throws SottoException {
    byte[] body = Frame.prekeys(7, items).body();
    for (int length = 0; length < body.length; length++) {
      assertEquals(ErrorCode.TRUNCATED, prekeysRefused(Arrays.copyOf(body, length)), "length " + length);
    }
    assertEquals(ErrorCode.TRAILING_DATA, prekeysRefused(Arrays.copyOf(body, body.length + 1)));
    assertEquals(ErrorCode.TRAILING_DATA, prekeysRefused(new byte[] {0, 0, 0}), "count 0 then a byte");
    assertEquals(ErrorCode.INVALID_ENCODING, prekeysRefused(new byte[] {0, 65}), "count 65 before TRUNCATED");
    List<ErrorCode> codes = List.of(ErrorCode.INVALID_ENCODING, ErrorCode.INVALID_ENCODING, ErrorCode.INVALID_ENCODING,
        ErrorCode.TRUNCATED, ErrorCode.UNSUPPORTED_VERSION, ErrorCode.UNSUPPORTED_VERSION, ErrorCode.INVALID_ENCODING);
    List<byte[]> bad = badItems();
    for (int i = 0; i < bad.size(); i++) {
      assertEquals(codes.get(i), prekeysRefused(bad.get(i)), "bad item " + i);
    }
    // The mailbox does not verify: an item of a known length and version with any content is read;
    // the initiator's reading under the card refuses it.
    byte[] junk = new byte[OneTimePrekey.X25519_LENGTH];
    junk[0] = 0x02;
    List<PrekeyItem> read = Frame.of(Frame.PREKEYS, 1, itemsBody(List.of(junk))).prekeyItems();
    assertEquals(PrekeyItem.Kind.X25519_ONE_TIME, read.get(0).kind());
    assertEquals(ErrorCode.UNSUPPORTED_SUITE, assertThrows(SottoException.class,
        () -> OneTimePrekey.parse(read.get(0).encoded(), h.bobsCard, HandshakeTest.NOW)).code());
  }

  /** Items bodies that are wrong in one way each (see the codes in malformedPrekeysBodies). */
  List<byte[]> badItems() {
    byte[] bundle = h.bundle.encoded();
    return List.of(
        itemsBody(List.of(new byte[0])), // length 0: no kind
        itemsBody(List.of(Arrays.copyOf(bundle, 1312))), // one short of a bundle
        itemsBody(List.of(Arrays.copyOf(bundle, 1314))), // one more than a bundle
        new Writer().u16(1).u16(PrekeyBundle.LENGTH).bytes(new byte[10]).toByteArray(), // length beyond the body
        itemsBody(List.of(revisionOne())), // version 0x01
        itemsBody(List.of(h.oneTime.get(0).encoded(), revisionOne())), // the second item
        itemsBody(List.of(new byte[100], revisionOne()))); // the first failure counts
  }

  byte[] revisionOne() {
    byte[] b = h.bundle.encoded();
    b[0] = 0x01;
    return b;
  }

  @Test
  void malformedGetPrekeysBodies() {
    assertEquals(ErrorCode.TRUNCATED, getRefused(new byte[0]));
    assertEquals(ErrorCode.TRUNCATED, getRefused(new byte[15]));
    assertEquals(ErrorCode.TRAILING_DATA, getRefused(new byte[17]));
  }
}
