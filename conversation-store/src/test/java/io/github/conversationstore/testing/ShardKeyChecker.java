package io.github.conversationstore.testing;

import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandStartedEvent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.bson.BsonArray;
import org.bson.BsonDocument;
import org.bson.BsonValue;

/**
 * Records every command a client sends and judges each one against the documented shard keys
 * (docs/SHARDING.md): heads {@code {sessionId: 1}}, archive chunks {@code {sessionId: 1, _id: 1}}.
 * A collection whose name ends with {@code _archive} holds chunks, one ending with
 * {@code _summaries} summaries, one ending with {@code _drafts} drafts and one ending with
 * {@code _forks} fork references (shard key {@code {sessionId: 1}} for all three, judged as heads
 * are); any other holds heads.
 *
 * <p>A command is <b>targeted</b> when mongos can send it to the shards owning one session:
 * <ul>
 *   <li>every read ({@code find}, {@code distinct}, {@code aggregate}) and every multi-document
 *       write has equality on {@code sessionId} (a plain string, {@code $eq}, or inside
 *       {@code $and}), the shard key or its leading field; a {@code find} may instead be an
 *       {@code $or} each of whose clauses has it (mongos sends it to the shards of those values);
 *   <li>every single-document write ({@code findAndModify}, {@code update} without {@code multi},
 *       {@code delete} with {@code limit: 1}) has equality on the full shard key ({@code sessionId}
 *       for heads, {@code sessionId} and {@code _id} for chunks), as mongos requires before
 *       MongoDB 7.1;
 *   <li>every inserted document carries the full shard key.
 * </ul>
 * Anything else must match one entry of the short {@link #ALLOWED allow-list}, or it is a
 * violation. {@code getMore} and {@code killCursors} follow their {@code find} and are judged
 * there.
 */
public final class ShardKeyChecker implements CommandListener {
    /** What may be sent without a session's shard key, and why. */
    public static final List<String> ALLOWED = List.of(
            "index creation: createIndexes, listIndexes, collMod (once, when a store is built)",
            "server clock probe: isMaster on the store's database (answered by mongos itself)",
            "listing: a find on heads in sessionId order, in batches of at most 256 (listConversationIds,"
                    + " listConversations and eraseOwner's pages by owner)",
            "sweep: a find on chunks in sessionId order, a page of at least 64 (removeOrphanedArchives)",
            "sweep: a find on heads by sessionId $in of one sweep page (removeOrphanedArchives)",
            "forks: a find on heads by sessionId $in of one page of a session's forks (listForks; mongos routes each value)",
            "driver: getMore, killCursors, endSessions (follow their find, or carry no data)");

    /** The largest batch a shard may send of an allowed listing (the cost per shard beyond the page). */
    public static final int LISTING_BATCH_AT_MOST = 256;
    /** The least limit of an allowed sweep page on chunks. */
    public static final int SWEEP_PAGE_AT_LEAST = 64;
    private static final Set<String> FOLLOWERS = Set.of("getMore", "killCursors", "endSessions");
    private static final Set<String> INDEXES = Set.of("createIndexes", "listIndexes", "collMod");

    private final List<String> violations = new CopyOnWriteArrayList<>();
    private final Map<String, AtomicInteger> seen = new TreeMap<>();
    private final Map<String, Map<String, AtomicInteger>> byOperation = new LinkedHashMap<>();
    private volatile String operation = "(unnamed)";

    @Override
    public void commandStarted(CommandStartedEvent event) {
        String verdict = judge(event.getCommandName(), event.getCommand());
        synchronized (seen) {
            seen.computeIfAbsent(verdict, v -> new AtomicInteger()).incrementAndGet();
            byOperation.computeIfAbsent(operation, o -> new TreeMap<>())
                    .computeIfAbsent(verdict, v -> new AtomicInteger()).incrementAndGet();
        }
        if (verdict.startsWith("UNTARGETED")) {
            violations.add(verdict + ": " + event.getCommand().toJson());
        }
    }

    /** Every untargeted command seen so far, with its text. */
    public List<String> violations() {
        return List.copyOf(violations);
    }

    /** How many commands of each kind were seen, by verdict ("targeted: ...", "allowed: ..."). */
    public Map<String, Integer> summary() {
        synchronized (seen) {
            Map<String, Integer> out = new TreeMap<>();
            seen.forEach((k, v) -> out.put(k, v.get()));
            return out;
        }
    }

    /** The summary, one verdict a line. */
    public String report() {
        StringBuilder out = new StringBuilder();
        summary().forEach((k, v) -> out.append(String.format("%6d  %s%n", v, k)));
        return out.toString();
    }

    /**
     * Names the public operation the workload runs from now on, so that {@link #reportByOperation()}
     * tells which commands each operation sent.
     *
     * @param name the operation, say "append (new session)"
     */
    public void operation(String name) {
        this.operation = name;
    }

    /** Every command seen, by operation (in the order the operations ran), then by verdict. */
    public String reportByOperation() {
        StringBuilder out = new StringBuilder();
        synchronized (seen) {
            byOperation.forEach((op, verdicts) -> {
                out.append(op).append('\n');
                verdicts.forEach((k, v) -> out.append(String.format("%6d  %s%n", v.get(), k)));
            });
        }
        return out.toString();
    }

    /** Judges one command: "targeted: ...", "allowed: ..." or "UNTARGETED ...". */
    public static String judge(String name, BsonDocument command) {
        if (FOLLOWERS.contains(name)) {
            return "allowed: " + name;
        }
        if (INDEXES.contains(name)) {
            return "allowed: " + name + " " + kind(command.get(name));
        }
        if (name.equals("isMaster") || name.equals("hello") || name.equals("ismaster")) {
            return "allowed: " + name + " (server clock probe)";
        }
        BsonValue target = command.get(name);
        if (target == null || !target.isString()) {
            return "UNTARGETED " + name + " (not on a collection)";
        }
        String kind = kind(target);
        switch (name) {
            case "find": {
                BsonDocument filter = command.getDocument("filter", new BsonDocument());
                if (hasEquality(filter, "sessionId")) {
                    return "targeted: find " + kind + " by sessionId";
                }
                if (everyClauseHasEquality(filter.get("$or"), "sessionId")) {
                    // mongos targets the union of the clauses' shard key values (a fork's shared range)
                    return "targeted: find " + kind + " by sessionId in every $or clause";
                }
                if (kind.equals("heads") && isIn(filter.get("sessionId"))) {
                    return "allowed: find heads by sessionId $in (a sweep page, a page of forks)";
                }
                int limit = command.containsKey("limit") ? command.get("limit").asNumber().intValue() : 0;
                // a sweep page reads many chunks; a query per (session, generation) pair is what this forbids
                int batch = command.containsKey("batchSize") ? command.get("batchSize").asNumber().intValue() : limit;
                boolean bounded = kind.equals("heads") ? batch > 0 && batch <= LISTING_BATCH_AT_MOST : limit >= SWEEP_PAGE_AT_LEAST;
                if (orderedBySession(command) && limit > 0 && bounded) {
                    return "allowed: find " + kind + " in sessionId order, limit " + limit
                            + (kind.equals("heads") ? " (listing)" : " (sweep)");
                }
                return "UNTARGETED find " + kind;
            }
            case "distinct":
                return hasEquality(command.getDocument("query", new BsonDocument()), "sessionId")
                        ? "targeted: distinct " + kind + " by sessionId" : "UNTARGETED distinct " + kind;
            case "aggregate": {
                BsonArray pipeline = command.getArray("pipeline", new BsonArray());
                boolean matched = !pipeline.isEmpty() && pipeline.get(0).isDocument()
                        && pipeline.get(0).asDocument().containsKey("$match")
                        && hasEquality(pipeline.get(0).asDocument().getDocument("$match"), "sessionId");
                return matched ? "targeted: aggregate " + kind + " by sessionId" : "UNTARGETED aggregate " + kind;
            }
            case "findAndModify": {
                BsonDocument query = command.getDocument("query", new BsonDocument());
                String how = command.getBoolean("upsert", org.bson.BsonBoolean.FALSE).getValue() ? "upsert" : "update";
                if (command.getBoolean("remove", org.bson.BsonBoolean.FALSE).getValue()) {
                    how = "remove";
                }
                return fullKey(query, kind) ? "targeted: findAndModify (" + how + ") " + kind + " by full shard key"
                        : "UNTARGETED findAndModify (" + how + ") " + kind;
            }
            case "update": {
                List<String> verdicts = new ArrayList<>();
                for (BsonValue u : command.getArray("updates", new BsonArray())) {
                    BsonDocument update = u.asDocument();
                    BsonDocument q = update.getDocument("q", new BsonDocument());
                    boolean multi = update.getBoolean("multi", org.bson.BsonBoolean.FALSE).getValue();
                    boolean upsert = update.getBoolean("upsert", org.bson.BsonBoolean.FALSE).getValue();
                    String how = multi ? "updateMany" : upsert ? "updateOne (upsert)" : "updateOne";
                    boolean ok = multi ? hasEquality(q, "sessionId") : fullKey(q, kind);
                    verdicts.add(ok ? "targeted: " + how + " " + kind + (multi ? " by sessionId" : " by full shard key")
                            : "UNTARGETED " + how + " " + kind);
                }
                return worst(verdicts, "update " + kind);
            }
            case "delete": {
                List<String> verdicts = new ArrayList<>();
                for (BsonValue d : command.getArray("deletes", new BsonArray())) {
                    BsonDocument delete = d.asDocument();
                    BsonDocument q = delete.getDocument("q", new BsonDocument());
                    boolean one = delete.get("limit") != null && delete.get("limit").asNumber().intValue() == 1;
                    boolean ok = one ? fullKey(q, kind) : hasEquality(q, "sessionId");
                    String how = one ? "deleteOne" : "deleteMany";
                    verdicts.add(ok ? "targeted: " + how + " " + kind + (one ? " by full shard key" : " by sessionId")
                            : "UNTARGETED " + how + " " + kind);
                }
                return worst(verdicts, "delete " + kind);
            }
            case "insert": {
                for (BsonValue d : command.getArray("documents", new BsonArray())) {
                    BsonDocument doc = d.asDocument();
                    if (!doc.isString("sessionId") || (kind.equals("archive") && !doc.containsKey("_id"))) {
                        return "UNTARGETED insert " + kind + " (a document without the shard key)";
                    }
                }
                return "targeted: insert " + kind + " with full shard key";
            }
            default:
                return "UNTARGETED " + name + " " + kind;
        }
    }

    private static String worst(List<String> verdicts, String what) {
        for (String v : verdicts) {
            if (v.startsWith("UNTARGETED")) {
                return v;
            }
        }
        return verdicts.isEmpty() ? "UNTARGETED " + what + " (empty)" : verdicts.get(0);
    }

    private static String kind(BsonValue collection) {
        String name = collection != null && collection.isString() ? collection.asString().getValue() : "";
        return name.endsWith("_archive") ? "archive" : name.endsWith("_summaries") ? "summaries"
                : name.endsWith("_drafts") ? "drafts" : "heads";
    }

    private static boolean fullKey(BsonDocument filter, String kind) {
        return hasEquality(filter, "sessionId") && (!kind.equals("archive") || hasEquality(filter, "_id"));
    }

    /** Whether {@code filter} pins {@code field} to one value (top level, {@code $eq}, or in an {@code $and}). */
    static boolean hasEquality(BsonDocument filter, String field) {
        BsonValue v = filter.get(field);
        if (v != null && isScalarEquality(v)) {
            return true;
        }
        if (v != null && v.isDocument() && v.asDocument().containsKey("$eq") && isScalarEquality(v.asDocument().get("$eq"))) {
            return true;
        }
        BsonValue and = filter.get("$and");
        if (and != null && and.isArray()) {
            for (BsonValue clause : and.asArray()) {
                if (clause.isDocument() && hasEquality(clause.asDocument(), field)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Whether {@code or} is a non-empty array of clauses each pinning {@code field} to one value. */
    private static boolean everyClauseHasEquality(BsonValue or, String field) {
        if (or == null || !or.isArray() || or.asArray().isEmpty()) {
            return false;
        }
        for (BsonValue clause : or.asArray()) {
            if (!clause.isDocument() || !hasEquality(clause.asDocument(), field)) {
                return false;
            }
        }
        return true;
    }

    private static boolean isScalarEquality(BsonValue v) {
        if (v.isDocument()) {
            // {_id: {s, g, q}} is an equality on a document value; {x: {$op: ...}} is not
            return !v.asDocument().isEmpty() && !v.asDocument().getFirstKey().startsWith("$");
        }
        return !v.isArray() && !v.isRegularExpression();
    }

    private static boolean isIn(BsonValue v) {
        return v != null && v.isDocument() && v.asDocument().size() == 1 && v.asDocument().containsKey("$in");
    }

    private static boolean orderedBySession(BsonDocument command) {
        BsonDocument sort = command.getDocument("sort", new BsonDocument());
        return !sort.isEmpty() && sort.getFirstKey().equals("sessionId");
    }
}
