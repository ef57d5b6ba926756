package io.github.conversationstore.examples;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Updates;
import java.util.Date;
import java.util.List;
import org.bson.Document;

/**
 * The original backend's first version, kept to replay its failure: look the conversation up, then
 * insert it if it was missing or push to it otherwise. Two quick messages of a new session both
 * see "missing" and both insert; the second fails with E11000 and its messages are lost.
 */
final class NaiveConversationWriter {
    private final MongoCollection<Document> conversations;
    private final Runnable betweenCheckAndAct;

    /**
     * @param conversations the collection, with a unique index on {@code sessionId}
     * @param betweenCheckAndAct called when a new session was found missing, before inserting it:
     *     the moment a second quick message slips in
     */
    NaiveConversationWriter(MongoCollection<Document> conversations, Runnable betweenCheckAndAct) {
        this.conversations = conversations;
        this.betweenCheckAndAct = betweenCheckAndAct;
    }

    void append(String sessionId, String language, String userText, String botText) {
        Document existing = conversations.find(new Document("sessionId", sessionId)).first();
        List<Document> messages = List.of(
                new Document("role", "user").append("text", userText).append("timestamp", new Date()),
                new Document("role", "bot").append("text", botText).append("timestamp", new Date()));
        if (existing == null) {
            betweenCheckAndAct.run();
            conversations.insertOne(new Document("sessionId", sessionId).append("language", language)
                    .append("messages", messages).append("createdAt", new Date()));
        } else {
            conversations.updateOne(new Document("sessionId", sessionId), Updates.pushEach("messages", messages));
        }
    }
}
