package io.github.conversationstore.adk;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.adk.events.Event;
import com.google.adk.sessions.GetSessionConfig;
import com.google.adk.sessions.Session;
import com.google.genai.types.Content;
import com.google.genai.types.FunctionCall;
import com.google.genai.types.FunctionResponse;
import com.google.genai.types.Part;
import io.github.conversationstore.AppendRequest;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.Message;
import io.github.conversationstore.StoredMessage;
import io.github.conversationstore.testing.ForwardingConversationStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Adversarial review of {@code numRecentEvents} reads that look back for the calls of the function
 * responses they return: parallel calls, a call and its response in one event, nested long-running
 * calls, a call thousands of events back and one never stored. The look-back is counted in round
 * trips: it must page in growing steps, not 64 events at a time.
 */
class RecentEventsLookBackTest {
    static Stream<Stores.Kind> stores() {
        return Stores.all();
    }

    /** Counts the reads of messages. */
    static final class Counting extends ForwardingConversationStore {
        final AtomicInteger reads = new AtomicInteger();

        Counting(ConversationStore delegate) {
            super(delegate);
        }

        @Override
        public List<StoredMessage> readMessages(String sessionId, long fromSequence, int limit) {
            reads.incrementAndGet();
            return super.readMessages(sessionId, fromSequence, limit);
        }
    }

    private static List<String> ids(Session session) {
        return session.events().stream().map(Event::id).toList();
    }

    private static Session recent(ConversationStoreSessionService service, int n) {
        return service.getSession("app", "ana", "s", Optional.of(GetSessionConfig.builder().numRecentEvents(n).build()))
                .blockingGet();
    }

    private static Event parts(String author, String role, Part... parts) {
        return Event.builder().id(Event.generateEventId()).invocationId("inv-1").author(author)
                .content(Content.builder().role(role).parts(List.of(parts)).build()).build();
    }

    private static Part call(String id) {
        return Part.builder().functionCall(FunctionCall.builder().id(id).name("lookup").args(Map.of("q", id)).build())
                .build();
    }

    private static Part response(String id) {
        return Part.builder().functionResponse(FunctionResponse.builder().id(id).name("lookup")
                .response(Map.of("for", id)).build()).build();
    }

    /** {@code n} plain events written straight to the store, a batch per append (as fast as it gets). */
    private static void filler(ConversationStore store, int n) {
        String storeId = StoreKeys.session("app", "ana", "s");
        for (int done = 0; done < n; ) {
            List<Message> batch = new ArrayList<>();
            for (int i = 0; i < ConversationStore.MAX_MESSAGES_PER_APPEND && done < n; i++, done++) {
                batch.add(EventCodec.toMessage(Events.model("filler " + done)));
            }
            store.appendMessages(AppendRequest.builder(storeId, "und").messages(batch).build());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void parallelCalls_aCallAnsweredInItsOwnEvent_andNestedLongRunningCalls_areReadWithTheirCalls(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreSessionService service = ConversationStoreSessionService.builder(store).build();
            Session session = service.createSession("app", "ana", Map.of(), "s").blockingGet();
            Event outer = parts("planner", "model", call("outer"));             // long-running, answered last
            Event parallel = parts("planner", "model", call("p1"), call("p2"), call("p3"));
            Event selfAnswered = parts("planner", "model", call("self"), response("self"));
            Event inner = parts("worker", "model", call("inner"));
            Event pending = parts("planner", "user", response("outer"));       // the long-running call's interim reply
            Event answers = parts("planner", "user", response("p3"), response("p1"), response("inner"));
            Event p2 = parts("planner", "user", response("p2"));
            Event outerDone = parts("planner", "user", response("outer"));     // its final reply
            for (Event e : List.of(outer, parallel, selfAnswered, inner, pending, answers, p2, outerDone)) {
                service.appendEvent(session, e).blockingGet();
            }

            assertThat(ids(recent(service, 1))).containsExactly(outer.id(), outerDone.id());
            // the parallel turn brought in brings the responses of its other calls (a model refuses a turn
            // with a call unanswered), and those bring the inner call they answer too
            assertThat(ids(recent(service, 2)))
                    .containsExactly(outer.id(), parallel.id(), inner.id(), answers.id(), p2.id(), outerDone.id());
            assertThat(ids(recent(service, 3)))
                    .containsExactly(outer.id(), parallel.id(), inner.id(), answers.id(), p2.id(), outerDone.id());
            assertThat(ids(recent(service, 5))).containsExactly(outer.id(), parallel.id(), inner.id(), pending.id(),
                    answers.id(), p2.id(), outerDone.id()); // the self-answered call needs nothing from before
            assertThat(ids(recent(service, 6))).containsExactly(outer.id(), parallel.id(), selfAnswered.id(), inner.id(),
                    pending.id(), answers.id(), p2.id(), outerDone.id());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void aCallThousandsOfEventsBack_isFoundInAFewRoundTrips(Stores.Kind kind) {
        try (ConversationStore base = kind.open()) {
            Counting store = new Counting(base);
            ConversationStoreSessionService service = ConversationStoreSessionService.builder(store).build();
            Session session = service.createSession("app", "ana", Map.of(), "s").blockingGet();
            Event far = parts("planner", "model", call("far"));
            service.appendEvent(session, far).blockingGet();
            filler(base, 6_000);
            Event late = parts("planner", "user", response("far"));
            service.appendEvent(session, late).blockingGet();

            store.reads.set(0);
            Session read = recent(service, 2);

            assertThat(ids(read)).hasSize(3).startsWith(far.id()).endsWith(late.id());
            assertThat(store.reads.get()).as("round trips for 6,000 events back").isLessThanOrEqualTo(10);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void aResponseWhoseCallWasNeverStored_isReturnedAlone_inAFewRoundTrips(Stores.Kind kind) {
        try (ConversationStore base = kind.open()) {
            Counting store = new Counting(base);
            ConversationStoreSessionService service = ConversationStoreSessionService.builder(store).build();
            Session session = service.createSession("app", "ana", Map.of(), "s").blockingGet();
            filler(base, 6_000);
            Event orphan = parts("planner", "user", response("never-called"));
            service.appendEvent(session, orphan).blockingGet();

            store.reads.set(0);
            Session read = recent(service, 1);

            assertThat(ids(read)).containsExactly(orphan.id()); // as ADK's own services return it
            assertThat(store.reads.get()).as("round trips for 6,000 events back").isLessThanOrEqualTo(10);
        }
    }
}
