package io.github.conversationstore.issues;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import io.github.conversationstore.Message;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.testing.CommandHooks;
import io.github.conversationstore.testing.EmbeddedMongoTestBase;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 18: under Spring Boot's logging the embedded server logged an ERROR "no such command:
 * 'hello'" with a stack trace at every start: the store's clock probe sent {@code hello} first. The
 * probe is now {@code isMaster}, which MongoDB and the embedded server both answer. The tests' SLF4J
 * binding is {@code slf4j-nop}, so the server's log is judged by what causes it: the commands the
 * store sends.
 */
class ClockProbeLogsAnErrorAtStartTest extends EmbeddedMongoTestBase {

    @Test
    void healthyStart_sendsNoCommandTheServerRefuses() {
        CommandHooks hooks = new CommandHooks();
        try (MongoClient watched = hooks.client(server.connectionString());
                MongoConversationStore store = MongoConversationStore.builder().client(watched).database("issues")
                        .collection("probe" + System.nanoTime()).build()) {
            store.appendMessages("s", "en", List.of(Message.user("hi")));

            assertThat(hooks.started(c -> c.containsKey("hello"))).as("hello sent by the store").isEmpty();
            assertThat(hooks.started(c -> c.containsKey("isMaster"))).as("the clock probe").hasSize(1);
        }
    }
}
