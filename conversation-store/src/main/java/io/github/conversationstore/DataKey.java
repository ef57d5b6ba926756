package io.github.conversationstore;

import io.github.conversationstore.spi.WrappedKey;
import javax.crypto.SecretKey;
import org.bson.types.ObjectId;

/**
 * The data key of one conversation life: its id (stored in clear beside the wrapped key, and in
 * every message it seals), the unwrapped AES-256 key, and the key as stored, wrapped.
 *
 * @param id the key's id
 * @param key the unwrapped key (never stored, never logged)
 * @param wrapped the key wrapped by the key provider, as stored
 * @param fresh whether this call drew it and it may not be stored yet: only a fresh key may create
 *     a conversation, so that a key read from a conversation that was deleted since can never
 *     become the key of a new one
 */
record DataKey(ObjectId id, SecretKey key, WrappedKey wrapped, boolean fresh) {
    /** The same key, no longer fresh (as it is cached once drawn or read). */
    DataKey stored() {
        return fresh ? new DataKey(id, key, wrapped, false) : this;
    }

    @Override
    public String toString() {
        return "DataKey[" + id + "]";
    }
}
