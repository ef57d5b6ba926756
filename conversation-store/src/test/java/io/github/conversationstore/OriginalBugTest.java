package io.github.conversationstore;

import io.github.conversationstore.testing.EmbeddedMongoTestBase;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoException;
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.Updates;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.bson.Document;
import org.junit.jupiter.api.Test;

/**
 * The bug the library was born from, reproduced in one harness: 16 threads send rapid (user, bot)
 * pairs to new and existing sessions. The original check-then-act code gets E11000 and loses
 * messages; the store gets no exception and keeps every message once, in order.
 */
class OriginalBugTest extends EmbeddedMongoTestBase {
    private static final int THREADS = 16;
    private static final int PAIRS_PER_THREAD = 10;
    private static final List<String> SESSIONS = List.of("new-a", "new-b", "existing");

    /** Sends one (user, bot) pair of a session; the harness counts what it throws. */
    interface PairWriter {
        void write(String sessionId, String user, String bot) throws Exception;
    }

    /** Runs the load and returns how many calls threw E11000 and how many threw anything. */
    private static int[] runLoad(PairWriter writer) throws Exception {
        AtomicInteger duplicateKeyErrors = new AtomicInteger();
        AtomicInteger failures = new AtomicInteger();
        AbstractConversationStoreContractTest.runConcurrently(THREADS, t -> {
            for (int p = 0; p < PAIRS_PER_THREAD; p++) {
                String session = SESSIONS.get((t + p) % SESSIONS.size());
                try {
                    writer.write(session, "u/" + t + "/" + p, "b/" + t + "/" + p);
                } catch (Exception e) {
                    failures.incrementAndGet();
                    if (e instanceof MongoException && ErrorCategory.fromErrorCode(((MongoException) e).getCode()) == ErrorCategory.DUPLICATE_KEY
                            || e instanceof MongoWriteException
                            && ((MongoWriteException) e).getError().getCategory() == ErrorCategory.DUPLICATE_KEY) {
                        duplicateKeyErrors.incrementAndGet();
                    }
                }
            }
            return null;
        });
        return new int[] {duplicateKeyErrors.get(), failures.get()};
    }

    @Test
    void naiveCheckThenAct_underRapidPairs_throwsDuplicateKeyAndLosesMessages() throws Exception {
        MongoCollection<Document> conversations = client.getDatabase("bug").getCollection("naive");
        conversations.createIndex(Indexes.ascending("sessionId"), new IndexOptions().unique(true));
        conversations.insertOne(new Document("sessionId", "existing").append("language", "en")
                .append("messages", new ArrayList<>()).append("createdAt", new Date()));
        // The first message of a new session: every thread that finds no conversation waits here
        // until the others have looked too (a user typing quickly makes this window real).
        CyclicBarrier firstLook = new CyclicBarrier(THREADS);
        Map<String, Boolean> seen = new ConcurrentHashMap<>();

        int[] counts = runLoad((session, user, bot) -> {
            Document conversation = conversations.find(new Document("sessionId", session)).first();
            if (conversation == null && seen.putIfAbsent(session + Thread.currentThread().getName(), true) == null
                    && !session.equals("existing")) {
                awaitQuietly(firstLook);
            }
            List<Document> messages = List.of(new Document("role", "user").append("text", user),
                    new Document("role", "bot").append("text", bot));
            if (conversation == null) {
                conversations.insertOne(new Document("sessionId", session).append("language", "en")
                        .append("messages", messages).append("createdAt", new Date()));
            } else {
                conversations.updateOne(new Document("sessionId", session), Updates.pushEach("messages", messages));
            }
        });

        long stored = 0;
        for (Document d : conversations.find()) {
            stored += d.getList("messages", Document.class).size();
        }
        assertThat(counts[0]).as("E11000 errors of the naive code").isPositive();
        assertThat(stored).as("messages kept by the naive code").isLessThan(THREADS * PAIRS_PER_THREAD * 2L);
    }

    @Test
    void store_underSameRapidPairs_hasNoErrorsAndKeepsEveryMessageOnceInOrder() throws Exception {
        try (ConversationStore store = MongoConversationStore.builder().client(client).database("bug")
                .collection("library").build()) {
            store.appendMessages("existing", "en", List.of(Message.system("seed")));

            int[] counts = runLoad((session, user, bot) ->
                    store.appendMessages(session, "en", List.of(Message.user(user), Message.assistant(bot))));

            assertThat(counts[1]).as("calls that failed").isZero();
            long total = 0;
            for (String session : SESSIONS) {
                List<StoredMessage> stored = store.readMessages(session, 0, ConversationStore.MAX_READ_LIMIT);
                total += stored.size();
                int start = session.equals("existing") ? 1 : 0;
                Map<String, Integer> lastPair = new ConcurrentHashMap<>();
                for (int i = 0; i < stored.size(); i++) {
                    assertThat(stored.get(i).sequence()).isEqualTo(i);
                }
                for (int i = start; i < stored.size(); i += 2) {
                    String[] u = stored.get(i).text().split("/");
                    assertThat(stored.get(i).role()).isEqualTo(Role.USER);
                    assertThat(stored.get(i + 1).text()).isEqualTo("b/" + u[1] + "/" + u[2]);
                    int pair = Integer.parseInt(u[2]);
                    assertThat(pair).isGreaterThan(lastPair.getOrDefault(u[1], -1));
                    lastPair.put(u[1], pair);
                }
            }
            assertThat(total).isEqualTo(THREADS * PAIRS_PER_THREAD * 2L + 1);
        }
    }

    private static void awaitQuietly(CyclicBarrier barrier) {
        try {
            barrier.await(2, TimeUnit.SECONDS);
        } catch (Exception e) {
            // not every thread looks at the same moment: the race still happens for those that do
        }
    }
}
