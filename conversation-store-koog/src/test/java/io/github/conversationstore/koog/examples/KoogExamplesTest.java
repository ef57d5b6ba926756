package io.github.conversationstore.koog.examples;

import static org.assertj.core.api.Assertions.assertThat;

import ai.koog.agents.chatMemory.feature.ChatHistoryProvider;
import ai.koog.agents.chatMemory.feature.ChatMemory;
import ai.koog.agents.core.agent.AIAgent;
import ai.koog.prompt.Prompt;
import ai.koog.prompt.executor.model.PromptExecutor;
import ai.koog.prompt.llm.LLMCapability;
import ai.koog.prompt.llm.LLMProvider;
import ai.koog.prompt.llm.LLModel;
import ai.koog.prompt.message.Message;
import ai.koog.prompt.message.ResponseMetaInfo;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.Role;
import io.github.conversationstore.StoredMessage;
import io.github.conversationstore.koog.ConversationStoreChatHistoryProvider;
import io.github.conversationstore.testing.EmbeddedMongo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import kotlin.coroutines.Continuation;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The Koog examples of the README, docs/ADAPTERS.md and the javadoc, compiled and run offline: a
 * Koog agent over a scripted model, whose chat memory is kept in the store and survives a restart.
 */
class KoogExamplesTest {
    private static final EmbeddedMongo SERVER = new EmbeddedMongo();
    private static final LLModel MODEL = new LLModel(LLMProvider.OpenAI, "scripted", List.of(LLMCapability.Completion.INSTANCE),
            null, null);

    @AfterAll
    static void stop() {
        SERVER.close();
    }

    /** A model that answers how many user messages it was sent; it records every prompt. */
    static final class ScriptedExecutor extends PromptExecutor {
        final List<List<Message>> prompts = new CopyOnWriteArrayList<>();

        // Koog's suspend API, implemented without suspending
        public Object execute(Prompt prompt, LLModel model, List<?> tools, Continuation<?> completion) {
            prompts.add(prompt.getMessages());
            long users = prompt.getMessages().stream().filter(m -> m.getRole() == Message.Role.User).count();
            return new Message.Assistant("You have sent " + users + " message(s).",
                    new ResponseMetaInfo(kotlin.time.Instant.Companion.fromEpochMilliseconds(System.currentTimeMillis()),
                            12, 5, 7, "scripted", null));
        }

        public Object moderate(Prompt prompt, LLModel model, Continuation<?> completion) {
            throw new UnsupportedOperationException("no moderation in the example");
        }

        // (streaming, Koog's executeStreaming, cannot be declared in Java beside its blocking twin; not used here)

        @Override
        public void close() {}
    }

    @Test
    void koogAgent_onTheStore_keepsItsHistoryAcrossARestart() throws Exception {
        String connectionString = SERVER.connectionString();
        ScriptedExecutor executor = new ScriptedExecutor();

        // @start region="provider"
        ConversationStore store = MongoConversationStore.builder()
                .connectionString(connectionString)
                .database("agents")
                .build();
        ChatHistoryProvider history = ConversationStoreChatHistoryProvider.builder(store)
                .window(100) // load hands the agent the last 100 messages; the history stays whole
                .build();
        // @end

        // @start region="agent"
        AIAgent<String, String> agent = AIAgent.builder()
                .promptExecutor(executor)
                .llmModel(MODEL)
                .systemPrompt("You are a helpful assistant.")
                .install(ChatMemory.Feature, config -> config.chatHistoryProvider(history))
                .build();
        String first = agent.run("Hello!", "conversation-1"); // the conversation id is Koog's run id
        // @end
        store.close();
        assertThat(first).isEqualTo("You have sent 1 message(s).");

        try (ConversationStore again = MongoConversationStore.builder().connectionString(connectionString)
                .database("agents").build()) {
            ChatHistoryProvider restarted = ConversationStoreChatHistoryProvider.builder(again).build();
            AIAgent<String, String> next = AIAgent.builder().promptExecutor(executor).llmModel(MODEL)
                    .systemPrompt("You are a helpful assistant.")
                    .install(ChatMemory.Feature, config -> config.chatHistoryProvider(restarted)).build();

            assertThat(next.run("And again!", "conversation-1")).isEqualTo("You have sent 2 message(s).");
            List<StoredMessage> stored = again.readMessages("conversation-1", 0, 100);
            assertThat(stored).extracting(StoredMessage::role)
                    .containsExactly(Role.SYSTEM, Role.USER, Role.ASSISTANT, Role.USER, Role.ASSISTANT);
            assertThat(stored.get(1).text()).isEqualTo("Hello!");
            assertThat(stored.get(4).text()).isEqualTo("You have sent 2 message(s).");
        }
    }

    @Test
    void readme_and_adapters_showTheCompiledRegions() throws IOException {
        String test = Files.readString(Path.of(
                "src/test/java/io/github/conversationstore/koog/examples/KoogExamplesTest.java"));
        for (String doc : List.of("../README.md", "../docs/ADAPTERS.md")) {
            String text = normalized(Files.readString(Path.of(doc)));
            for (String region : List.of("provider", "agent")) {
                String start = "// @start region=\"" + region + "\"\n";
                int from = test.indexOf(start) + start.length();
                String code = test.substring(from, test.indexOf("// @end", from));
                assertThat(text).as(doc + " shows region " + region).contains(normalized(code));
            }
        }
    }

    private static String normalized(String code) {
        return code.replaceAll("\\s+", " ").trim();
    }
}
