package dev.sotto.node;

import dev.sotto.Identity;
import dev.sotto.IdentitySeed;
import dev.sotto.RandomSource;
import dev.sotto.SottoException;
import dev.sotto.node.store.Store;
import dev.sotto.node.store.StoreException;
import dev.sotto.node.store.Vault;
import java.nio.file.Path;
import java.time.Clock;

/**
 * Puts an identity, from its recovery code, into a home directory, and makes the home whole
 * whatever it holds: nothing; an identity file and no store, or an empty or half-made one (a
 * {@code sotto init} that was interrupted, a store that was deleted or truncated); a store and no
 * identity file (it was lost); or a whole node of this identity (then only the identity file is
 * written anew, under the passphrase chosen now). It keeps a store that this identity wrote and
 * that holds the node's settings, with its contacts and messages; and it destroys nothing that
 * may belong to someone else.
 *
 * <p>Two steps: {@link #plan} only reads and says what {@link #commit} will do; an identity file
 * that the store does not vouch for must be shown to hold this identity
 * ({@link #identityFileMatches}) before the commit.
 */
public final class Recovery {
  /** What becomes of the store. */
  public enum StoreAction {
    /** There is none, or an empty or half-made one: a new store is made (no contacts, no messages). */
    CREATE,
    /** This identity's whole store is there: it stays, with its settings, contacts and messages. */
    KEEP
  }

  private final Path home;
  private final IdentitySeed seed;
  private final StoreAction action;
  private final int contacts;
  private final boolean identityFile;
  private boolean identityChecked;

  private Recovery(Path home, IdentitySeed seed, StoreAction action, int contacts, boolean identityFile) {
    this.home = home;
    this.seed = seed;
    this.action = action;
    this.contacts = contacts;
    this.identityFile = identityFile;
  }

  /**
   * Looks at {@code home} with the recovered seed, changing nothing (but what every opening of a
   * store does: a store of an older schema is upgraded).
   *
   * @throws StoreException {@code CORRUPT} if there is a store that this identity did not write
   *     (another identity's, or a damaged file): it is left as it is, for the user to move away;
   *     {@code EXISTS} if the store holds contacts but no settings (damaged: not made anew)
   */
  public static Recovery plan(Path home, IdentitySeed seed) throws StoreException {
    boolean identityFile = Vault.exists(home);
    if (Store.fileState(home) != Store.FileState.PRESENT) {
      return new Recovery(home, seed, StoreAction.CREATE, 0, identityFile);
    }
    Path file = home.resolve(Store.FILE_NAME);
    Store store;
    try {
      store = Store.openExisting(home, Vault.storeKey(seed), RandomSource.secure());
    } catch (StoreException e) {
      if (e.kind() == StoreException.Kind.MISSING) {
        return new Recovery(home, seed, StoreAction.CREATE, 0, identityFile); // no tables: its creation was interrupted
      }
      if (e.kind() == StoreException.Kind.CORRUPT) {
        throw new StoreException(StoreException.Kind.CORRUPT, "the store " + file
            + " was not written by this identity (another identity's, or damaged): move it away to recover here");
      }
      throw e;
    }
    try (store) {
      int[] found = store.read(tx -> new int[] {
          tx.get(NodeCore.KV_CONFIG).isPresent() && tx.get(NodeCore.KV_LINK_KEY).isPresent() ? 1 : 0,
          tx.contacts().size()});
      if (found[0] == 1) {
        return new Recovery(home, seed, StoreAction.KEEP, found[1], identityFile);
      }
      if (found[1] > 0) {
        throw new StoreException(StoreException.Kind.EXISTS, "the store " + file
            + " holds contacts but no settings: it is damaged; move it away to recover here");
      }
      // Settings are the first thing a new store gets: without them, an interrupted creation.
      return new Recovery(home, seed, StoreAction.CREATE, 0, identityFile);
    } catch (SottoException e) {
      throw new IllegalStateException("reading settings raises no protocol errors", e);
    }
  }

  public StoreAction storeAction() {
    return action;
  }

  /** The contacts of a store that is kept. */
  public int contacts() {
    return contacts;
  }

  /** Whether there is an identity file, which the commit writes anew. */
  public boolean replacesIdentityFile() {
    return identityFile;
  }

  /**
   * Whether the identity file must be shown to hold this identity before the commit: it is there,
   * and no store of this identity vouches for the home.
   */
  public boolean identityFileToCheck() {
    return identityFile && action == StoreAction.CREATE;
  }

  /**
   * Whether the identity file holds the recovered identity (so that writing it anew loses
   * nothing). Only a match lets {@link #commit} go on.
   *
   * @param passphraseOrNull the file's passphrase, if it is sealed under one
   * @throws StoreException {@code WRONG_PASSPHRASE} or {@code CORRUPT} if the file cannot be read
   */
  public boolean identityFileMatches(char[] passphraseOrNull) throws StoreException {
    IdentitySeed inFile = Vault.open(home, passphraseOrNull);
    boolean same = Identity.fromSeed(inFile).publicIdentity().equals(Identity.fromSeed(seed).publicIdentity());
    identityChecked |= same;
    return same;
  }

  /**
   * Writes the identity file (anew, under {@code passphrase} or none) and, for
   * {@link StoreAction#CREATE}, a new store with {@code config}, a new link key and a first card.
   * A kept store keeps its own settings. A crash part way leaves a home that this recovery, run
   * again, makes whole.
   *
   * @throws IllegalStateException if the identity file had to be checked and was not shown to match
   */
  public void commit(char[] passphrase, Vault.Params params, Node.Config config, RandomSource random, Clock clock)
      throws StoreException, SottoException {
    if (identityFileToCheck() && !identityChecked) {
      throw new IllegalStateException("the identity file in " + home + " was not shown to hold this identity");
    }
    Vault.replace(home, seed, passphrase, params, random);
    if (action == StoreAction.CREATE) {
      Store.deleteFiles(home); // an empty or half-made store, or SQLite files beside none
      Node.initStore(home, seed, config, random, clock);
    }
  }
}
