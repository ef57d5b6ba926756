package io.github.conversationstore.examples;

import static io.github.conversationstore.examples.ChatServer.JSON;
import static io.github.conversationstore.examples.ChatServer.error;
import static io.github.conversationstore.examples.ChatServer.send;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import io.github.conversationstore.AppendConflictException;
import io.github.conversationstore.Branch;
import io.github.conversationstore.ConversationHeader;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.ForkOrigin;
import io.github.conversationstore.TurnRequest;
import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.ReplyProvider;
import io.github.conversationstore.spi.ReplyRequest;
import io.github.conversationstore.spi.StreamingReplyProvider;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * The chat server's branch endpoints, over {@link io.github.conversationstore.TurnService#edit} and
 * {@link io.github.conversationstore.TurnService#regenerate}:
 * <ul>
 *   <li>{@code POST /api/branches/edit} with {@code {"sessionId", "turnId", "text", "newTurnId"}}
 *       answers a sent user message's edited text on a new branch;</li>
 *   <li>{@code POST /api/branches/regenerate} with {@code {"sessionId", "turnId", "newTurnId"}}
 *       answers the turn's message again on a new branch;</li>
 *   <li>{@code GET /api/branches?sessionId=...} lists the conversation's family (its root and the
 *       root's forks, recursively) and where the asked branch can switch to another one.</li>
 * </ul>
 * Both {@code POST}s answer {@code text/event-stream} as {@code POST /api/chat/stream} does, with a
 * first {@code branch} event naming the new branch; the branch's turn is then followed, and
 * resumed, as any turn ({@code GET /api/chat/stream?sessionId=<branch>&turnId=<newTurnId>}).
 * {@code newTurnId} is the idempotency key: the same request again finds the same branch.
 */
final class ChatBranches {
    /** {@code kind} of an edit. */
    static final String EDIT = "edit";
    /** {@code kind} of a regenerate. */
    static final String REGENERATE = "regenerate";
    /** The most members of a family listed (the rest are left out, and the answer says so). */
    static final int MAX_FAMILY = 500;
    /** How far up a chain of forks the root is looked for. */
    private static final int MAX_DEPTH = 100;
    private static final int PAGE = 100;
    private static final Duration START_LIMIT = Duration.ofMinutes(2);

    private final ChatServer server;
    private final ConversationStore store;
    /** Branch requests under way here, by kind, session, turn and new turn id. */
    private final Map<String, Run> runs = new ConcurrentHashMap<>();

    ChatBranches(ChatServer server, ConversationStore store) {
        this.server = server;
        this.store = store;
    }

    /**
     * One branch request running here: the branch's session id, known once its turn called the
     * provider (or the call ended), and the call's end.
     */
    private record Run(String sessionId, String newTurnId, String text, CompletableFuture<String> branchId,
            CompletableFuture<Branch> result) {}

    /**
     * The provider the turn service calls: this one, telling the runs waiting for a turn id which
     * session (the branch) it runs on, as soon as its turn asks for a reply. The core names a branch
     * only when its turn has ended; a stream needs it at the start.
     */
    ReplyProvider watching(ReplyProvider provider) {
        if (provider instanceof StreamingReplyProvider streaming) {
            return new StreamingReplyProvider() {
                @Override
                public Reply stream(ReplyRequest request, Consumer<String> deltas) {
                    started(request);
                    return streaming.stream(request, deltas);
                }

                @Override
                public String name() {
                    return streaming.name();
                }
            };
        }
        return new ReplyProvider() {
            @Override
            public Reply reply(ReplyRequest request) {
                started(request);
                return provider.reply(request);
            }

            @Override
            public String name() {
                return provider.name();
            }
        };
    }

    private void started(ReplyRequest request) {
        for (Run run : runs.values()) {
            if (!run.branchId().isDone() && request.turnId().equals(run.newTurnId())) {
                store.findConversation(request.sessionId()).map(ConversationHeader::forkedFrom)
                        .filter(origin -> origin.sessionId().equals(run.sessionId()))
                        .ifPresent(origin -> run.branchId().complete(request.sessionId()));
            }
        }
    }

    /** {@code POST /api/branches/edit} and {@code POST /api/branches/regenerate}. */
    void branch(HttpExchange exchange, String kind) throws IOException {
        try (exchange) {
            String path = "/api/branches/" + kind;
            if (!path.equals(exchange.getRequestURI().getPath())) {
                send(exchange, 404, error("not found: " + exchange.getRequestURI().getPath()));
                return;
            }
            boolean edit = EDIT.equals(kind);
            List<String> names = edit ? List.of("sessionId", "turnId", "text", "newTurnId")
                    : List.of("sessionId", "turnId", "newTurnId");
            String shape = "{" + String.join(", ", names) + "}";
            if (!"POST".equals(exchange.getRequestMethod())) {
                ChatServer.refuseMethod(exchange, "POST", "use POST with a JSON body " + shape);
                return;
            }
            JsonNode body = ChatServer.readObject(exchange, shape);
            if (body == null) {
                return;
            }
            Map<String, String> fields = new LinkedHashMap<>();
            for (String name : names) {
                JsonNode value = body.get(name);
                if (value == null || !value.isTextual()) {
                    send(exchange, 400, error(name + " is required and must be a string"
                            + ("newTurnId".equals(name) ? ": the branch's turn is resumed, and a retry made safe, by it" : ""))
                            .put("field", name));
                    return;
                }
                fields.put(name, value.asText());
            }
            String text = fields.get("text");
            if (edit && text.isBlank()) {
                send(exchange, 400, error("text must not be blank").put("field", "text"));
                return;
            }
            String sessionId = fields.get("sessionId");
            String turnId = fields.get("turnId");
            String newTurnId = fields.get("newTurnId");
            Optional<ConversationHeader> parent;
            try {
                parent = store.findConversation(sessionId);
            } catch (RuntimeException e) {
                ChatServer.Failure failure = failure(e, newTurnId);
                send(exchange, failure.status(), failure.body());
                return;
            }
            if (parent.isEmpty()) {
                send(exchange, 404, error("no conversation with sessionId '" + sessionId + "'").put("field", "sessionId"));
                return;
            }
            Run run = start(kind, sessionId, turnId, text, newTurnId);
            if (edit && !run.text().equals(text)) {
                send(exchange, 409, error("newTurnId '" + newTurnId + "' is running with other text:"
                        + " send a new newTurnId with a new text").put("field", "newTurnId"));
                return;
            }
            String branchId;
            try {
                branchId = run.branchId().get(START_LIMIT.toSeconds(), TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                ChatServer.Failure failure = failure(e.getCause(), newTurnId);
                send(exchange, failure.status(), failure.body());
                return;
            } catch (TimeoutException e) {
                send(exchange, 504, error("the branch's turn did not start within " + START_LIMIT.toMinutes() + " minutes"));
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            ForkOrigin origin = store.findConversation(branchId).map(ConversationHeader::forkedFrom).orElse(null);
            TurnRequest request = new TurnRequest(branchId, parent.get().language(), edit ? text : kind, newTurnId);
            ChatServer.Running turn = server.track(request, run.result().thenApply(Branch::turn));
            SseStream sse = SseStream.open(exchange);
            ObjectNode event = JSON.createObjectNode().put("sessionId", branchId).put("turnId", newTurnId)
                    .put("kind", kind).put("parentSessionId", sessionId).put("parentTurnId", turnId);
            if (origin != null) {
                event.put("atSequence", origin.atSequence());
            }
            try {
                sse.event("branch", null, event);
            } catch (RuntimeException e) {
                return; // the client left: the turn goes on
            }
            server.follow(sse, branchId, newTurnId, 0, turn);
        }
    }

    /** Starts the branch call on a turn thread, or returns the same request's run under way here. */
    private Run start(String kind, String sessionId, String turnId, String text, String newTurnId) {
        String key = String.join("\n", kind, sessionId, turnId, newTurnId);
        return runs.computeIfAbsent(key, k -> {
            Run run = new Run(sessionId, newTurnId, text == null ? "" : text, new CompletableFuture<>(),
                    new CompletableFuture<>());
            server.runTurn(() -> {
                try {
                    Branch branch = EDIT.equals(kind) ? server.turns().edit(sessionId, turnId, text, newTurnId)
                            : server.turns().regenerate(sessionId, turnId, newTurnId);
                    run.branchId().complete(branch.sessionId());
                    run.result().complete(branch);
                } catch (Throwable e) {
                    run.branchId().completeExceptionally(e);
                    run.result().completeExceptionally(e);
                } finally {
                    runs.remove(k, run);
                }
            });
            return run;
        });
    }

    /** What a refused branch answers: the field at fault named, in the request's terms. */
    private static ChatServer.Failure failure(Throwable e, String newTurnId) {
        String message = String.valueOf(e.getMessage());
        if (e instanceof IllegalArgumentException && message.contains("names no turn")) {
            return new ChatServer.Failure(404, error(message).put("field", "turnId"));
        } else if (e instanceof IllegalArgumentException && message.contains("names no conversation")) {
            return new ChatServer.Failure(404, error(message).put("field", "sessionId"));
        } else if (e instanceof IllegalArgumentException) {
            ObjectNode body = ChatServer.rejected(message);
            body.remove("field");
            for (String name : List.of("newTurnId", "sessionId", "turnId", "text")) {
                if (message.startsWith(name + " ")) {
                    body.put("field", name);
                    break;
                }
            }
            return new ChatServer.Failure(400, body);
        } else if (e instanceof IllegalStateException && message.contains("still running")) {
            return new ChatServer.Failure(409, error(message).put("field", "turnId"));
        } else if (e instanceof AppendConflictException) {
            return new ChatServer.Failure(409, error("newTurnId '" + newTurnId + "' was used before with other text:"
                    + " send a new newTurnId with a new text").put("field", "newTurnId"));
        }
        return ChatServer.failure(e, newTurnId);
    }

    /** A member of a family: a conversation, where it forked from, and its size. */
    record Member(ConversationHeader header) {
        String id() {
            return header.sessionId();
        }

        String parent() {
            return header.forkedFrom() == null ? null : header.forkedFrom().sessionId();
        }

        long at() {
            return header.forkedFrom() == null ? 0 : header.forkedFrom().atSequence();
        }
    }

    /**
     * {@code GET /api/branches?sessionId=...}: the family of the conversation (the root, found by
     * following {@code forkedFrom} up, and every fork under it, breadth first) and, for the asked
     * conversation, each sequence number where the family holds other versions of its message.
     */
    void family(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!"/api/branches".equals(exchange.getRequestURI().getPath())) {
                send(exchange, 404, error("not found: " + exchange.getRequestURI().getPath()));
                return;
            }
            if (!"GET".equals(exchange.getRequestMethod())) {
                ChatServer.refuseMethod(exchange, "GET", "use GET /api/branches?sessionId=...");
                return;
            }
            String sessionId = ChatServer.query(exchange).get("sessionId");
            if (sessionId == null || sessionId.isBlank()) {
                send(exchange, 400, error("sessionId is required: GET /api/branches?sessionId=...").put("field", "sessionId"));
                return;
            }
            try {
                Optional<ConversationHeader> asked = store.findConversation(sessionId);
                if (asked.isEmpty()) {
                    send(exchange, 404, error("no conversation with sessionId '" + sessionId + "'").put("field", "sessionId"));
                    return;
                }
                send(exchange, 200, familyJson(asked.get()));
            } catch (RuntimeException e) {
                ChatServer.Failure failure = failure(e, null);
                send(exchange, failure.status(), failure.body());
            }
        }
    }

    private ObjectNode familyJson(ConversationHeader asked) {
        ConversationHeader root = asked;
        for (int depth = 0; root.forkedFrom() != null && depth < MAX_DEPTH; depth++) {
            Optional<ConversationHeader> parent = store.findConversation(root.forkedFrom().sessionId());
            if (parent.isEmpty()) {
                break; // the parent was deleted: what is left of the family starts here
            }
            root = parent.get();
        }
        Map<String, Member> members = new LinkedHashMap<>();
        members.put(root.sessionId(), new Member(root));
        Deque<String> todo = new ArrayDeque<>(List.of(root.sessionId()));
        boolean truncated = false;
        while (!todo.isEmpty() && !truncated) {
            String parent = todo.poll();
            String after = null;
            List<ConversationHeader> page;
            do {
                page = store.listForks(parent, after, PAGE);
                for (ConversationHeader fork : page) {
                    if (members.size() >= MAX_FAMILY) {
                        truncated = true;
                        break;
                    }
                    if (members.putIfAbsent(fork.sessionId(), new Member(fork)) == null) {
                        todo.add(fork.sessionId());
                    }
                    after = fork.sessionId();
                }
            } while (page.size() == PAGE && !truncated);
        }
        // the asked one, even when it is deeper than the listing went
        members.putIfAbsent(asked.sessionId(), new Member(asked));
        String rootId = root.sessionId();
        Comparator<Member> order = Comparator.comparing((Member m) -> !m.id().equals(rootId))
                .thenComparing(m -> m.header().createdAt()).thenComparing(Member::id);
        List<Member> sorted = members.values().stream().sorted(order).toList();

        ObjectNode body = JSON.createObjectNode().put("sessionId", asked.sessionId()).put("root", rootId);
        ArrayNode list = body.putArray("branches");
        for (Member m : sorted) {
            ObjectNode node = list.addObject().put("sessionId", m.id());
            if (m.parent() != null && !m.id().equals(rootId)) {
                node.put("parentSessionId", m.parent()).put("atSequence", m.at());
            } else {
                node.putNull("parentSessionId");
            }
            node.put("messageCount", m.header().messageCount()).put("createdAt", m.header().createdAt().toString());
        }
        ArrayNode divergences = body.putArray("divergences");
        for (Divergence d : divergences(members, rootId, asked.sessionId(), sorted)) {
            ObjectNode node = divergences.addObject().put("sequence", d.sequence()).put("current", d.current());
            d.branches().forEach(node.putArray("branches")::add);
        }
        if (truncated) {
            body.put("truncated", true);
        }
        return body;
    }

    /**
     * Where the shown conversation can switch: at {@code sequence}, the other versions of its
     * message there ({@code branches}, the conversations that wrote them, in the family's order),
     * {@code current} the index of the shown one's.
     */
    record Divergence(long sequence, List<String> branches, int current) {}

    /**
     * For each fork point of the family: the versions of the message at that sequence number among
     * the members that share every message before it with {@code shown}. Two members show the same
     * message at a sequence number when the same member wrote it (a fork reads its parent's
     * messages before its fork point, by reference).
     */
    static List<Divergence> divergences(Map<String, Member> members, String rootId, String shown, List<Member> order) {
        Member viewed = members.get(shown);
        Set<Long> points = new TreeSet<>();
        for (Member m : members.values()) {
            if (!m.id().equals(rootId) && m.parent() != null) {
                points.add(m.at());
            }
        }
        List<Divergence> found = new ArrayList<>();
        for (long at : points) {
            if (viewed.header().messageCount() <= at) {
                continue;
            }
            Set<String> versions = new LinkedHashSet<>();
            for (Member m : order) {
                if (m.header().messageCount() > at
                        && (at == 0 || writer(members, rootId, m, at - 1).equals(writer(members, rootId, viewed, at - 1)))) {
                    versions.add(writer(members, rootId, m, at));
                }
            }
            if (versions.size() > 1) {
                List<String> ordered = order.stream().map(Member::id).filter(versions::contains).toList();
                found.add(new Divergence(at, ordered, ordered.indexOf(writer(members, rootId, viewed, at))));
            }
        }
        return found;
    }

    /** The member that wrote {@code m}'s message at {@code sequence}: {@code m}, or the ancestor it reads it from. */
    private static String writer(Map<String, Member> members, String rootId, Member m, long sequence) {
        Member at = m;
        while (!at.id().equals(rootId) && at.parent() != null && sequence < at.at() && members.containsKey(at.parent())) {
            at = members.get(at.parent());
        }
        return at.id();
    }
}
