package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.client.MongoClient;
import io.github.conversationstore.testing.FaultInjectingProxy;
import java.util.ArrayList;
import java.util.List;
import org.bson.Document;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Attack: {@code listForks} paged as documented (until a page comes back shorter than the limit)
 * while the parent's references include leftovers that name no live fork: a fork call that died
 * between its references and its head, a fork whose deletion was interrupted before its release, a
 * fork whose head retention removed. Every live fork must still be listed, once.
 */
class ForkListingAdversarialTest extends ForkAdversarialBase {

    private static List<String> listAll(ConversationStore store, int limit) {
        List<String> all = new ArrayList<>();
        String after = null;
        for (int pages = 0; pages < 100; pages++) {
            List<ConversationHeader> page = store.listForks("p", after, limit);
            page.forEach(h -> all.add(h.sessionId()));
            if (page.size() < limit) {
                return all;
            }
            after = page.get(page.size() - 1).sessionId();
        }
        throw new AssertionError("no short page after 100 pages");
    }

    @ParameterizedTest(name = "pages of {0}")
    @ValueSource(ints = {1, 2, 3, 10})
    void leftoverReferencesBeforeLiveForks_everyLiveForkIsListedOnce(int limit) throws Exception {
        String database = db("forklist");
        try (FaultInjectingProxy proxy = new FaultInjectingProxy(server.port());
                MongoClient proxied = proxy.client();
                MongoConversationStore faulty = builder(proxied, database).maxAttempts(1).build();
                MongoConversationStore store = builder(client, database).build()) {
            append(store, "p", "parent", 12);
            // a0: the fork call died after its references, its head never written
            proxy.armError(FaultInjectingProxy.error(50, "MaxTimeMSExpired"), "chain", 1);
            assertThatThrownBy(() -> faulty.fork("p", 4, "a0")).isInstanceOf(ConversationStoreUnavailableException.class);
            store.fork("p", 5, "b0");
            // c0: deleted, and its release interrupted (never retried)
            store.fork("p", 6, "c0");
            proxy.armError(FaultInjectingProxy.error(50, "MaxTimeMSExpired"), "conversations_forks", 1);
            assertThatThrownBy(() -> faulty.deleteConversation("c0"))
                    .isInstanceOf(ConversationStoreUnavailableException.class);
            // d0: removed by the retention TTL index
            store.fork("p", 7, "d0");
            client.getDatabase(database).getCollection("conversations").deleteOne(new Document("sessionId", "d0"));
            store.fork("p", 8, "e0");
            store.fork("p", 9, "f0");
            assertThat(client.getDatabase(database).getCollection("conversations_forks").countDocuments())
                    .as("the leftovers are there").isEqualTo(6);

            assertThat(listAll(store, limit)).containsExactly("b0", "e0", "f0");
        }
    }
}
