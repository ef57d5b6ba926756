package io.github.conversationstore.examples;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.github.conversationstore.AppendConflictException;
import io.github.conversationstore.ConversationBusyException;
import io.github.conversationstore.ConversationHeader;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.ConversationStoreException;
import io.github.conversationstore.Message;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.ReplyFailedException;
import io.github.conversationstore.StoredMessage;
import io.github.conversationstore.TurnRequest;
import io.github.conversationstore.TurnResult;
import io.github.conversationstore.TurnService;
import io.github.conversationstore.observability.MicrometerStoreListener;
import io.github.conversationstore.spi.ReplyFollower;
import io.github.conversationstore.spi.ReplyProvider;
import io.github.conversationstore.spi.StreamingReplyProvider;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP chat server mirroring the original backend's text route, with a small browser page:
 * <ul>
 *   <li>{@code POST /api/chat} with {@code {"sessionId", "language", "text"}} (and optionally
 *       {@code "turnId"} to make a retry safe) answers {@code {"sessionId", "reply",
 *       "grammarSuggestion", "translation", "userSequence", "replySequence", "turnId", "finishReason"}};</li>
 *   <li>{@code POST /api/chat/stream} with the same body and a {@code "turnId"} answers
 *       {@code text/event-stream}: {@code delta} events ({@code {"text"}}, their id the offset
 *       after them in Unicode code points of the reply's text), {@code restart} (id 0) when the
 *       tutor starts the reply again, then {@code done} with {@code /api/chat}'s answer, or
 *       {@code error} with the JSON error and its {@code "status"}. The turn runs on a thread of
 *       the server and finishes when the client leaves;</li>
 *   <li>{@code GET /api/chat/stream?sessionId=...&turnId=...} with {@code Last-Event-ID} (or
 *       {@code lastEventId}) gives the same turn's events after that offset: from the turn's draft
 *       ({@link TurnService#followTurn}), or from the stored reply once it ended; a turn whose reply
 *       is missing and that does not run here is resumed by its id;</li>
 *   <li>{@code POST /api/chat/stop} with {@code {"sessionId", "turnId"}} asks the turn to stop
 *       ({@link TurnService#stop}) and answers {@code {"stopped": true|false}};</li>
 *   <li>{@code GET /api/history?sessionId=...} answers the stored conversation (a turn's user
 *       message and reply with their {@code turnId}, replies with their {@code finishReason});</li>
 *   <li>{@code GET /metrics} answers the store's and the turns' meters in Prometheus text format;</li>
 *   <li>{@code GET /} serves the page.</li>
 * </ul>
 * Every error is a JSON object {@code {"error": "..."}}: invalid JSON (trailing text included) or
 * fields 400 (a numeric {@code turnId} too: turn ids are strings), naming the field at fault in
 * {@code "field"} ({@code sessionId}, {@code language}, {@code text} or {@code turnId}) and in the
 * message, never a path of the library's own model; a body over 512 KiB 413; a busy
 * session 409; a {@code turnId} reused with another text 409; a {@code language} other than the
 * one an existing session was started in 409 (the stored language is kept: start a new session to
 * change it); a failed provider 502; a wrong method 405 with an {@code Allow} header.
 * An unknown turn on {@code GET /api/chat/stream} is 404, a {@code Last-Event-ID} that is not a
 * number of 0 or more 400, both naming the field.
 * Runs on {@code PORT} (default 8080); {@code MONGODB_URI} selects a server, else an embedded one;
 * the offline tutor waits {@code TUTOR_WORD_DELAY_MS} (default 150) before each word it streams.
 */
public final class ChatServer implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    /** Largest request body: a text of 65,536 bytes fits even with every character escaped. */
    static final int MAX_BODY_BYTES = 512 * 1024;
    /** Largest rest of a too large body that is read and dropped before the 413 answer. */
    private static final long MAX_DRAINED_BYTES = 64L * 1024 * 1024;

    private final HttpServer http;
    /** Answers requests; a stream holds one for as long as it is open. */
    private final ExecutorService workers = Executors.newFixedThreadPool(64, daemons("chat-http"));
    /** Runs the turns of streams: a turn goes on when its client leaves. */
    private final ExecutorService turnThreads = Executors.newFixedThreadPool(16, daemons("chat-turn"));
    /** Follows a turn's draft for each open stream. */
    private final ExecutorService followerThreads = Executors.newCachedThreadPool(daemons("chat-follow"));
    private final Map<String, Running> running = new ConcurrentHashMap<>();
    private final ConversationStore store;
    private final TurnService turns;
    /** The branch endpoints: edit, regenerate, and a conversation's family. */
    private final ChatBranches branches;
    /** Whether the provider streams: then a stream's reply comes from the turn's draft. */
    private final boolean streaming;
    /** The turn service's default: at most four draft writes a second per streaming turn. */
    private static final Duration DRAFT_INTERVAL = Duration.ofMillis(250);
    private final PrometheusMeterRegistry metrics;

    private ChatServer(int port, ConversationStore store, ReplyProvider provider, PrometheusMeterRegistry metrics,
            MicrometerStoreListener meters, Duration draftInterval) throws IOException {
        this.store = store;
        this.metrics = metrics;
        this.streaming = provider instanceof StreamingReplyProvider;
        this.branches = new ChatBranches(this, store);
        this.turns = TurnService.builder(store).provider(branches.watching(provider)).replyTimeout(Duration.ofSeconds(60)).listener(meters)
                .draftInterval(draftInterval)
                .build();
        this.http = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
        http.createContext("/api/chat", answeringErrors(this::chat));
        http.createContext("/api/chat/stream", answeringErrors(this::chatStream));
        http.createContext("/api/chat/stop", answeringErrors(this::stopTurn));
        http.createContext("/api/history", answeringErrors(this::history));
        http.createContext("/api/branches", answeringErrors(branches::family));
        http.createContext("/api/branches/edit", answeringErrors(exchange -> branches.branch(exchange, ChatBranches.EDIT)));
        http.createContext("/api/branches/regenerate",
                answeringErrors(exchange -> branches.branch(exchange, ChatBranches.REGENERATE)));
        http.createContext("/metrics", answeringErrors(this::metrics));
        http.createContext("/", answeringErrors(this::page));
        http.setExecutor(workers);
        http.start();
    }

    /**
     * Starts a server on this port (0 for any free one) over this store and provider.
     *
     * @param port the port
     * @param store the store
     * @param provider the tutor
     * @return the running server
     * @throws IOException if the port cannot be bound
     */
    static ChatServer start(int port, ConversationStore store, ReplyProvider provider) throws IOException {
        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        return new ChatServer(port, store, provider, metrics, MicrometerStoreListener.create(metrics), DRAFT_INTERVAL);
    }

    /**
     * Starts a server whose turns write their drafts at most this often (a stream's deltas come
     * as often: tests make it short).
     *
     * @param port the port
     * @param store the store
     * @param provider the tutor
     * @param draftInterval the shortest time between two draft writes of a turn
     * @return the running server
     * @throws IOException if the port cannot be bound
     */
    static ChatServer start(int port, ConversationStore store, ReplyProvider provider, Duration draftInterval)
            throws IOException {
        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        return new ChatServer(port, store, provider, metrics, MicrometerStoreListener.create(metrics), draftInterval);
    }

    /**
     * Starts a server whose {@code /metrics} shows this registry, where {@code meters} records (the
     * store should have been built with the same listener, so that its appends and reads show too).
     *
     * @param port the port
     * @param store the store
     * @param provider the tutor
     * @param metrics the registry {@code /metrics} shows
     * @param meters the listener the turn service reports to
     * @return the running server
     * @throws IOException if the port cannot be bound
     */
    static ChatServer start(int port, ConversationStore store, ReplyProvider provider, PrometheusMeterRegistry metrics,
            MicrometerStoreListener meters) throws IOException {
        return new ChatServer(port, store, provider, metrics, meters, DRAFT_INTERVAL);
    }

    int port() {
        return http.getAddress().getPort();
    }

    public static void main(String[] args) {
        try {
            int port = Integer.parseInt(args.length > 0 ? args[0] : System.getenv().getOrDefault("PORT", "8080"));
            String uri = System.getenv("MONGODB_URI");
            EmbeddedServer embedded = uri == null || uri.isBlank() ? EmbeddedServer.inMemory() : null;
            ReplyProvider provider = Providers.fromEnvironment();
            if (provider instanceof OfflineTutor) {
                // slow enough to watch it stream, to stop it, or to reload the page in the middle
                String delay = System.getenv().getOrDefault("TUTOR_WORD_DELAY_MS", "150");
                try {
                    provider = new OfflineTutor(Duration.ofMillis(Long.parseLong(delay.strip())));
                } catch (IllegalArgumentException e) {
                    System.err.println("error: TUTOR_WORD_DELAY_MS must be a number of milliseconds, 0 or more, was '"
                            + delay + "'");
                    System.exit(1);
                    return;
                }
            }
            PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            MicrometerStoreListener meters = MicrometerStoreListener.create(metrics);
            ConversationStore store = MongoConversationStore.builder()
                    .connectionString(embedded == null ? uri : embedded.connectionString()).database("chat")
                    .listener(meters).build();
            ChatServer server = start(port, store, provider, metrics, meters);
            System.out.println("Chat server on http://127.0.0.1:" + server.port() + "/ with " + Providers.describe(provider)
                    + (embedded == null ? ", MongoDB at MONGODB_URI" : ", embedded MongoDB-compatible server")
                    + "; metrics at /metrics. Ctrl-C stops it.");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                server.close();
                store.close();
                if (embedded != null) {
                    embedded.close();
                }
            }));
        } catch (NumberFormatException e) {
            System.err.println("error: the port must be a number: " + e.getMessage());
            System.exit(1);
        } catch (IOException | RuntimeException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(1);
        }
    }

    private void chat(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!"/api/chat".equals(exchange.getRequestURI().getPath())) {
                send(exchange, 404, error("not found: " + exchange.getRequestURI().getPath()));
                return;
            }
            if (!"POST".equals(exchange.getRequestMethod())) {
                refuseMethod(exchange, "POST", "use POST with a JSON body {sessionId, language, text}");
                return;
            }
            TurnRequest request = readTurn(exchange, false);
            if (request == null) {
                return;
            }
            TurnResult turn;
            try {
                turn = turns.respond(request);
            } catch (RuntimeException e) {
                Failure failure = failure(e, request.turnId());
                send(exchange, failure.status(), failure.body());
                return;
            }
            send(exchange, 200, replyJson(request.sessionId(), turn.turnId(), turn.userMessage().sequence(), turn.reply()));
        }
    }

    /**
     * Reads and checks the body of a chat request, and the session's language; answers the error
     * and returns null when the request is refused.
     *
     * @param turnIdRequired whether {@code turnId} must be given (a stream is resumed by it)
     */
    private TurnRequest readTurn(HttpExchange exchange, boolean turnIdRequired) throws IOException {
        JsonNode body = readObject(exchange, "{sessionId, language, text" + (turnIdRequired ? ", turnId}" : "}"));
        if (body == null) {
            return null;
        }
        Map<String, String> fields = new HashMap<>();
        for (String name : List.of("sessionId", "language", "text")) {
            JsonNode value = body.get(name);
            if (value == null || !value.isTextual()) {
                send(exchange, 400, error(name + " is required and must be a string").put("field", name));
                return null;
            }
            fields.put(name, value.asText());
        }
        if (fields.get("text").isBlank()) {
            send(exchange, 400, error("text must not be blank").put("field", "text"));
            return null;
        }
        JsonNode turnId = body.get("turnId");
        if (turnIdRequired && turnId == null) {
            send(exchange, 400, error("turnId is required and must be a string: a stream is resumed by it")
                    .put("field", "turnId"));
            return null;
        }
        if (turnId != null && !turnId.isTextual()) {
            send(exchange, 400, error("turnId must be a string" + (turnIdRequired ? "" : " when given"))
                    .put("field", "turnId"));
            return null;
        }
        try {
            TurnRequest request = turnId != null
                    ? new TurnRequest(fields.get("sessionId"), fields.get("language"), fields.get("text"), turnId.asText())
                    : TurnRequest.of(fields.get("sessionId"), fields.get("language"), fields.get("text"));
            Optional<String> otherLanguage = store.findConversation(request.sessionId())
                    .map(ConversationHeader::language)
                    .filter(stored -> !stored.equalsIgnoreCase(request.language()));
            if (otherLanguage.isPresent()) {
                send(exchange, 409, error("session '" + request.sessionId() + "' is in " + otherLanguage.get()
                        + ", not " + request.language() + ": start a new session to change the language")
                        .put("language", otherLanguage.get()));
                return null;
            }
            return request;
        } catch (RuntimeException e) {
            Failure failure = failure(e, turnId == null ? null : turnId.asText());
            send(exchange, failure.status(), failure.body());
            return null;
        }
    }

    /** An HTTP status and a JSON error body. */
    /**
     * The request's body as a JSON object, or null once the error is sent: 413 beyond
     * {@link #MAX_BODY_BYTES}, 400 for invalid JSON or a body that is not an object of this {@code shape}.
     */
    static JsonNode readObject(HttpExchange exchange, String shape) throws IOException {
        byte[] raw = readBody(exchange);
        if (raw == null) {
            send(exchange, 413, error("the request body is larger than " + MAX_BODY_BYTES + " bytes"));
            return null;
        }
        JsonNode body;
        try {
            body = JSON.readTree(raw);
        } catch (JsonProcessingException e) {
            send(exchange, 400, error("invalid JSON: " + describe(e)));
            return null;
        }
        if (body == null || !body.isObject()) {
            send(exchange, 400, error("the body must be a JSON object " + shape));
            return null;
        }
        return body;
    }

    record Failure(int status, ObjectNode body) {}

    /** What a failed turn answers: the same for {@code /api/chat} and a stream's {@code error} event. */
    static Failure failure(Throwable e, String turnId) {
        if (e instanceof IllegalArgumentException) {
            return new Failure(400, rejected(e.getMessage()));
        } else if (e instanceof ConversationBusyException) {
            return new Failure(409, error(e.getMessage()));
        } else if (e instanceof AppendConflictException) {
            return new Failure(409, error("turnId '" + turnId + "' was used before with other text:"
                    + " send a new turnId with a new message"));
        } else if (e instanceof ReplyFailedException r) {
            return new Failure(502, error(e.getMessage()).put("turnId", r.turnId()).put("retryable", r.isRetryable()));
        } else if (e instanceof ConversationStoreException) {
            return new Failure(503, error(e.getMessage()));
        }
        return new Failure(500, error("internal error: " + e));
    }

    /** The reply of {@code /api/chat}, and the data of a stream's {@code done} event. */
    static ObjectNode replyJson(String sessionId, String turnId, long userSequence, StoredMessage reply) {
        return JSON.createObjectNode()
                .put("sessionId", sessionId)
                .put("turnId", turnId)
                .put("reply", reply.text())
                .put("grammarSuggestion", reply.message().attribute(TutorAttributes.GRAMMAR_SUGGESTION).orElse(""))
                .put("translation", reply.message().attribute(TutorAttributes.TRANSLATION).orElse(""))
                .put("userSequence", userSequence)
                .put("replySequence", reply.sequence())
                .put("finishReason", String.valueOf(reply.message().metadata().getOrDefault(Message.FINISH_REASON, "")));
    }

    /** {@code POST /api/chat/stream} starts (or joins) a turn; {@code GET} resumes its events. */
    private void chatStream(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!"/api/chat/stream".equals(exchange.getRequestURI().getPath())) {
                send(exchange, 404, error("not found: " + exchange.getRequestURI().getPath()));
                return;
            }
            if ("GET".equals(exchange.getRequestMethod())) {
                resume(exchange);
                return;
            }
            if (!"POST".equals(exchange.getRequestMethod())) {
                refuseMethod(exchange, "GET, POST", "use POST with a JSON body {sessionId, language, text, turnId},"
                        + " or GET /api/chat/stream?sessionId=...&turnId=... with Last-Event-ID to resume");
                return;
            }
            TurnRequest request = readTurn(exchange, true);
            if (request == null) {
                return;
            }
            Running turn = start(request, false);
            if (!turn.request().userText().equals(request.userText())) {
                send(exchange, 409, error("turnId '" + request.turnId() + "' is running with other text:"
                        + " send a new turnId with a new message"));
                return;
            }
            follow(SseStream.open(exchange), request.sessionId(), request.turnId(), 0, turn);
        }
    }

    /**
     * {@code GET /api/chat/stream?sessionId=...&turnId=...} with {@code Last-Event-ID} (or
     * {@code lastEventId}): the turn's events after that offset. A turn that ended is answered from
     * its stored reply; a turn that runs here is followed; a turn that has no reply and runs nowhere
     * here (this process started after it, or it failed) is resumed by its id, with its stored text.
     */
    private void resume(HttpExchange exchange) throws IOException {
        Map<String, String> query = query(exchange);
        for (String name : List.of("sessionId", "turnId")) {
            String value = query.get(name);
            if (value == null || value.isBlank()) {
                send(exchange, 400, error(name + " is required: GET /api/chat/stream?sessionId=...&turnId=..."
                        + " with a Last-Event-ID header").put("field", name));
                return;
            }
        }
        String sessionId = query.get("sessionId");
        String turnId = query.get("turnId");
        String header = exchange.getRequestHeaders().getFirst("Last-Event-ID");
        String field = header != null ? "Last-Event-ID" : "lastEventId";
        String raw = header != null ? header.strip() : query.getOrDefault("lastEventId", "0").strip();
        if (!raw.matches("[0-9]{1,18}")) {
            send(exchange, 400, error(field + " must be the id of an event this stream sent: a number of 0 or more,"
                    + " was '" + raw + "'").put("field", field));
            return;
        }
        long offset = Long.parseLong(raw);
        try {
            new TurnRequest(sessionId, "en", "resume", turnId); // checks both ids
            Running running = this.running.get(key(sessionId, turnId));
            if (running == null) {
                Optional<ConversationHeader> conversation = store.findConversation(sessionId);
                Turn stored = conversation.isEmpty() ? null : findTurn(sessionId, turnId);
                if (stored == null) {
                    send(exchange, 404, error("no turn '" + turnId + "' in session '" + sessionId + "'")
                            .put("field", "turnId"));
                    return;
                }
                if (stored.reply() != null) {
                    SseStream sse = SseStream.open(exchange);
                    delta(sse, stored.reply().text(), offset);
                    sse.event("done", null, replyJson(sessionId, turnId, stored.user().sequence(), stored.reply()));
                    return;
                }
                running = start(new TurnRequest(sessionId, conversation.get().language(), stored.user().text(), turnId), true);
            }
            follow(SseStream.open(exchange), sessionId, turnId, offset, running);
        } catch (RuntimeException e) {
            if (exchange.getResponseCode() != -1) {
                throw e;
            }
            Failure failure = failure(e, turnId);
            send(exchange, failure.status(), failure.body());
        }
    }

    /** {@code POST /api/chat/stop} with {@code {sessionId, turnId}}: asks a streaming turn to stop. */
    private void stopTurn(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!"POST".equals(exchange.getRequestMethod())) {
                refuseMethod(exchange, "POST", "use POST with a JSON body {sessionId, turnId}");
                return;
            }
            JsonNode body = readObject(exchange, "{sessionId, turnId}");
            if (body == null) {
                return;
            }
            for (String name : List.of("sessionId", "turnId")) {
                JsonNode value = body.get(name);
                if (value == null || !value.isTextual()) {
                    send(exchange, 400, error(name + " is required and must be a string").put("field", name));
                    return;
                }
            }
            try {
                boolean stopped = turns.stop(body.get("sessionId").asText(), body.get("turnId").asText());
                send(exchange, 200, JSON.createObjectNode().put("stopped", stopped));
            } catch (RuntimeException e) {
                Failure failure = failure(e, body.get("turnId").asText());
                send(exchange, failure.status(), failure.body());
            }
        }
    }

    /** A turn running in this process, started by a stream (or a resume, or a branch). */
    record Running(TurnRequest request, CompletableFuture<TurnResult> result, boolean resumed) {}

    static String key(String sessionId, String turnId) {
        return sessionId + "\n" + turnId; // ids hold no control characters
    }

    /** The turn service the server's turns run on. */
    TurnService turns() {
        return turns;
    }

    /** Runs a task on a turn thread: it runs to its end whatever its streams do. */
    void runTurn(Runnable task) {
        turnThreads.execute(task);
    }

    /**
     * Makes a turn running here (a branch's) known to {@code GET /api/chat/stream} until it ends, so
     * that a client that comes back follows it rather than resuming it.
     */
    Running track(TurnRequest request, CompletableFuture<TurnResult> result) {
        String key = key(request.sessionId(), request.turnId());
        Running turn = running.computeIfAbsent(key, k -> new Running(request, result, false));
        result.whenComplete((done, failed) -> running.remove(key, turn));
        return turn;
    }

    /**
     * Starts the turn on a turn thread, where it runs to its end whatever its streams do; or returns
     * the one already running here with this id.
     */
    private Running start(TurnRequest request, boolean resumed) {
        String key = key(request.sessionId(), request.turnId());
        return running.computeIfAbsent(key, k -> {
            CompletableFuture<TurnResult> result = new CompletableFuture<>();
            Running turn = new Running(request, result, resumed);
            turnThreads.execute(() -> {
                try {
                    result.complete(turns.respond(request));
                } catch (Throwable e) {
                    result.completeExceptionally(e);
                } finally {
                    running.remove(k, turn);
                }
            });
            return turn;
        });
    }

    /**
     * The turn id of a turn's user message or final reply (their ids are the turn service's append
     * ids {@code turnId + ":user"} and {@code turnId + ":reply"}): a page matches a pending stream
     * with the history by it.
     */
    private static Optional<String> turnIdOf(StoredMessage m) {
        String id = m.message().id();
        for (String suffix : List.of(":user", ":reply")) {
            if (id.endsWith(suffix) && id.length() > suffix.length()) {
                return Optional.of(id.substring(0, id.length() - suffix.length()));
            }
        }
        return Optional.empty();
    }

    /** A turn's stored user message, and its reply or null. */
    private record Turn(StoredMessage user, StoredMessage reply) {}

    /**
     * Finds a turn's messages among the session's last {@value #TURN_SEARCH} by their ids (the turn
     * service's append ids, {@code turnId + ":user"} and {@code turnId + ":reply"}); null if its user
     * message is not there.
     */
    private Turn findTurn(String sessionId, String turnId) {
        StoredMessage user = null;
        StoredMessage reply = null;
        for (StoredMessage m : store.recentMessages(sessionId, TURN_SEARCH)) {
            if (m.message().id().equals(turnId + ":user")) {
                user = m;
            } else if (m.message().id().equals(turnId + ":reply")) {
                reply = m;
            }
        }
        return user == null ? null : new Turn(user, reply);
    }

    private static final int TURN_SEARCH = 256;
    /** How long a stream follows a turn at most. */
    private static final Duration FOLLOW_LIMIT = Duration.ofMinutes(10);
    /** How long after its turn succeeded a stream waits for the stored reply in the draft. */
    private static final long END_GRACE_NANOS = Duration.ofSeconds(1).toNanos();
    private static final long KEEP_ALIVE_NANOS = Duration.ofSeconds(5).toNanos();

    /** What the follower thread of a stream hands to the thread that writes it. */
    private sealed interface Followed permits Delta, Restart, Ended, Broken {}

    private record Delta(String text) implements Followed {}

    private record Restart() implements Followed {}

    private record Ended(Optional<StoredMessage> reply) implements Followed {}

    private record Broken(RuntimeException failure) implements Followed {}

    /**
     * Writes a turn's events from {@code offset} on until its reply is stored (then {@code done}) or
     * it failed ({@code error}): {@link TurnService#followTurn} runs on a thread of its own, and
     * this thread writes what it gives, and watches the turn. A client that left ends the stream
     * here, never the turn.
     */
    void follow(SseStream sse, String sessionId, String turnId, long offset, Running turn) {
        BlockingQueue<Followed> followed = new LinkedBlockingQueue<>();
        // a provider that does not stream writes no draft: its turn's own reply is all there is
        Future<?> follower = !streaming ? CompletableFuture.completedFuture(null) : followerThreads.submit(() -> {
            try {
                followed.add(new Ended(turns.followTurn(sessionId, turnId, offset, new ReplyFollower() {
                    @Override
                    public void delta(String text) {
                        followed.add(new Delta(text));
                    }

                    @Override
                    public void restarted() {
                        followed.add(new Restart());
                    }
                }, FOLLOW_LIMIT)));
            } catch (RuntimeException e) {
                followed.add(new Broken(e));
            }
        });
        long sent = offset;
        long lastWrite = System.nanoTime();
        long succeededAt = 0;
        CompletableFuture<TurnResult> result = turn.result();
        try {
            while (true) {
                Followed next = followed.poll(100, TimeUnit.MILLISECONDS);
                if (next instanceof Delta d) {
                    sent += d.text().codePointCount(0, d.text().length());
                    sse.event("delta", String.valueOf(sent), JSON.createObjectNode().put("text", d.text()));
                    lastWrite = System.nanoTime();
                    continue;
                } else if (next instanceof Restart) {
                    sent = 0;
                    sse.event("restart", "0", JSON.createObjectNode());
                    lastWrite = System.nanoTime();
                    continue;
                } else if (next instanceof Ended ended && ended.reply().isPresent()) {
                    StoredMessage reply = ended.reply().get();
                    Turn stored = findTurn(sessionId, turnId);
                    sse.event("done", null, replyJson(sessionId, turnId, stored == null ? -1 : stored.user().sequence(), reply));
                    return;
                } else if (next instanceof Ended) {
                    if (result == null || !result.isDone()) {
                        sse.event("error", null, error("the reply was not stored within " + FOLLOW_LIMIT.toMinutes()
                                + " minutes, or the conversation was deleted").put("status", 504));
                        return;
                    }
                } else if (next instanceof Broken broken) {
                    Failure failure = failure(broken.failure(), turnId);
                    sse.event("error", null, failure.body().put("status", failure.status()));
                    return;
                }
                if (result != null && result.isDone()) {
                    TurnResult done;
                    try {
                        done = result.join();
                    } catch (CompletionException | CancellationException e) {
                        Throwable cause = e.getCause() == null ? e : e.getCause();
                        if (turn.resumed() && cause instanceof ConversationBusyException) {
                            result = null; // the turn runs in another process: follow its draft
                            continue;
                        }
                        Failure failure = failure(cause, turnId);
                        sse.event("error", null, failure.body().put("status", failure.status()));
                        return;
                    }
                    if (succeededAt == 0) {
                        succeededAt = System.nanoTime();
                    }
                    if (!streaming || System.nanoTime() - succeededAt > END_GRACE_NANOS) {
                        // no draft ended for it (a provider that does not stream): the turn's own reply
                        delta(sse, done.reply().text(), sent);
                        sse.event("done", null, replyJson(sessionId, turnId, done.userMessage().sequence(), done.reply()));
                        return;
                    }
                }
                if (System.nanoTime() - lastWrite > KEEP_ALIVE_NANOS) {
                    sse.keepAlive();
                    lastWrite = System.nanoTime();
                }
            }
        } catch (UncheckedIOException e) {
            // the client left: the turn goes on, and the client can come back with Last-Event-ID
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            follower.cancel(true);
        }
    }

    /** Writes the text after {@code offset} code points as one {@code delta} event, if there is any. */
    private static void delta(SseStream sse, String text, long offset) {
        int length = text.codePointCount(0, text.length());
        if (offset < length) {
            sse.event("delta", String.valueOf(length),
                    JSON.createObjectNode().put("text", text.substring(text.offsetByCodePoints(0, (int) offset))));
        }
    }

    /**
     * Reads the body, or returns null when it is larger than {@link #MAX_BODY_BYTES}. The rest of a
     * too large body is read and dropped (up to {@link #MAX_DRAINED_BYTES}) so that the client,
     * still sending, gets the answer rather than a reset connection.
     */
    static byte[] readBody(HttpExchange exchange) throws IOException {
        long declared = declaredLength(exchange);
        try (InputStream in = exchange.getRequestBody()) {
            if (declared > MAX_BODY_BYTES) {
                drain(in, declared);
                return null;
            }
            byte[] bytes = in.readNBytes(MAX_BODY_BYTES + 1);
            if (bytes.length > MAX_BODY_BYTES) {
                drain(in, MAX_DRAINED_BYTES);
                return null;
            }
            return bytes;
        }
    }

    private static long declaredLength(HttpExchange exchange) {
        try {
            String length = exchange.getRequestHeaders().getFirst("Content-Length");
            return length == null ? -1 : Long.parseLong(length.strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static void drain(InputStream in, long bytes) throws IOException {
        if (bytes > MAX_DRAINED_BYTES) {
            return; // not worth reading: the connection is closed after the answer
        }
        byte[] buffer = new byte[64 * 1024];
        long left = bytes;
        int read;
        while (left > 0 && (read = in.read(buffer, 0, (int) Math.min(buffer.length, left))) != -1) {
            left -= read;
        }
    }

    /** The fields of a chat request, as its 400 answers name them. */
    private static final List<String> REQUEST_FIELDS = List.of("sessionId", "language", "text", "turnId");

    /**
     * A 400 body for a request the library refused: its message in the request's own terms (the
     * library names the paths of its own model, such as {@code messages[0].text}, which is the
     * request's {@code text} here), and {@code "field"}, the request field at fault, when known.
     */
    static ObjectNode rejected(String libraryMessage) {
        String message = String.valueOf(libraryMessage)
                .replaceAll("\\bmessages\\[\\d+\\]\\.text\\b", "text")
                .replaceAll("\\bmessages\\[\\d+\\](\\.\\w+)*", "text")
                .replaceAll("\\b\\w+\\[\\d+\\](\\.\\w+)*", "the message");
        ObjectNode body = error(message);
        REQUEST_FIELDS.stream().filter(name -> message.startsWith(name + " ")).findFirst()
                .ifPresent(name -> body.put("field", name));
        return body;
    }

    /** Jackson's message without its source excerpt, and the position when Jackson knows it. */
    static String describe(JsonProcessingException e) {
        String message = String.valueOf(e.getOriginalMessage()).replaceAll("\\s*\\(start marker at.*", "").strip();
        JsonLocation at = e.getLocation();
        return at == null || at.getLineNr() < 1 ? message
                : message + " at line " + at.getLineNr() + ", column " + at.getColumnNr();
    }

    private void history(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!"GET".equals(exchange.getRequestMethod())) {
                refuseMethod(exchange, "GET", "use GET /api/history?sessionId=...");
                return;
            }
            String sessionId = query(exchange).get("sessionId");
            if (sessionId == null || sessionId.isBlank()) {
                send(exchange, 400, error("sessionId is required: GET /api/history?sessionId=...").put("field", "sessionId"));
                return;
            }
            try {
                Optional<ConversationHeader> header = store.findConversation(sessionId);
                if (header.isEmpty()) {
                    send(exchange, 404, error("no conversation with sessionId '" + sessionId + "'"));
                    return;
                }
                ArrayNode messages = JSON.createArrayNode();
                long next = 0;
                List<StoredMessage> page;
                do {
                    page = store.readMessages(sessionId, next, 500);
                    for (StoredMessage m : page) {
                        ObjectNode node = messages.addObject()
                                .put("sequence", m.sequence())
                                .put("role", m.role().wireName())
                                .put("text", m.text())
                                .put("timestamp", m.message().timestamp().toString());
                        turnIdOf(m).ifPresent(turnId -> node.put("turnId", turnId));
                        if (m.message().metadata().get(Message.FINISH_REASON) instanceof String finish) {
                            node.put("finishReason", finish);
                        }
                        m.message().attributes().forEach(node::put);
                        next = m.sequence() + 1;
                    }
                } while (page.size() == 500);
                ObjectNode body = JSON.createObjectNode()
                        .put("sessionId", sessionId)
                        .put("language", header.get().language())
                        .put("messageCount", header.get().messageCount());
                body.set("messages", messages);
                send(exchange, 200, body);
            } catch (IllegalArgumentException e) {
                send(exchange, 400, rejected(e.getMessage()));
            } catch (ConversationStoreException e) {
                send(exchange, 503, error(e.getMessage()));
            }
        }
    }

    /** The meters in Prometheus text format (version 0.0.4): what a Prometheus server scrapes. */
    private void metrics(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!"/metrics".equals(exchange.getRequestURI().getPath())) {
                send(exchange, 404, error("not found: " + exchange.getRequestURI().getPath()));
                return;
            }
            String method = exchange.getRequestMethod();
            if (!"GET".equals(method) && !"HEAD".equals(method)) {
                refuseMethod(exchange, "GET, HEAD", "use GET /metrics");
                return;
            }
            send(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.scrape().getBytes(StandardCharsets.UTF_8));
        }
    }

    private void page(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!"/".equals(exchange.getRequestURI().getPath())) {
                send(exchange, 404, error("not found: " + exchange.getRequestURI().getPath()));
                return;
            }
            String method = exchange.getRequestMethod();
            if (!"GET".equals(method) && !"HEAD".equals(method)) {
                refuseMethod(exchange, "GET, HEAD", "use GET / for the chat page");
                return;
            }
            byte[] html;
            try (InputStream in = ChatServer.class.getResourceAsStream("chat.html")) {
                html = in.readAllBytes();
            }
            send(exchange, 200, "text/html; charset=utf-8", html);
        }
    }

    /** A handler that answers an unexpected failure with a JSON 500 rather than a closed connection. */
    private static HttpHandler answeringErrors(HttpHandler handler) {
        return exchange -> {
            try {
                handler.handle(exchange);
            } catch (RuntimeException e) {
                if (exchange.getResponseCode() == -1) {
                    send(exchange, 500, error("internal error: " + e));
                }
                exchange.close();
            }
        };
    }

    static void refuseMethod(HttpExchange exchange, String allowed, String message) throws IOException {
        exchange.getResponseHeaders().set("Allow", allowed);
        send(exchange, 405, error(message));
    }

    static ObjectNode error(String message) {
        return JSON.createObjectNode().put("error", message);
    }

    static void send(HttpExchange exchange, int status, JsonNode body) throws IOException {
        send(exchange, status, "application/json; charset=utf-8", JSON.writeValueAsBytes(body));
    }

    /** Sends a response; to a HEAD request, its headers only (a length there makes the server warn). */
    private static void send(HttpExchange exchange, int status, String contentType, byte[] bytes) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        if ("HEAD".equals(exchange.getRequestMethod())) {
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    static Map<String, String> query(HttpExchange exchange) {
        Map<String, String> params = new HashMap<>();
        String raw = exchange.getRequestURI().getRawQuery();
        if (raw != null) {
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    params.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                            URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
        }
        return params;
    }

    private static ThreadFactory daemons(String name) {
        AtomicInteger count = new AtomicInteger();
        return task -> {
            Thread thread = new Thread(task, name + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    /** Stops the server and the turn service; the store is the caller's. */
    @Override
    public void close() {
        http.stop(0);
        followerThreads.shutdownNow();
        turnThreads.shutdownNow();
        turns.close();
        workers.shutdownNow();
    }
}
