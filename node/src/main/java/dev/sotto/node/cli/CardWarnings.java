package dev.sotto.node.cli;

import dev.sotto.Address;
import dev.sotto.Card;
import dev.sotto.node.HostPort;
import java.util.ArrayList;
import java.util.List;

/**
 * Warnings about the addresses a card gives: {@code 0.0.0.0}, {@code ::}, {@code 127.0.0.0/8},
 * {@code ::1} and {@code localhost} reach nothing from another machine, so a contact there who
 * holds such a card cannot write to this node directly (or to that mailbox).
 */
final class CardWarnings {
  private CardWarnings() {}

  /** One line per address of the card that only this machine can reach. */
  static List<String> of(Card card) {
    List<String> out = new ArrayList<>();
    for (Address a : card.addresses()) {
      if (!a.isTcp()) {
        continue;
      }
      HostPort at;
      try {
        at = new HostPort(a.host(), a.port());
      } catch (IllegalArgumentException e) {
        continue; // not a host this node writes on a card
      }
      if (at.thisMachineOnly()) {
        String what = a.kind() == Address.KIND_PEER_TCP ? "this node at " : "the mailbox at ";
        out.add("warning: the card gives " + what + at.text() + ", which contacts on other machines cannot reach;"
            + " give them a reachable address with 'sotto config --advertise HOST[:PORT]'"
            + (a.kind() == Address.KIND_PEER_TCP ? "" : " and a reachable mailbox with 'sotto config --mailbox'"));
      }
    }
    return out;
  }

  /** Prints the warnings on standard error, each as {@code sotto: warning: ...}. */
  static void print(Io io, Card card) {
    for (String line : of(card)) {
      io.err().println("sotto: " + line);
    }
  }
}
