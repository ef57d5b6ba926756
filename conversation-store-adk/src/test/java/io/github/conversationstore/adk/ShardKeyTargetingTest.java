package io.github.conversationstore.adk;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.adk.sessions.GetSessionConfig;
import com.google.adk.sessions.Session;
import com.mongodb.client.MongoClient;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.testing.EmbeddedMongo;
import io.github.conversationstore.testing.ShardKeyChecker;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Every command the session service's calls send carries the documented shard key of its
 * collection (docs/SHARDING.md), or is one the core's {@link ShardKeyChecker} allows (the owner
 * listing behind {@code listSessions}): create, append with session, user and app state, get with
 * and without filters, list events, delete, on tiny heads so that moves to the archive happen.
 */
class ShardKeyTargetingTest {

    @Test
    void everyCommandOfTheSessionService_carriesTheShardKeyOrIsAllowed() {
        ShardKeyChecker checker = new ShardKeyChecker();
        try (EmbeddedMongo server = new EmbeddedMongo(); MongoClient client = server.client(checker)) {
            try (MongoConversationStore store = MongoConversationStore.builder().client(client).database("adk")
                    .maxHeadMessages(4).maxHeadBytes(4096).build()) {
                ConversationStoreSessionService service = ConversationStoreSessionService.builder(store).build();
                checker.operation("createSession");
                Session session = service.createSession("app", "ana", Map.of("user:units", "metric"), "s1").blockingGet();
                checker.operation("appendEvent");
                for (int i = 0; i < 8; i++) {
                    service.appendEvent(session, Events.withDelta(Map.of("step", i, "user:seen", i, "app:runs", i)))
                            .blockingGet();
                    service.appendEvent(session, Events.user("hola " + i)).blockingGet();
                }
                checker.operation("getSession");
                assertThat(service.getSession("app", "ana", "s1", Optional.empty()).blockingGet().events()).hasSize(16);
                assertThat(service.getSession("app", "ana", "s1",
                        Optional.of(GetSessionConfig.builder().numRecentEvents(3).build())).blockingGet().events()).hasSize(3);
                checker.operation("listEvents");
                assertThat(service.listEvents("app", "ana", "s1").blockingGet().events()).hasSize(16);
                checker.operation("listSessions");
                assertThat(service.listSessions("app", "ana").blockingGet().sessionIds()).containsExactly("s1");
                checker.operation("deleteSession");
                service.deleteSession("app", "ana", "s1").blockingAwait();
            }
        }
        System.out.println("Commands seen, by operation:\n" + checker.reportByOperation());
        assertThat(checker.violations()).isEmpty();
        assertThat(checker.summary().keySet()).anyMatch(k -> k.startsWith("targeted: findAndModify"));
    }
}
