package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoDatabase;
import io.github.conversationstore.testing.EmbeddedMongoTestBase;
import io.github.conversationstore.testing.FaultInjectingProxy;
import io.github.conversationstore.testing.RawDocuments;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Adversarial: {@code eraseOwner} loses the reply of its tombstone update (and retries it) while
 * another store, on its own client, appends to the same owner's conversation right after the
 * tombstone landed: nothing of the erased life is left in any raw document, and the new life is
 * either whole or absent.
 */
class OwnerEraseRaceAdversarialTest extends EmbeddedMongoTestBase {
    private static final Owner ANA = Owner.of("tutor", "ana");
    private static final String OLD = "CANARY-OLD-LIFE-3e1f";
    private static final String NEW = "CANARY-NEW-LIFE-9c2d";

    private static MongoConversationStore.Builder store(com.mongodb.client.MongoClient on, String database) {
        return MongoConversationStore.builder().client(on).database(database).collection("conversations")
                .maxHeadMessages(4).maxHeadBytes(2048);
    }

    @Test
    void anAppendRacingTheErasureAfterALostTombstoneReply_leavesNothingOfTheErasedLife() throws Exception {
        String database = "owner_erase_race_" + System.nanoTime();
        AtomicInteger raced = new AtomicInteger();
        try (FaultInjectingProxy proxy = new FaultInjectingProxy(server.port());
                com.mongodb.client.MongoClient viaProxy = proxy.client();
                MongoConversationStore eraser = store(viaProxy, database).build();
                MongoConversationStore writer = store(client, database).createIndexes(false).build()) {
            for (int i = 0; i < 20; i++) {
                writer.appendMessages(AppendRequest.builder("s1", "en").owner(ANA).messages(Message.user(OLD + " " + i)).build());
            }
            writer.appendMessages(AppendRequest.builder("other", "en").owner(Owner.of("tutor", "ben"))
                    .messages(Message.user("kept")).build());
            eraser.onMoveStep(step -> {
                if (step.equals("erase:tombstone") && raced.incrementAndGet() == 1) {
                    // the other process begins a new life of the same owner's conversation right now
                    for (int i = 0; i < 6; i++) {
                        writer.appendMessages(AppendRequest.builder("s1", "en").owner(ANA)
                                .messages(Message.user(NEW + " " + i)).build());
                    }
                }
            });
            proxy.arm(FaultInjectingProxy.Fault.DROP_REPLY_AFTER_APPLY, "findAndModify", 1);

            OwnerErasure erased = eraser.eraseOwner(ANA);

            assertThat(proxy.injected()).as("the tombstone's reply was lost").isEqualTo(1);
            assertThat(raced.get()).isPositive();
            assertThat(erased.conversations()).isPositive();
            for (MongoConversationStore reader : List.of(eraser, writer)) {
                List<String> texts = reader.readMessages("s1", 0, 100).stream().map(StoredMessage::text).toList();
                assertThat(texts).noneMatch(t -> t.contains(OLD));
                List<String> whole = List.of(NEW + " 0", NEW + " 1", NEW + " 2", NEW + " 3", NEW + " 4", NEW + " 5");
                assertThat(texts.isEmpty() || texts.equals(whole)).as("the new life, whole or absent: %s", texts).isTrue();
                assertThat(reader.findConversation("s1").isPresent()).isEqualTo(!texts.isEmpty());
            }
            assertThat(writer.readMessages("other", 0, 10)).extracting(StoredMessage::text).containsExactly("kept");
            MongoDatabase raw = client.getDatabase(database);
            assertThat(RawDocuments.containing(raw, List.of(OLD))).as("raw documents of the erased life").isEmpty();
            if (writer.readMessages("s1", 0, 100).isEmpty()) {
                assertThat(RawDocuments.containing(raw, List.of(NEW))).as("an erased new life leaves nothing either").isEmpty();
            }
            assertThat(eraser.eraseOwner(ANA).conversations()).isLessThanOrEqualTo(1);
            assertThat(eraser.listConversations(ANA, null, 10)).isEmpty();
            assertThat(RawDocuments.containing(raw, List.of(OLD, NEW))).isEmpty();
        }
    }
}
