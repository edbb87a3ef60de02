package dev.sotto.node.cli;

import io.nayuki.qrcodegen.DataTooLongException;
import io.nayuki.qrcodegen.QrCode;
import io.nayuki.qrcodegen.QrSegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A QR code drawn with Unicode half blocks: each character cell holds two modules, one above
 * the other, so that the code is about square on a terminal.
 */
final class Qr {
  /** The quiet zone around the code, in modules, as ISO/IEC 18004 asks. */
  static final int QUIET_ZONE = 4;

  private Qr() {}

  /**
   * Encodes a bech32m text (a card) as small as it goes: upper-cased, the text fits the
   * alphanumeric mode (5.5 bits a character instead of 8), and bech32m reads the upper-case
   * form as the same text. Low error correction, raised where the same version allows it.
   *
   * @throws Failure when the text does not fit a version 40 code
   */
  static QrCode encode(String bech32Text) throws Failure {
    String upper = bech32Text.toUpperCase(Locale.ROOT);
    List<QrSegment> segments = QrSegment.isAlphanumeric(upper)
        ? List.of(QrSegment.makeAlphanumeric(upper))
        : QrSegment.makeSegments(bech32Text);
    try {
      return QrCode.encodeSegments(segments, QrCode.Ecc.LOW, QrCode.MIN_VERSION, QrCode.MAX_VERSION, -1, true);
    } catch (DataTooLongException e) {
      throw Failure.input("the text is too long for a QR code (" + bech32Text.length() + " characters)");
    }
  }

  /**
   * The code as lines of text. Terminals are mostly light text on a dark background, so by
   * default light modules (and the quiet zone) are drawn and dark modules left blank, as
   * {@code qrencode -t UTF8} does; {@code invert} is for dark text on a light background.
   */
  static List<String> render(QrCode qr, boolean invert) {
    int size = qr.size + 2 * QUIET_ZONE;
    List<String> lines = new ArrayList<>();
    for (int y = 0; y < size; y += 2) {
      StringBuilder line = new StringBuilder(size);
      for (int x = 0; x < size; x++) {
        boolean top = drawn(qr, x - QUIET_ZONE, y - QUIET_ZONE, invert);
        boolean bottom = y + 1 < size && drawn(qr, x - QUIET_ZONE, y + 1 - QUIET_ZONE, invert);
        line.append(top ? (bottom ? '\u2588' : '\u2580') : (bottom ? '\u2584' : ' '));
      }
      lines.add(line.toString());
    }
    return lines;
  }

  /** Whether a module (outside the code: the quiet zone, which is light) is drawn as ink. */
  private static boolean drawn(QrCode qr, int x, int y, boolean invert) {
    boolean dark = qr.getModule(x, y); // false outside the code
    return invert == dark;
  }
}
