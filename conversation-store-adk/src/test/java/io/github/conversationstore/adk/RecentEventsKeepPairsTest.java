package io.github.conversationstore.adk;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.adk.events.Event;
import com.google.adk.sessions.GetSessionConfig;
import com.google.adk.sessions.Session;
import io.github.conversationstore.ConversationStore;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Review: {@code numRecentEvents} (and {@code afterTimestamp}) cut the events by count (or time),
 * so a function response could be read without its call, which ADK needs to build a model request.
 * The events read are now extended back to the call of every response among them.
 */
class RecentEventsKeepPairsTest {
    static Stream<Stores.Kind> stores() {
        return Stores.all();
    }

    private static List<String> ids(Session session) {
        return session.events().stream().map(Event::id).toList();
    }

    private static Session recent(ConversationStoreSessionService service, int n) {
        return service.getSession("app", "ana", "s", Optional.of(GetSessionConfig.builder().numRecentEvents(n).build()))
                .blockingGet();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void numRecentEvents_thatCutsBetweenACallAndItsResponse_readsTheCallToo(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreSessionService service = ConversationStoreSessionService.builder(store).build();
            Session session = service.createSession("app", "ana", Map.of(), "s").blockingGet();
            Event call = Events.call("call-1", "Lisbon");
            Event response = Events.response("call-1", "sunny");
            Event answer = Events.model("Sunny in Lisbon.");
            for (Event e : List.of(Events.user("weather?"), call, response, answer)) {
                service.appendEvent(session, e).blockingGet();
            }

            assertThat(ids(recent(service, 2))).containsExactly(call.id(), response.id(), answer.id());
            assertThat(ids(recent(service, 1))).containsExactly(answer.id()); // no response read: nothing added
            assertThat(ids(recent(service, 4))).hasSize(4);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void aResponseWhoseCallIsFarBack_andParallelCalls_areReadWithTheirCalls(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreSessionService service = ConversationStoreSessionService.builder(store).build();
            Session session = service.createSession("app", "ana", Map.of(), "s").blockingGet();
            Event longRunning = Events.call("slow-1", "Oslo");
            Event quick = Events.call("quick-1", "Rome");
            service.appendEvent(session, longRunning).blockingGet();
            service.appendEvent(session, quick).blockingGet();
            service.appendEvent(session, Events.response("quick-1", "rain")).blockingGet();
            for (int i = 0; i < 150; i++) { // more than one page back
                service.appendEvent(session, Events.model("meanwhile " + i)).blockingGet();
            }
            Event late = Events.response("slow-1", "snow");
            service.appendEvent(session, late).blockingGet();

            Session read = recent(service, 1);
            assertThat(ids(read)).containsExactly(longRunning.id(), late.id());
            assertThat(read.events().get(0).content().orElseThrow().parts().orElseThrow().get(0).functionCall()
                    .orElseThrow().id()).contains("slow-1");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void afterTimestamp_thatCutsBetweenACallAndItsResponse_readsTheCallToo(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreSessionService service = ConversationStoreSessionService.builder(store).build();
            Session session = service.createSession("app", "ana", Map.of(), "s").blockingGet();
            Event call = Events.call("call-1", "Lisbon").toBuilder().timestamp(1_000).build();
            Event response = Events.response("call-1", "sunny").toBuilder().timestamp(2_000).build();
            service.appendEvent(session, call).blockingGet();
            service.appendEvent(session, response).blockingGet();

            Session read = service.getSession("app", "ana", "s", Optional.of(GetSessionConfig.builder()
                    .afterTimestamp(Instant.ofEpochMilli(1_500)).build())).blockingGet();
            assertThat(ids(read)).containsExactly(call.id(), response.id());
        }
    }
}
