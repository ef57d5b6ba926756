package io.github.conversationstore.testing;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.ReadPreference;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.event.CommandFailedEvent;
import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandStartedEvent;
import com.mongodb.event.CommandSucceededEvent;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.bson.BsonDocument;

/**
 * Records the commands a client sends and runs test actions at chosen points: after a command's
 * reply, or after its failure, in the thread that issued it, before the caller sees the outcome.
 * This puts another operation exactly between two commands of the operation under test, as a
 * concurrent client on a real deployment could.
 */
public final class CommandHooks implements CommandListener {
    private final Map<Integer, BsonDocument> inFlight = new ConcurrentHashMap<>();
    private final List<BsonDocument> started = new CopyOnWriteArrayList<>();
    private final List<Hook> hooks = new CopyOnWriteArrayList<>();

    private record Hook(Predicate<BsonDocument> when, boolean onFailure, Runnable action, AtomicBoolean armed) {}

    /** A client on {@code connectionString} reporting to these hooks. */
    public MongoClient client(String connectionString) {
        return client(connectionString, ReadPreference.primary());
    }

    /** A client on {@code connectionString} with this default read preference. */
    public MongoClient client(String connectionString, ReadPreference readPreference) {
        return MongoClients.create(MongoClientSettings.builder()
                .applyConnectionString(new ConnectionString(connectionString))
                .readPreference(readPreference)
                .addCommandListener(this)
                .build());
    }

    /** Runs {@code action} once, after the first successful command matching {@code when}. */
    public void afterSuccess(Predicate<BsonDocument> when, Runnable action) {
        hooks.add(new Hook(when, false, action, new AtomicBoolean(true)));
    }

    /** Runs {@code action} once, after the first failed command matching {@code when}. */
    public void afterFailure(Predicate<BsonDocument> when, Runnable action) {
        hooks.add(new Hook(when, true, action, new AtomicBoolean(true)));
    }

    /** Matches the command {@code name} on collection {@code collection}. */
    public static Predicate<BsonDocument> command(String name, String collection) {
        return c -> c.containsKey(name) && c.get(name).isString() && c.getString(name).getValue().equals(collection);
    }

    /** Every command started so far (copies), except the driver's own monitoring. */
    public List<BsonDocument> started() {
        return List.copyOf(started);
    }

    /** The commands started so far that match. */
    public List<BsonDocument> started(Predicate<BsonDocument> which) {
        return started.stream().filter(which).collect(Collectors.toList());
    }

    public void clear() {
        started.clear();
    }

    @Override
    public void commandStarted(CommandStartedEvent event) {
        BsonDocument copy = event.getCommand().clone();
        inFlight.put(event.getRequestId(), copy);
        started.add(copy);
    }

    @Override
    public void commandSucceeded(CommandSucceededEvent event) {
        fire(inFlight.remove(event.getRequestId()), false);
    }

    @Override
    public void commandFailed(CommandFailedEvent event) {
        fire(inFlight.remove(event.getRequestId()), true);
    }

    private void fire(BsonDocument command, boolean failed) {
        if (command == null) {
            return;
        }
        for (Hook hook : hooks) {
            if (hook.onFailure() == failed && hook.when().test(command) && hook.armed().getAndSet(false)) {
                hook.action().run();
            }
        }
    }
}
