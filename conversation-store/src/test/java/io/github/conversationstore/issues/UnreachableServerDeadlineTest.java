package io.github.conversationstore.issues;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.conversationstore.ConversationStoreUnavailableException;
import io.github.conversationstore.Message;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.testing.EmbeddedMongoTestBase;
import io.github.conversationstore.testing.FaultInjectingProxy;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 9, item 13: with MongoDB unreachable, {@code build()} blocked 245 s with default settings,
 * and each append or read took 8 attempts of the driver's 30 s server selection. Every operation
 * now has one overall deadline.
 */
class UnreachableServerDeadlineTest extends EmbeddedMongoTestBase {

    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Test
    void build_againstAnUnreachableServer_failsWithinTheOperationTimeout() throws Exception {
        String unreachable = "mongodb://127.0.0.1:" + closedPort() + "/";
        long started = System.nanoTime();

        assertThatThrownBy(() -> MongoConversationStore.builder().connectionString(unreachable).database("issues")
                .operationTimeout(Duration.ofSeconds(1)).build())
                .isInstanceOf(ConversationStoreUnavailableException.class)
                .hasMessageContaining("create the index");

        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(6));
    }

    @Test
    void appendAndRead_whenTheServerGoesAway_failRetryablyWithinTheOperationTimeout() throws Exception {
        FaultInjectingProxy proxy = new FaultInjectingProxy(server.port());
        try (MongoClient viaProxy = MongoClients.create(proxy.connectionString() + "&serverSelectionTimeoutMS=60000");
                MongoConversationStore store = MongoConversationStore.builder().client(viaProxy).database("issues")
                        .collection("c" + System.nanoTime()).operationTimeout(Duration.ofSeconds(1)).build()) {
            store.appendMessages("s", "en", List.of(Message.user("before")));
            proxy.close();
            long started = System.nanoTime();

            assertThatThrownBy(() -> store.appendMessages("s", "en", List.of(Message.user("after"))))
                    .isInstanceOf(ConversationStoreUnavailableException.class)
                    .hasMessageContaining("retry with the same append id");
            assertThatThrownBy(() -> store.recentMessages("s", 10))
                    .isInstanceOf(ConversationStoreUnavailableException.class);

            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(8));
        }
    }
}
