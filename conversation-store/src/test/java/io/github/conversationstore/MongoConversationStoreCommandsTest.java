package io.github.conversationstore;

import io.github.conversationstore.testing.EmbeddedMongoTestBase;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.WriteConcern;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandStartedEvent;
import com.mongodb.event.CommandSucceededEvent;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.bson.BsonDocument;
import org.bson.RawBsonDocument;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What an append costs on the wire, counted with a driver {@link CommandListener}. */
class MongoConversationStoreCommandsTest extends EmbeddedMongoTestBase {
    private final List<CommandStartedEvent> started = new CopyOnWriteArrayList<>();
    private final List<CommandSucceededEvent> succeeded = new CopyOnWriteArrayList<>();
    private MongoClient observed;

    @BeforeEach
    void connect() {
        observed = MongoClients.create(MongoClientSettings.builder()
                .applyConnectionString(new ConnectionString(server.connectionString()))
                .addCommandListener(new CommandListener() {
                    @Override
                    public void commandStarted(CommandStartedEvent event) {
                        // the command's buffer is released after the event: keep a copy
                        started.add(new CommandStartedEvent(event.getRequestContext(), event.getOperationId(),
                                event.getRequestId(), event.getConnectionDescription(), event.getDatabaseName(),
                                event.getCommandName(), event.getCommand().clone()));
                    }

                    @Override
                    public void commandSucceeded(CommandSucceededEvent event) {
                        succeeded.add(event);
                    }
                })
                .build());
    }

    @AfterEach
    void disconnect() {
        observed.close();
    }

    private CommandStartedEvent first(String commandName) {
        return started.stream().filter(e -> e.getCommandName().equals(commandName)).findFirst().orElseThrow();
    }

    private MongoConversationStore store(WriteConcern writeConcern) {
        return MongoConversationStore.builder().client(observed).database("commands")
                .collection("c" + System.nanoTime()).writeConcern(writeConcern).build();
    }

    private static List<Message> pair(int i) {
        return List.of(Message.user("question " + i + " " + "q".repeat(200)),
                Message.assistant("answer " + i + " " + "a".repeat(200)));
    }

    @Test
    void appendMessages_steadyState_isExactlyOneCommandWithConstantSizeReply() {
        // bounds large enough that no move to the archive falls inside the measured appends
        MongoConversationStore store = MongoConversationStore.builder().client(observed).database("commands")
                .collection("c" + System.nanoTime()).maxHeadMessages(1000).maxHeadBytes(1024 * 1024).build();
        store.appendMessages("s", "en", pair(0));
        int[] replyBytesAt = new int[2];
        int appends = 0;
        started.clear();
        succeeded.clear();
        for (int i = 1; i <= 200; i++) {
            store.appendMessages("s", "en", pair(i));
            appends++;
            if (i == 10) {
                replyBytesAt[0] = size(succeeded.get(succeeded.size() - 1).getResponse());
            }
        }
        replyBytesAt[1] = size(succeeded.get(succeeded.size() - 1).getResponse());

        assertThat(started).hasSize(appends);
        assertThat(started).extracting(CommandStartedEvent::getCommandName).containsOnly("findAndModify");
        assertThat(replyBytesAt[1]).as("reply bytes at 402 messages vs 22").isEqualTo(replyBytesAt[0]);
        assertThat(replyBytesAt[1]).isLessThan(200);
        store.close();
    }

    @Test
    void appendMessages_withArchiveMoves_averagesUnderOnePointOneCommands() {
        MongoConversationStore store = store(WriteConcern.MAJORITY); // default bounds: 128-message heads
        started.clear();
        int appends = 1000;
        for (int i = 0; i < appends; i++) {
            store.appendMessages("s", "en", pair(i));
        }

        // appends push messages; the other findAndModify commands are movers claiming the head
        long findAndModify = started.stream().filter(e -> e.getCommandName().equals("findAndModify")
                && e.getCommand().getDocument("update").getDocument("$push", new org.bson.BsonDocument()).containsKey("messages"))
                .count();
        double perAppend = (double) started.size() / appends;
        System.out.printf(java.util.Locale.ROOT, "commands per append over %d pair appends with archive moves: %.3f%n",
                appends, perAppend);
        assertThat(findAndModify).isEqualTo(appends);
        assertThat(perAppend).isLessThan(1.10);
        assertThat(store.readMessages("s", 0, 10)).extracting(StoredMessage::sequence).startsWith(0L);
    }

    @Test
    void appendMessages_usesMajorityWriteConcernByDefault() {
        MongoConversationStore store = MongoConversationStore.builder().client(observed).database("commands")
                .collection("c" + System.nanoTime()).build();
        started.clear();

        store.appendMessages("s", "en", pair(1));

        BsonDocument command = first("findAndModify").getCommand();
        assertThat(command.getDocument("writeConcern").getString("w").getValue()).isEqualTo("majority");
    }

    @Test
    void appendMessages_usesConfiguredWriteConcern() {
        MongoConversationStore store = store(WriteConcern.W1.withJournal(true));
        started.clear();

        store.appendMessages("s", "en", pair(1));

        BsonDocument writeConcern = first("findAndModify").getCommand().getDocument("writeConcern");
        assertThat(writeConcern.getInt32("w").getValue()).isEqualTo(1);
        assertThat(writeConcern.getBoolean("j").getValue()).isTrue();
    }

    @Test
    void recentMessages_isOneCommandWhateverTheLength() {
        MongoConversationStore store = store(WriteConcern.MAJORITY);
        for (int i = 0; i < 100; i++) {
            store.appendMessages("s", "en", pair(i));
        }
        started.clear();
        succeeded.clear();

        List<StoredMessage> window = store.recentMessages("s", 20);

        assertThat(window).hasSize(20);
        assertThat(started).hasSize(1);
        assertThat(window.get(19).sequence()).isEqualTo(199);
    }

    private static int size(BsonDocument reply) {
        return new RawBsonDocument(reply, new org.bson.codecs.BsonDocumentCodec()).getByteBuffer().remaining();
    }
}
