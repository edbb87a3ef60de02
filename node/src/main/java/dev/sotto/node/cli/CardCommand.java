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
            + "with a warning on standard error: contacts on other machines need 'sotto config --advertise'.",
        "",
        "Your node accepts first contacts through every card it holds until it expires. Give different cards to "
            + "different people or places ('--renew' issues one; the older ones stay valid): contact requests are "
            + "counted per card, so a flood through one card leaves the others' requests alone, and you can withdraw "
            + "that card alone ('--revoke ID'; '--list' shows the IDs)."})
final class CardCommand extends Cmd {
  @Option(names = "--qr", description = "Also draw the card as a QR code (it needs a wide terminal, about 150 columns).")
  boolean qr;

  @Option(names = "--invert", description = "With --qr: for dark text on a light background.")
  boolean invert;

  @Option(names = "--renew", description = "Issue a new card now (a card is renewed anyway when it has less than 30 days"
      + " left). Cards given out before stay valid until they expire.")
  boolean renew;

  @Option(names = "--list", description = "List the cards this node holds, with the requests that came through each.")
  boolean list;

  @Option(names = "--revoke", paramLabel = "ID", description = "Withdraw a card: first contacts through it are refused"
      + " from now on (its requests stay). If it is your current card, a new one is issued. Your contacts are sent"
      + " your current card.")
  String revoke;

  @Override
  int execute() throws Exception {
    if (list) {
      try (Node node = openNode()) {
        PrintStream out = io().out();
        out.printf("%-8s  %-16s  %-16s  %s%n", "ID", "ISSUED", "EXPIRES", "REQUESTS");
        for (Node.HeldCard c : node.cards()) {
          out.printf("%-8s  %-16s  %-16s  %d%s%n", c.id(), Show.time(io(), c.card().created().getEpochSecond()),
              Show.time(io(), c.card().expires().getEpochSecond()), c.requests(), c.current() ? "  (current)" : "");
        }
      }
      return 0;
    }
    if (revoke != null) {
      try (Node node = openNode()) {
        Node.Revoked r = node.revokeCard(revoke);
        PrintStream out = io().out();
        out.println("Card " + revoke + " is withdrawn: first contacts through it are refused from now on"
            + (r.revoked().requests() > 0 ? "; the " + r.revoked().requests() + " requests that came through it stay"
                + " ('sotto contact requests')" : "")
            + ". Mailboxes may still hand out its prekeys until they expire (3 days at most): first contacts made"
            + " from them are refused too.");
        if (r.revoked().current()) {
          out.println("It was your current card: give out the new one ('sotto card').");
        }
        out.println(r.contactsTold() + (r.contactsTold() == 1 ? " contact is" : " contacts are")
            + " sent your current card; " + Delivery.status(home()) + ".");
      }
      return 0;
    }
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
