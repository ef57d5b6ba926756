package io.github.conversationstore;

import static io.github.conversationstore.HeadDocument.ERASED_AT;
import static io.github.conversationstore.HeadDocument.GENERATION;
import static io.github.conversationstore.HeadDocument.SESSION_ID;

import com.mongodb.client.model.Projections;
import com.mongodb.client.model.Sorts;
import io.github.conversationstore.MongoContext.Deadline;
import io.github.conversationstore.spi.KeyProvider;
import io.github.conversationstore.spi.WrappedKey;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.SecretKey;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.bson.types.Binary;
import org.bson.types.ObjectId;

/**
 * The data keys of the Mongo store: one per conversation life, stored wrapped in its head as
 * {@code dataKeyId} (clear, an ObjectId) and {@code dataKey: {kek, wrapped}}.
 *
 * <p>A key is created exactly once per life, by the write that creates the life: the upsert that
 * inserts a head carries the key in {@code $setOnInsert} (and its id in its filter, so that the
 * inserted head gets it), the update that revives a tombstone sets a new one. Every append's
 * filter names the id of the key it sealed its messages with, so an append sealed with another
 * key than the head's (a stale cached key, a candidate key that lost the race to create the head)
 * matches nothing, writes nothing, and is explained by reading the head ({@link #settle}): the
 * batch is sealed again with the head's key, and tried again. A key read from a head is never used
 * to create a head or revive a tombstone: only a key drawn by the call itself is ({@link DataKey#fresh()}),
 * so a key destroyed with its conversation cannot come back.
 *
 * <p>Deleting a conversation removes its key in the same update that makes its head a tombstone,
 * before its archive chunks are deleted: from then on nothing the store holds opens them (see
 * {@code docs/ENCRYPTION.md}).
 */
final class MongoDataKeys implements HeadDocument.AttributeOpener {
    static final String KEY_ID = "dataKeyId";
    static final String DATA_KEY = "dataKey";
    static final String KEK = "kek";
    static final String WRAPPED = "wrapped";
    /** Unwrapped keys kept per process: enough for the active conversations of a busy instance. */
    private static final int CACHE_SIZE = 16_384;
    private static final int REWRAP_BATCH = 256;

    private final MongoContext ctx;
    private final DataKeys keys;
    private final Map<String, DataKey> bySession = lru();
    private final Map<ObjectId, SecretKey> byId = lru();

    MongoDataKeys(MongoContext ctx, KeyProvider provider) {
        this.ctx = ctx;
        this.keys = provider == null ? null : new DataKeys(provider);
    }

    private static <K, V> Map<K, V> lru() {
        return Collections.synchronizedMap(new LinkedHashMap<K, V>(256, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
                return size() > CACHE_SIZE;
            }
        });
    }

    boolean enabled() {
        return keys != null;
    }

    /**
     * A batch of message documents as an append writes them: sealed with one data key (or in clear
     * when encryption is off), sealed again when the key changes. Not thread-safe: one per append.
     */
    static final class Sealed {
        private final String sessionId;
        private final List<Document> plain;
        private DataKey key;
        private List<Document> documents;

        private Sealed(String sessionId, List<Document> plain, DataKey key) {
            this.sessionId = sessionId;
            this.plain = plain;
            reseal(key);
        }

        List<Document> documents() {
            return documents;
        }

        DataKey key() {
            return key;
        }

        /** Whether an attempt may insert a head: encryption off, or a key this call drew. */
        boolean mayCreate() {
            return key == null || key.fresh();
        }

        private void reseal(DataKey next) {
            this.key = next;
            this.documents = next == null ? plain : MessageCipher.seal(sessionId, next, plain);
        }
    }

    /**
     * Seals a batch with the session's key: the cached one, else the head's (one read, one unwrap),
     * else a new one (one wrap) that the append's write will store.
     */
    Sealed seal(String sessionId, List<Document> plain, Deadline deadline) {
        if (keys == null) {
            return new Sealed(sessionId, plain, null);
        }
        DataKey key = bySession.get(sessionId);
        if (key == null) {
            Document head = ctx.call(deadline, d -> d.heads().find(new Document(SESSION_ID, sessionId))
                    .projection(Projections.fields(Projections.include(KEY_ID, DATA_KEY, ERASED_AT), Projections.excludeId()))
                    .first());
            DataKey stored = head == null || head.get(ERASED_AT) != null ? null : storedKey(sessionId, head);
            key = stored != null ? stored : keys.create(sessionId);
            checkDeadline(deadline);
            remember(sessionId, key);
        }
        return new Sealed(sessionId, plain, key);
    }

    /** Adds the data key guard to an append's filter (whose equality also gives an inserted head the key id). */
    static void guard(Document filter, Sealed sealed) {
        if (sealed.key() != null) {
            filter.append(KEY_ID, sealed.key().id());
        }
    }

    /** Adds the wrapped key to the fields a new head is inserted with. */
    static void onInsert(Document setOnInsert, Sealed sealed) {
        if (sealed.key() != null) {
            setOnInsert.append(DATA_KEY, stored(sealed.key().wrapped()));
        }
    }

    /** Draws a new key for a batch that is to revive a tombstone or re-create a vanished head. */
    void renew(Sealed sealed, Deadline deadline) {
        if (sealed.key() != null) {
            DataKey fresh = keys.create(sealed.sessionId);
            checkDeadline(deadline);
            sealed.reseal(fresh);
            remember(sealed.sessionId, fresh);
        }
    }

    /** Adds the key of a revived conversation (drawn by {@link #renew}) to the revive's {@code $set}. */
    static void onRevive(Document set, Sealed sealed) {
        if (sealed.key() != null) {
            set.append(KEY_ID, sealed.key().id()).append(DATA_KEY, stored(sealed.key().wrapped()));
        }
    }

    /**
     * For a live head that refused an append: whether the batch's key was the reason, in which case
     * the batch is sealed again with the head's key (or, for a head without one, a new key is stored
     * in it), and the append is to be tried again. The head was read with {@link #KEY_ID} and
     * {@link #DATA_KEY}.
     */
    boolean settle(Document head, Sealed sealed, Deadline deadline) {
        if (sealed.key() == null) {
            return false;
        }
        Object headKey = head.get(KEY_ID);
        if (sealed.key().id().equals(headKey)) {
            return false;
        }
        String sessionId = sealed.sessionId;
        if (headKey != null) {
            DataKey stored = storedKey(sessionId, head);
            checkDeadline(deadline);
            sealed.reseal(stored);
            remember(sessionId, stored);
            return true;
        }
        // a head without a key (created by a lease, or before encryption was turned on): give it one
        renew(sealed, deadline);
        DataKey fresh = sealed.key();
        deadline.heads().updateOne(new Document(SESSION_ID, sessionId)
                        .append(GENERATION, head.get(GENERATION))
                        .append(KEY_ID, new Document("$exists", false))
                        .append(ERASED_AT, new Document("$exists", false)),
                new Document("$set", new Document(KEY_ID, fresh.id()).append(DATA_KEY, stored(fresh.wrapped()))));
        // whether this update or a concurrent writer's gave the head its key, the next attempt finds out
        sealed.key = fresh.stored();
        return true;
    }

    /** Caches a key for appends to the session and for opening what it sealed. */
    private void remember(String sessionId, DataKey key) {
        bySession.put(sessionId, key.stored());
        byId.put(key.id(), key.key());
    }

    /** A header attribute's value as written: sealed with the batch's key when encryption is on. */
    static Object sealAttribute(Sealed sealed, String sessionId, String key, String value) {
        return sealed.key() == null ? value : new Binary(MessageCipher.sealValue(sessionId, sealed.key(), key, value));
    }

    /** Opens a sealed header attribute with the data key of the head it was read from. */
    @Override
    public String open(Document head, String key, Binary value) {
        String sessionId = head.getString(SESSION_ID);
        if (keys == null) {
            throw new EncryptionException("a header attribute of session '" + sessionId + "' is encrypted, and the store has"
                    + " no key provider: build it with encryption(KeyProvider)", null);
        }
        ObjectId keyId = MessageCipher.keyIdOf(value.getData());
        if (keyId == null || !keyId.equals(head.get(KEY_ID))) {
            throw new EncryptionException("a header attribute of session '" + sessionId
                    + "' is sealed with another key than the conversation's", null);
        }
        SecretKey secret = byId.get(keyId);
        if (secret == null) {
            DataKey stored = storedKey(sessionId, head);
            if (stored == null) {
                throw new EncryptionException("the head of session '" + sessionId + "' holds no wrapped data key", null);
            }
            secret = stored.key();
        }
        return MessageCipher.openValue(sessionId, secret, key, value.getData());
    }

    /** Gives a fork's new head a data key of its own (when encryption is on): its own messages are sealed with it. */
    void onFork(String sessionId, Document head, Deadline deadline) {
        if (keys == null) {
            return;
        }
        DataKey fresh = keys.create(sessionId);
        checkDeadline(deadline);
        head.append(KEY_ID, fresh.id()).append(DATA_KEY, stored(fresh.wrapped()));
        remember(sessionId, fresh);
    }

    /**
     * A message a fork shares with an ancestor, in clear: opened with the key of the ancestor's life,
     * whose wrapped copy the fork's segment holds; null if it cannot be opened any more.
     */
    Document openShared(Document segment, Document stored, Deadline deadline) {
        if (!MessageCipher.isSealed(stored)) {
            return stored;
        }
        String sessionId = segment.getString(HeadDocument.FORK_SESSION);
        ObjectId keyId = MessageCipher.keyIdOf(stored);
        if (keys == null || keyId == null) {
            return open(sessionId, stored, deadline);
        }
        SecretKey key = byId.get(keyId);
        if (key == null && keyId.equals(segment.get(KEY_ID)) && wrappedOf(segment) != null) {
            key = keys.unwrap(sessionId, wrappedOf(segment));
            byId.put(keyId, key);
        }
        return key == null ? open(sessionId, stored, deadline) : MessageCipher.open(sessionId, key, stored);
    }

    /** The fields a tombstone loses: the data key goes in the update that deletes the conversation. */
    static void destroy(Document unset) {
        unset.append(KEY_ID, "").append(DATA_KEY, "");
    }

    /** Forgets the cached key of a deleted session. */
    void forget(String sessionId) {
        DataKey key = bySession.remove(sessionId);
        if (key != null) {
            byId.remove(key.id());
        }
    }

    /** The messages of a page, opened; empty if the session was deleted under the read (its key gone). */
    List<StoredMessage> open(String sessionId, MongoReader.Page page, Deadline deadline) {
        List<Document> docs = page.documents();
        List<Document> origins = page.origins();
        List<StoredMessage> out = new ArrayList<>(docs.size());
        for (int i = 0; i < docs.size(); i++) {
            Document doc = i < origins.size() && origins.get(i) != null
                    ? openShared(origins.get(i), docs.get(i), deadline)
                    : open(sessionId, docs.get(i), deadline);
            if (doc == null) {
                return List.of();
            }
            out.add(new StoredMessage(page.first() + i, MessageCodec.decode(doc)));
        }
        return out;
    }

    /**
     * A stored message in clear: as it is when not sealed, opened with its data key otherwise; null
     * if its key is no longer the session's (the conversation was deleted).
     *
     * @throws EncryptionException if the message is sealed and the store has no key provider, or it
     *     does not authenticate
     */
    Document open(String sessionId, Document stored, Deadline deadline) {
        if (!MessageCipher.isSealed(stored)) {
            return stored;
        }
        if (keys == null) {
            throw new EncryptionException("a message of session '" + sessionId + "' is encrypted, and the store has no key"
                    + " provider: build it with encryption(KeyProvider)", null);
        }
        ObjectId keyId = MessageCipher.keyIdOf(stored);
        if (keyId == null) {
            throw new EncryptionException("a message of session '" + sessionId + "' is sealed in an unknown format", null);
        }
        SecretKey key = byId.get(keyId);
        if (key == null) {
            Document head = ctx.call(deadline, d -> d.heads().find(new Document(SESSION_ID, sessionId))
                    .projection(Projections.fields(Projections.include(KEY_ID, DATA_KEY), Projections.excludeId()))
                    .first());
            if (head == null || !keyId.equals(head.get(KEY_ID))) {
                return null; // the key of a deleted conversation: destroyed with it
            }
            key = storedKey(sessionId, head).key();
        }
        return MessageCipher.open(sessionId, key, stored);
    }

    /**
     * Wraps every data key not wrapped under the provider's current key-encryption key again under
     * it, in batches; messages are not touched. Idempotent and resumable.
     */
    long rewrap() {
        if (keys == null) {
            throw new IllegalStateException("the store has no key provider: build it with encryption(KeyProvider)");
        }
        String current = keys.provider().currentKeyId();
        long rewrapped = 0;
        Object after = null;
        while (true) {
            Object from = after;
            List<Document> batch = ctx.call("rewrap", null, "list data keys to rewrap", d -> {
                Document filter = new Document(KEY_ID, new Document("$exists", true))
                        .append(DATA_KEY + "." + KEK, new Document("$ne", current));
                if (from != null) {
                    filter.append("_id", new Document("$gt", from));
                }
                Bson projection = Projections.include(SESSION_ID, KEY_ID, DATA_KEY);
                return d.heads().find(filter).projection(projection).sort(Sorts.ascending("_id")).limit(REWRAP_BATCH)
                        .into(new ArrayList<>());
            });
            for (Document head : batch) {
                String sessionId = head.getString(SESSION_ID);
                WrappedKey old = wrappedOf(head);
                WrappedKey next = keys.rewrap(sessionId, old);
                if (next != null) {
                    rewrapped += ctx.call("rewrap", sessionId, "rewrap the data key of session '" + sessionId + "'",
                            d -> d.heads().updateOne(new Document("_id", head.get("_id"))
                                            .append(KEY_ID, head.get(KEY_ID))
                                            .append(DATA_KEY, head.get(DATA_KEY)),
                                    new Document("$set", new Document(DATA_KEY, stored(next)))).getModifiedCount());
                }
            }
            if (batch.size() < REWRAP_BATCH) {
                return rewrapped + rewrapChains(current);
            }
            after = batch.get(batch.size() - 1).get("_id");
        }
    }

    /**
     * Rewraps the copies of ancestors' keys that forks hold in their chains (see MongoForks), in
     * batches, one update per fork guarded on the chain it read. Returns how many keys it rewrapped.
     */
    private long rewrapChains(String current) {
        String chainKek = HeadDocument.FORK + "." + HeadDocument.FORK_CHAIN;
        long rewrapped = 0;
        Object after = null;
        while (true) {
            Object from = after;
            List<Document> batch = ctx.call("rewrap", null, "list forks whose chain holds keys to rewrap", d -> {
                Document filter = new Document(chainKek, new Document("$elemMatch",
                        new Document(DATA_KEY + "." + KEK, new Document("$exists", true).append("$ne", current))));
                if (from != null) {
                    filter.append("_id", new Document("$gt", from));
                }
                return d.heads().find(filter).projection(Projections.include(SESSION_ID, HeadDocument.FORK))
                        .sort(Sorts.ascending("_id")).limit(REWRAP_BATCH).into(new ArrayList<>());
            });
            for (Document head : batch) {
                Document fork = head.get(HeadDocument.FORK, Document.class);
                List<Document> chain = new ArrayList<>();
                int changed = 0;
                for (Document segment : fork.getList(HeadDocument.FORK_CHAIN, Document.class, List.of())) {
                    WrappedKey old = wrappedOf(segment);
                    WrappedKey next = old == null ? null : keys.rewrap(segment.getString(HeadDocument.FORK_SESSION), old);
                    chain.add(next == null ? segment : new Document(segment).append(DATA_KEY, stored(next)));
                    changed += next == null ? 0 : 1;
                }
                if (changed > 0) {
                    String sessionId = head.getString(SESSION_ID);
                    long done = ctx.call("rewrap", sessionId, "rewrap the keys of the fork '" + sessionId + "'",
                            d -> d.heads().updateOne(new Document(SESSION_ID, sessionId).append("_id", head.get("_id"))
                                            .append(HeadDocument.FORK, fork),
                                    new Document("$set", new Document(chainKek, chain))).getModifiedCount());
                    rewrapped += done * changed;
                }
            }
            if (batch.size() < REWRAP_BATCH) {
                return rewrapped;
            }
            after = batch.get(batch.size() - 1).get("_id");
        }
    }

    /** The key stored in a head, unwrapped (from the cache when it is there); null if the head has none. */
    private DataKey storedKey(String sessionId, Document head) {
        Object id = head.get(KEY_ID);
        WrappedKey wrapped = wrappedOf(head);
        if (!(id instanceof ObjectId keyId) || wrapped == null) {
            return null;
        }
        SecretKey key = byId.get(keyId);
        if (key == null) {
            key = keys.unwrap(sessionId, wrapped);
            byId.put(keyId, key);
        }
        return new DataKey(keyId, key, wrapped, false);
    }

    private static WrappedKey wrappedOf(Document head) {
        Object value = head.get(DATA_KEY);
        if (!(value instanceof Document doc) || !(doc.get(WRAPPED) instanceof Binary binary) || doc.getString(KEK) == null) {
            return null;
        }
        return new WrappedKey(doc.getString(KEK), binary.getData());
    }

    private static Document stored(WrappedKey wrapped) {
        return new Document(KEK, wrapped.keyId()).append(WRAPPED, new Binary(wrapped.ciphertext()));
    }

    /** A provider call that outlived the operation's deadline fails it, retryably, before anything is written. */
    private static void checkDeadline(Deadline deadline) {
        if (deadline.remainingNanos() == 0) {
            throw new ConversationStoreUnavailableException("could not " + deadline.what
                    + ": the key provider answered after the operation timeout; nothing was written;"
                    + " retry with the same append id", null);
        }
    }

}
