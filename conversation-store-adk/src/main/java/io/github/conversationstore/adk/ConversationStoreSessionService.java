package io.github.conversationstore.adk;

import com.google.adk.events.Event;
import com.google.adk.events.EventActions;
import com.google.adk.sessions.BaseSessionService;
import com.google.adk.sessions.GetSessionConfig;
import com.google.adk.sessions.ListEventsResponse;
import com.google.adk.sessions.ListSessionsResponse;
import com.google.adk.sessions.Session;
import com.google.adk.sessions.SessionException;
import com.google.adk.sessions.SessionNotFoundException;
import io.github.conversationstore.AppendRequest;
import io.github.conversationstore.AppendResult;
import io.github.conversationstore.ConversationHeader;
import io.github.conversationstore.ConversationNotFoundException;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.ConversationStoreException;
import io.github.conversationstore.Owner;
import io.github.conversationstore.SequenceMismatchException;
import io.reactivex.rxjava3.core.Completable;
import io.reactivex.rxjava3.core.Maybe;
import io.reactivex.rxjava3.core.Single;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentMap;

/**
 * A Google ADK {@link BaseSessionService} backed by a {@link ConversationStore}: sessions that
 * survive a restart and can be shared by several instances of an application, with the store's
 * guarantees.
 *
 * <p>Built with {@link #builder(ConversationStore)}:
 *
 * <!-- snippet file="io/github/conversationstore/adk/examples/AdkExamplesTest.java" region="session-service" -->
 * <pre>{@code
 * ConversationStore store = MongoConversationStore.builder()
 *         .connectionString(connectionString)
 *         .database("agents")
 *         .build();
 * BaseSessionService sessions = ConversationStoreSessionService.builder(store).build();
 * Runner runner = Runner.builder()
 *         .agent(agent)
 *         .appName("weather-app")
 *         .sessionService(sessions)
 *         .build();
 * }</pre>
 *
 * <p>What it stores and promises:
 * <ul>
 *   <li>A session (app name, user id, session id) is one conversation of the store, owned by
 *       {@code Owner.of(appName, userId)}; two users may each have a session of the same id, as in
 *       ADK's in-memory service. {@code createSession} of an id the user already has fails with
 *       {@link SessionException} (nothing written).</li>
 *   <li>Each event is one stored message, appended under an append id derived from the event id:
 *       a retried {@code appendEvent} is a duplicate, never a second event, and every reader sees
 *       the events of a session in one order, also when two instances append at once. The event's
 *       content parts become the store's parts (text, tool calls and results), which other
 *       readers of the store see as such; the event reads back equal to the one written (ADK pairs
 *       a function response with its call by id when it builds a model request).</li>
 *   <li>Session state is kept in the session's header: an event's session-scoped delta is merged
 *       key by key in the same atomic step as the event, so the state equals the deltas of the
 *       stored events applied in their order, and concurrent events that set different keys both
 *       keep theirs. {@code user:} and {@code app:} state live in a state conversation per user
 *       and per app, merged key by key the same way: two sessions of one user that write
 *       {@code user:} keys at once lose neither (for one key, the later write in that
 *       conversation's order wins). Those are written before the event, under append ids derived
 *       from the session and the event id: once an event can be read, its whole delta can be.
 *       {@code temp:} keys are never stored.</li>
 *   <li>{@code getSession} reads the header and then the events it accounts for, so the state and
 *       the events agree. {@code numRecentEvents} reads only those events, and {@code afterTimestamp}
 *       keeps those not before it, except that a function response read always comes with the
 *       event holding its call (read further back if need be), and that event with the responses
 *       of its other calls: ADK pairs them by id when it builds
 *       a model request. So a read may return more events than {@code numRecentEvents}.</li>
 *   <li>{@code appendEvent} changes the {@link Session} it is given only after the store
 *       acknowledged the write; when it fails the session is as it was. Appends through one
 *       {@code Session} object run one at a time, so its events are in the order they were stored.
 *       An append to a session deleted meanwhile (by another instance) is refused with
 *       {@link SessionNotFoundException} in the same atomic step as the write: it never starts the
 *       session anew. Nothing happens until the returned {@code Single} is subscribed to (as ADK's
 *       {@code Runner} does); subscribing again after a failure (RxJava's {@code retry}) repeats the
 *       same writes, which the store recognizes, also for {@code createSession}.</li>
 *   <li>A session's last update time is the timestamp of its last stored event (ADK stamps events
 *       with the clock of the JVM that made them), or its creation time on that JVM's clock while
 *       it has none; never the store's clock.</li>
 *   <li>{@code listSessions} reads the owner's conversations from the store's owner index, a page
 *       at a time; {@code deleteSession} is the store's erasure (final: a retried append of an
 *       erased event is refused, never stored again).</li>
 * </ul>
 *
 * <p>Errors: invalid arguments (a null id, an event without an id, a state key that is not a
 * string, a value that cannot be written as JSON, an event larger than the bounds) throw
 * {@link IllegalArgumentException} or {@link NullPointerException} and store nothing; an append to
 * a session that does not exist fails with {@link SessionNotFoundException}; the store's failures
 * come as {@link SessionException} with the store's {@link ConversationStoreException} as cause
 * (retry the same call with the same event when its cause is retryable).
 *
 * <p>Thread-safe; one instance serves every session of an application.
 *
 * @since 0.3
 */
public final class ConversationStoreSessionService implements BaseSessionService {
    private static final int PAGE = 1_000;

    private final ConversationStore store;
    private final SessionReader reader;
    private final StoreWrites writes;
    private final SessionUpdates updates;

    private ConversationStoreSessionService(Builder builder) {
        this.store = builder.store;
        this.reader = new SessionReader(builder.store);
        this.writes = new StoreWrites(builder.language, builder.maxEventBytes, builder.maxTextBytes);
        this.updates = new SessionUpdates(builder.store);
    }

    /**
     * Starts a builder.
     *
     * @param store where sessions are kept
     * @return a builder
     * @throws NullPointerException if {@code store} is null
     */
    public static Builder builder(ConversationStore store) {
        return new Builder(store);
    }

    /**
     * Creates a session, as {@link #createSession(String, String, Map, String)} does.
     *
     * @param appName the application
     * @param userId the user
     * @param state the initial state, or null
     * @param sessionId the session id, or null or blank for a new random one
     * @return the session, when subscribed to
     * @deprecated ADK's own deprecated overload; use {@link #createSession(String, String, Map, String)}
     */
    @Deprecated
    @Override
    public Single<Session> createSession(String appName, String userId, ConcurrentMap<String, Object> state,
            String sessionId) {
        return createSession(appName, userId, (Map<String, Object>) state, sessionId);
    }

    /**
     * Creates a session: its first stored message marks it, and its initial state is written in the
     * same atomic step ({@code user:} and {@code app:} keys to the user's and the app's state, after
     * it; {@code temp:} keys not at all).
     *
     * @param appName the application
     * @param userId the user
     * @param state the initial state, or null
     * @param sessionId the session id, or null or blank for a new random one
     * @return the session with its state (also the user's and the app's), when subscribed to; it
     *     fails with {@link SessionException} if the user already has a session of that id
     */
    @Override
    public Single<Session> createSession(String appName, String userId, Map<String, Object> state, String sessionId) {
        Objects.requireNonNull(appName, "appName");
        Objects.requireNonNull(userId, "userId");
        String id = sessionId == null || sessionId.trim().isEmpty() ? UUID.randomUUID().toString() : sessionId.trim();
        String storeId = StoreKeys.session(appName, userId, id);
        StateCodec.Split split = StateCodec.split("state", state);
        // every request built (and so checked by the store's rules) before the first write
        AppendRequest create = writes.creation(appName, userId, id, split, Instant.now());
        List<AppendRequest> shared = writes.shared(appName, userId, split, "create/" + storeId + "/" + UUID.randomUUID());
        return Single.fromCallable(() -> call(() -> {
            try {
                store.appendMessages(create);
            } catch (SequenceMismatchException e) {
                throw new SessionException("session '" + id + "' of user '" + userId + "' in app '" + appName
                        + "' already exists", e);
            }
            shared.forEach(store::appendMessages);
            return reader.read(appName, userId, id, Optional.of(GetSessionConfig.builder().numRecentEvents(0).build()))
                    .orElseThrow(() -> new SessionNotFoundException("session '" + id + "' was deleted while created"));
        }));
    }

    /**
     * Reads a session: its state (with the user's and the app's) and its events, filtered as ADK's
     * in-memory service filters them (the last {@code numRecentEvents}, then those not before
     * {@code afterTimestamp}).
     *
     * @param appName the application
     * @param userId the user
     * @param sessionId the session id
     * @param config which events to read
     * @return the session, or empty if the user has no session of that id, when subscribed to
     */
    @Override
    public Maybe<Session> getSession(String appName, String userId, String sessionId, Optional<GetSessionConfig> config) {
        Objects.requireNonNull(appName, "appName");
        Objects.requireNonNull(userId, "userId");
        Objects.requireNonNull(sessionId, "sessionId");
        Objects.requireNonNull(config, "config");
        config.flatMap(GetSessionConfig::numRecentEvents).ifPresent(n -> {
            if (n < 0) {
                throw new IllegalArgumentException("numRecentEvents must not be negative, was " + n);
            }
        });
        return Maybe.defer(() -> call(() -> reader.read(appName, userId, sessionId, config))
                .map(Maybe::just).orElseGet(Maybe::empty));
    }

    /**
     * Lists a user's sessions with their state and without events, from the store's owner listing.
     *
     * @param appName the application
     * @param userId the user
     * @return the sessions, by session id as the store orders them, when subscribed to
     */
    @Override
    public Single<ListSessionsResponse> listSessions(String appName, String userId) {
        Objects.requireNonNull(appName, "appName");
        Objects.requireNonNull(userId, "userId");
        return Single.fromCallable(() -> call(() -> {
            Owner owner = StoreKeys.owner(appName, userId);
            String prefix = StoreKeys.sessionPrefix(appName, userId);
            Map<String, Object> shared = reader.sharedState(appName, userId);
            List<Session> sessions = new ArrayList<>();
            String after = null;
            while (true) {
                List<ConversationHeader> page = store.listConversations(owner, after, PAGE);
                for (ConversationHeader header : page) {
                    if (header.sessionId().startsWith(prefix) && header.attributes().containsKey(StateCodec.SESSION_MARK)) {
                        sessions.add(SessionReader.session(appName, userId, StoreKeys.sessionIdOf(header.sessionId(), prefix), header,
                                shared, new ArrayList<>()));
                    }
                }
                if (page.size() < PAGE) {
                    break;
                }
                after = page.get(page.size() - 1).sessionId();
            }
            return ListSessionsResponse.builder().sessions(sessions).build();
        }));
    }

    /**
     * Deletes a session with every event: the store's erasure. Deleting a session that does not
     * exist does nothing (as ADK's in-memory service), so a retry after a lost reply is safe. The
     * user's and the app's state stay.
     *
     * @param appName the application
     * @param userId the user
     * @param sessionId the session id
     * @return completes once erased, when subscribed to
     */
    @Override
    public Completable deleteSession(String appName, String userId, String sessionId) {
        Objects.requireNonNull(appName, "appName");
        Objects.requireNonNull(userId, "userId");
        Objects.requireNonNull(sessionId, "sessionId");
        String storeId = StoreKeys.session(appName, userId, sessionId);
        return Completable.fromCallable(() -> call(() -> store.deleteConversation(storeId)));
    }

    /**
     * Lists every event of a session, oldest first.
     *
     * @param appName the application
     * @param userId the user
     * @param sessionId the session id
     * @return the events (none for a session that does not exist, as ADK's in-memory service), when
     *     subscribed to
     */
    @Override
    public Single<ListEventsResponse> listEvents(String appName, String userId, String sessionId) {
        Objects.requireNonNull(appName, "appName");
        Objects.requireNonNull(userId, "userId");
        Objects.requireNonNull(sessionId, "sessionId");
        return Single.fromCallable(() -> call(() -> ListEventsResponse.builder()
                .events(reader.read(appName, userId, sessionId, Optional.empty()).map(Session::events).orElse(List.of()))
                .build()));
    }

    /**
     * Stores an event, then applies it to {@code session} as ADK's in-memory service does (its state
     * delta into the session's state, {@code temp:} keys included there but never stored; the event
     * onto its events; its timestamp as the last update). A partial event is returned as it is and not stored. An event
     * already stored (a retry) is not stored again, and is added to {@code session} only if it is
     * not there yet: at its stored place, before the events of {@code session} stored after it,
     * whose timestamps it does not override, with the keys of its delta taken as stored (so the
     * object agrees with a fresh read also when a retry comes after later events were stored).
     *
     * @param session the session the event belongs to; changed only after the write succeeded
     * @param event the event; its id is required
     * @return the event, when subscribed to
     * @throws NullPointerException if {@code session}, {@code event} or one of the session's keys is null
     * @throws IllegalArgumentException if the event has no id, breaks a bound, or its delta holds a key the
     *     store refuses (nothing stored: every write of the call is checked before the first)
     */
    @Override
    public Single<Event> appendEvent(Session session, Event event) {
        Objects.requireNonNull(session, "session");
        Objects.requireNonNull(event, "event");
        String appName = Objects.requireNonNull(session.appName(), "session.appName");
        String userId = Objects.requireNonNull(session.userId(), "session.userId");
        String sessionId = Objects.requireNonNull(session.id(), "session.id");
        if (event.partial().orElse(false)) {
            return Single.just(event);
        }
        if (event.id() == null || event.id().isBlank()) {
            throw new IllegalArgumentException("event.id must not be null or blank: an event is stored once by its id");
        }
        String storeId = StoreKeys.session(appName, userId, sessionId);
        EventActions actions = event.actions();
        StateCodec.Split split = StateCodec.split("event.actions.stateDelta", actions == null ? null : actions.stateDelta());
        // every request built (and so checked by the store's rules) before the first write: a key the
        // store refuses must not leave the user:/app: part of the delta written
        AppendRequest request = writes.event(appName, userId, sessionId, event, split);
        List<AppendRequest> shared = writes.shared(appName, userId, split, "event/" + storeId + "/" + event.id());
        return Single.fromCallable(() -> call(() -> {
            // one append at a time per Session object: its events are added in the order they were stored
            synchronized (session) {
                // the append requires the session to exist, in its own atomic step: a separate check is needed
                // only before a user:/app: part, which must not be written for a session that does not exist
                if (!shared.isEmpty() && store.findConversation(storeId)
                        .filter(h -> h.attributes().containsKey(StateCodec.SESSION_MARK)).isEmpty()) {
                    throw notFound(appName, userId, sessionId);
                }
                boolean sharedRepeated = false;
                for (AppendRequest write : shared) {
                    sharedRepeated |= store.appendMessages(write).duplicate();
                }
                AppendResult result;
                try {
                    result = store.appendMessages(request);
                } catch (ConversationNotFoundException deleted) {
                    throw notFound(appName, userId, sessionId); // never created, or deleted (also after the check)
                }
                updates.apply(session, storeId, event, result, sharedRepeated, () -> reader.read(appName, userId, sessionId,
                        Optional.of(GetSessionConfig.builder().numRecentEvents(0).build())).map(Session::state));
                return event;
            }
        }));
    }

    private static SessionNotFoundException notFound(String appName, String userId, String sessionId) {
        return new SessionNotFoundException(String.format(Locale.ROOT, "no session '%s' of user '%s' in app '%s'",
                sessionId, userId, appName));
    }

    /** Runs a store call, giving the store's failures to ADK as {@link SessionException}. */
    private static <T> T call(Callable<T> work) throws Exception {
        try {
            return work.call();
        } catch (ConversationStoreException e) {
            throw new SessionException(e.getMessage(), e);
        }
    }

    /**
     * Configures a {@link ConversationStoreSessionService}. Not thread-safe.
     *
     * @since 0.3
     */
    public static final class Builder {
        private final ConversationStore store;
        private String language = "und";
        private long maxEventBytes = ConversationStore.DEFAULT_MAX_MESSAGE_BYTES - 16 * 1024;
        private long maxTextBytes = ConversationStore.DEFAULT_MAX_TEXT_BYTES;

        private Builder(ConversationStore store) {
            this.store = Objects.requireNonNull(store, "store");
        }

        /**
         * The language recorded on the conversations this service creates (default {@code und}).
         *
         * @param tag a BCP 47 tag
         * @return this builder
         * @throws NullPointerException if {@code tag} is null
         */
        public Builder language(String tag) {
            this.language = Objects.requireNonNull(tag, "language");
            return this;
        }

        /**
         * The largest event accepted, as stored (estimated from its strings in UTF-8); default the
         * store's default message bound less 16 KiB. Set it below the store's {@code maxMessageBytes}
         * when that is changed: a larger event is refused before anything is written.
         *
         * @param bytes the bound, positive
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes} is not positive
         */
        public Builder maxEventBytes(long bytes) {
            this.maxEventBytes = positive("maxEventBytes", bytes);
            return this;
        }

        /**
         * The most text (the event's text parts together, UTF-8) an event may hold; default the
         * store's default {@code maxTextBytes}. Keep it at most the store's.
         *
         * @param bytes the bound, positive
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes} is not positive
         */
        public Builder maxTextBytes(long bytes) {
            this.maxTextBytes = positive("maxTextBytes", bytes);
            return this;
        }

        /**
         * Builds the service.
         *
         * @return the service
         */
        public ConversationStoreSessionService build() {
            return new ConversationStoreSessionService(this);
        }

        private static long positive(String name, long value) {
            if (value <= 0) {
                throw new IllegalArgumentException(name + " must be positive, was " + value);
            }
            return value;
        }
    }
}
