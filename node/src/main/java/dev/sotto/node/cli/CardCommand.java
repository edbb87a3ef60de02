package dev.sotto.node.cli;

import dev.sotto.Card;
import dev.sotto.node.Node;
import io.nayuki.qrcodegen.QrCode;
import java.io.PrintStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "card",
    header = "Prints this node's card (with --qr, also as a QR code).",
    description = {
        "Prints this node's card: the text a contact needs to write to you ('sotto contact add'). It "
            + "holds only your identity's public keys, your addresses and an invite tag, no prekeys: those your "
            + "node serves itself and publishes to its mailboxes, and a contact's node fetches them. Give the card "
            + "out of band (in person, by mail, as a QR code). A card is valid for 365 days.",
        "",
        "A card that gives an address only this machine reaches (0.0.0.0, ::, 127.0.0.0/8, ::1, localhost) is printed "
            + "with a warning on standard error: contacts on other machines need 'sotto config --advertise'."})
final class CardCommand extends Cmd {
  @Option(names = "--qr", description = "Also draw the card as a QR code (it needs a wide terminal, about 150 columns).")
  boolean qr;

  @Option(names = "--invert", description = "With --qr: for dark text on a light background.")
  boolean invert;

  @Option(names = "--renew", description = "Issue a new card now (a card is renewed anyway when it has less than 30 days"
      + " left). Cards given out before stay valid until they expire.")
  boolean renew;

  @Override
  int execute() throws Exception {
    String text;
    Card card;
    try (Node node = openNode()) {
      card = renew ? node.renewCard() : node.currentCard();
      text = card.text();
      if (!NodeLock.isHeld(home())) {
        // Before the card is given out, its mailboxes get its prekeys (a running node does it itself).
        node.publishPrekeys();
      }
    }
    CardWarnings.print(io(), card);
    PrintStream out = io().out();
    if (qr) {
      QrCode code = Qr.encode(text);
      for (String line : Qr.render(code, invert)) {
        out.println(line);
      }
      out.println();
      int width = code.size + 2 * Qr.QUIET_ZONE;
      io().err().println("sotto: a version " + code.version + " QR code, " + width + " columns wide;"
          + " if the lines wrap, widen the terminal or make the font smaller");
    }
    out.println(text);
    return 0;
  }
}
