package io.github.conversationstore;

import com.mongodb.WriteConcern;
import io.github.conversationstore.spi.KeyProvider;
import java.time.Clock;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * What a {@link MongoConversationStore.Builder} hands to the store, checked: the collections, the
 * bounds of heads and documents, the write concern, the retry and deadline budget, retention, the
 * clocks and the listeners. The client and database come beside it (they are resources, not
 * settings).
 *
 * @param collection the head collection's name
 * @param archiveCollection the archive collection's name
 * @param writeConcern the write concern of head writes
 * @param limits the limits both stores share
 * @param assistantRoleName how assistant messages are stored ({@code assistant}, or {@code bot} for
 *     the original backend)
 * @param maxAttempts attempts per operation
 * @param maxHeadMessages messages a head holds before a move
 * @param maxHeadBytes bytes of messages a head holds before a move
 * @param maxDocumentBytes the hard bound on any document
 * @param foreignWriters whether the original backend pushes to heads beside the store
 * @param operationTimeout the deadline of every operation
 * @param expireAfterInactivity retention (null: off)
 * @param createIndexes whether building the store creates its indexes
 * @param requireOwner whether every append must name an owner
 * @param clock the clock of timestamps
 * @param nanoTime the monotonic clock the server's time is extrapolated with
 * @param observers the listeners and the log
 * @param keyProvider the key provider of encrypted messages (null: messages in clear)
 */
record MongoSettings(
        String collection,
        String archiveCollection,
        WriteConcern writeConcern,
        Limits limits,
        String assistantRoleName,
        int maxAttempts,
        int maxHeadMessages,
        int maxHeadBytes,
        int maxDocumentBytes,
        boolean foreignWriters,
        Duration operationTimeout,
        Duration expireAfterInactivity,
        boolean createIndexes,
        boolean requireOwner,
        Clock clock,
        LongSupplier nanoTime,
        Observers observers,
        KeyProvider keyProvider) {

    /**
     * Checks what only the settings together can break.
     *
     * @throws IllegalStateException if {@code maxHeadBytes} leaves no room for the head's own
     *     fields in {@code maxDocumentBytes}
     */
    MongoSettings {
        if (maxHeadBytes >= maxDocumentBytes - MongoAppender.HEAD_OVERHEAD_BYTES) {
            throw new IllegalStateException("maxHeadBytes (" + maxHeadBytes + ") must be below maxDocumentBytes ("
                    + maxDocumentBytes + ") minus " + MongoAppender.HEAD_OVERHEAD_BYTES + " bytes of head overhead");
        }
        if (keyProvider != null && foreignWriters) {
            throw new IllegalStateException("encryption cannot be combined with forOriginalBackend(): the original backend"
                    + " reads and writes messages in clear");
        }
    }
}
