package dev.sotto;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The prekeys of a card that an initiator uses for one first contact (spec:
 * handshake.adoc#handshake-roles): the card, a bundle of it, and at most one one-time prekey of
 * each kind, as a mailbox (or the owner) served them. Every part was read, so verified, under the
 * same card.
 */
public final class Prekeys {
  private final Card card;
  private final PrekeyBundle bundle;
  private final OneTimePrekey oneTime;
  private final OneTimePrekey kemOneTime;

  private Prekeys(Card card, PrekeyBundle bundle, OneTimePrekey oneTime, OneTimePrekey kemOneTime) {
    this.card = card;
    this.bundle = bundle;
    this.oneTime = oneTime;
    this.kemOneTime = kemOneTime;
  }

  /**
   * The prekeys of {@code bundle}'s card: the bundle and, each optional ({@code null}: none), an
   * X25519 and an ML-KEM-768 one-time prekey of the same card.
   *
   * @throws IllegalArgumentException when a record is of another card or of the other kind, or
   *     when two of the prekeys share an id
   */
  public static Prekeys of(PrekeyBundle bundle, OneTimePrekey oneTime, OneTimePrekey kemOneTime) {
    Objects.requireNonNull(bundle, "bundle");
    Card card = bundle.card();
    long spk = bundle.signedPrekey().id();
    long pqspk = bundle.kemPrekey().id();
    if (oneTime != null) {
      if (oneTime.isKem() || !oneTime.card().equals(card)) {
        throw new IllegalArgumentException("not an X25519 one-time prekey of the bundle's card");
      }
      long id = oneTime.prekey().id();
      if (id == spk || id == pqspk) {
        throw new IllegalArgumentException("the one-time prekey's id " + id + " is also a bundle prekey's");
      }
    }
    if (kemOneTime != null) {
      if (!kemOneTime.isKem() || !kemOneTime.card().equals(card)) {
        throw new IllegalArgumentException("not an ML-KEM-768 one-time prekey of the bundle's card");
      }
      long id = kemOneTime.prekey().id();
      if (id == spk || id == pqspk || (oneTime != null && id == oneTime.prekey().id())) {
        throw new IllegalArgumentException("the ML-KEM one-time prekey's id " + id + " is also another prekey's");
      }
    }
    return new Prekeys(card, bundle, oneTime, kemOneTime);
  }

  /** The last-resort prekeys of {@code bundle} alone. */
  public static Prekeys of(PrekeyBundle bundle) {
    return of(bundle, null, null);
  }

  /**
   * @throws SottoException EXPIRED when the card, the bundle or a one-time prekey has expired at
   *     {@code now}
   */
  void checkNotExpired(Instant now) throws SottoException {
    card.checkNotExpired(now);
    bundle.checkNotExpired(now);
    if (oneTime != null) {
      oneTime.checkNotExpired(now);
    }
    if (kemOneTime != null) {
      kemOneTime.checkNotExpired(now);
    }
  }

  public Card card() {
    return card;
  }

  public PrekeyBundle bundle() {
    return bundle;
  }

  public Optional<OneTimePrekey> oneTimePrekey() {
    return Optional.ofNullable(oneTime);
  }

  public Optional<OneTimePrekey> kemOneTimePrekey() {
    return Optional.ofNullable(kemOneTime);
  }

  @Override
  public String toString() {
    return "Prekeys[" + bundle + (oneTime != null ? ", " + oneTime : "") + (kemOneTime != null ? ", " + kemOneTime : "")
        + "]";
  }
}
