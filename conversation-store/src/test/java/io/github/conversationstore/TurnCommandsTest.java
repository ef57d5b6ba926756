package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.ReplyProvider;
import io.github.conversationstore.spi.TokenUsage;
import io.github.conversationstore.spi.Tool;
import io.github.conversationstore.spi.ToolOutput;
import io.github.conversationstore.spi.ToolSpec;
import io.github.conversationstore.testing.CommandHooks;
import io.github.conversationstore.testing.EmbeddedMongo;
import com.mongodb.client.MongoClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.bson.BsonDocument;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What a tool turn costs on the wire, counted with a driver command listener on the embedded server. */
class TurnCommandsTest {
    private static EmbeddedMongo server;

    @BeforeAll
    static void start() {
        server = new EmbeddedMongo();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static final Tool LOOKUP = new Tool() {
        @Override
        public ToolSpec spec() {
            return new ToolSpec("lookup", "Looks a word up.", "{\"type\":\"object\"}");
        }

        @Override
        public ToolOutput run(io.github.conversationstore.spi.ToolInvocation invocation) {
            return ToolOutput.text("found");
        }
    };

    /** Asks for one call of the tool, then answers. */
    private static final ReplyProvider ONE_CALL = request -> request.steps().isEmpty()
            ? new Reply(List.of(new Part.ToolCall("c1", "lookup", "{\"word\":\"ir\"}")), Map.of(), TokenUsage.UNKNOWN, Map.of())
            : Reply.of("done");

    static int commandsPerToolTurn(int turns) {
        CommandHooks hooks = new CommandHooks();
        try (MongoClient client = hooks.client(server.connectionString());
                MongoConversationStore store = MongoConversationStore.builder().client(client).database("commands")
                        .collection("turns" + System.nanoTime()).build();
                TurnService service = TurnService.builder(store).provider(ONE_CALL).tools(LOOKUP).build()) {
            service.respond("s", "en", "warm up", "warm-up");
            hooks.clear();
            for (int i = 0; i < turns; i++) {
                service.respond("s", "en", "look ir up", "t" + i);
            }
            List<BsonDocument> commands = hooks.started();
            System.out.println("store commands per tool turn of one call: " + (double) commands.size() / turns + " "
                    + commands.stream().map(c -> c.keySet().iterator().next()).toList());
            return commands.size() / turns;
        }
    }

    @Test
    void respond_toolTurnOfOneCall_costsNineStoreCommands() {
        // take the lease, the user's message (with the two reads that recognize a turn id beyond the
        // dedup window: the head's headSeq, then the indexed archive lookup), the window, the call, its result, the reply, give the lease back (13 before
        // fenced appends went without renewals, and a quick turn without any)
        assertThat(commandsPerToolTurn(10)).isEqualTo(9);
    }
}
