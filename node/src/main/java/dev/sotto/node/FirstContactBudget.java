package dev.sotto.node;

import dev.sotto.node.net.TokenBucket;
import java.util.HashMap;
import java.util.Map;

/**
 * The first contacts a node opens, spent from token buckets (spec: transport.adoc#node-requests):
 * one per card (by its invite tag) and one for every card together. Opening a first contact
 * costs public-key operations, a write of the responder's state and a store transaction, which
 * a stranger who holds a card may ask for as often as links and frames allow; the buckets bound
 * it, and the per-card one keeps a flood through one card from taking every card's turn.
 *
 * <p>A first contact delivered directly ({@code DELIVER}) is opened only with a token from both
 * ({@link #admit}: a refusal takes none, and the sender leaves it at a mailbox instead); one
 * fetched from a mailbox was asked for, and is always opened and charged ({@link #charge}, which
 * may take a bucket below zero), and a node fetches an invite tag only while both of its buckets
 * hold a token ({@link #open}): so a backlog at a mailbox drains at the same rates. No clock:
 * time comes with each call, in nanoseconds of a monotonic clock. Safe for use by several threads.
 */
final class FirstContactBudget {
  private final double perCard;
  private final int cardBurst;
  private final double global;
  private final int globalBurst;
  private final TokenBucket all;
  /** Per invite tag (hex); a bucket that would be full again is forgotten, so at most the cards held are kept. */
  private final Map<String, TokenBucket> cards = new HashMap<>();

  FirstContactBudget(NodeCore.RequestPolicy policy, long now) {
    this.perCard = policy.perCardRate();
    this.cardBurst = policy.perCardBurst();
    this.global = policy.globalRate();
    this.globalBurst = policy.globalBurst();
    this.all = new TokenBucket(globalBurst, now);
  }

  private TokenBucket card(String tag, long now) {
    cards.values().removeIf(b -> b.at(now, perCard, cardBurst) >= cardBurst);
    return cards.computeIfAbsent(tag, t -> new TokenBucket(cardBurst, now));
  }

  /** Takes a token from the card's bucket and the global one if both hold one; a refusal takes nothing. */
  synchronized boolean admit(String inviteTag, long now) {
    TokenBucket card = card(inviteTag, now);
    if (card.at(now, perCard, cardBurst) < 1 || all.at(now, global, globalBurst) < 1) {
      return false;
    }
    card.take(now, perCard, cardBurst);
    all.take(now, global, globalBurst);
    return true;
  }

  /** Takes a token from both whatever they hold (a first contact fetched from a mailbox). */
  synchronized void charge(String inviteTag, long now) {
    card(inviteTag, now).take(now, perCard, cardBurst);
    all.take(now, global, globalBurst);
  }

  /** Whether both buckets of the card hold a token: its invite tag may be fetched now. */
  synchronized boolean open(String inviteTag, long now) {
    TokenBucket card = cards.get(inviteTag);
    return (card == null || card.at(now, perCard, cardBurst) >= 1) && all.at(now, global, globalBurst) >= 1;
  }
}
