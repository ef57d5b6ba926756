package io.github.conversationstore;

import static io.github.conversationstore.HeadDocument.APPEND_KEYS;
import static io.github.conversationstore.HeadDocument.GENERATION;
import static io.github.conversationstore.HeadDocument.HEAD_BYTES;
import static io.github.conversationstore.HeadDocument.HEAD_SEQ;
import static io.github.conversationstore.HeadDocument.MESSAGES;
import static io.github.conversationstore.HeadDocument.MESSAGE_COUNT;
import static io.github.conversationstore.HeadDocument.SESSION_ID;
import static io.github.conversationstore.HeadDocument.UPDATED_AT;
import static io.github.conversationstore.HeadDocument.adopted;
import static io.github.conversationstore.HeadDocument.messages;

import io.github.conversationstore.MongoContext.Deadline;
import java.util.Date;
import java.util.List;
import org.bson.Document;
import org.bson.types.ObjectId;

/**
 * Adopts an original backend's document ({@code {sessionId, language, messages, createdAt}}, no
 * counters) as a head, once: the update is guarded on the counters' absence and on the array's
 * length, so racing stores cannot count twice, and a concurrent push by the old backend makes this
 * attempt a no-op (the caller then tries again). Its messages keep their places: sequence numbers
 * 0 to n - 1 in array order.
 */
final class MongoAdoption {
    private final MongoContext ctx;

    MongoAdoption(MongoContext ctx) {
        this.ctx = ctx;
    }

    void adopt(String sessionId, Deadline deadline) {
        Document legacy = deadline.heads().find(new Document(SESSION_ID, sessionId)).first();
        if (legacy == null || adopted(legacy)) {
            return;
        }
        List<Document> messages = messages(legacy);
        deadline.heads().updateOne(new Document(SESSION_ID, sessionId).append("_id", legacy.get("_id"))
                        .append(HEAD_BYTES, new Document("$exists", false))
                        .append(MESSAGES, new Document("$size", messages.size())),
                new Document("$set", new Document(HEAD_SEQ, 0L)
                        .append(MESSAGE_COUNT, (long) messages.size())
                        .append(HEAD_BYTES, MessageCodec.estimateBytes(messages))
                        .append(GENERATION, new ObjectId())
                        .append(APPEND_KEYS, List.of())
                        .append(UPDATED_AT, Date.from(ctx.time.now()))));
    }
}
