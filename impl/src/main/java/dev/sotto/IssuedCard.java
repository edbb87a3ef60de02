package dev.sotto;

/** A card just made, with the private halves of its prekeys, which its issuer keeps. */
public final class IssuedCard {
  private final Card card;
  private final PrekeySecrets secrets;

  IssuedCard(Card card, PrekeySecrets secrets) {
    this.card = card;
    this.secrets = secrets;
  }

  /** The card to give to others. */
  public Card card() {
    return card;
  }

  /** The prekeys' private halves: keep them, secret, until the card's prekeys are used or retired. */
  public PrekeySecrets secrets() {
    return secrets;
  }

  @Override
  public String toString() {
    return "IssuedCard[" + card + "]";
  }
}
