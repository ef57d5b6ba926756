package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Attack: forks of forks of forks (a chain six deep, with side branches at segment boundaries, at
 * points inside an ancestor's shared range and at 0), then deletions in the middle of the chain in
 * a seeded order, new forks of nodes whose ancestors are already deleted, appends to the survivors:
 * after every step every live node reads whole (pages of 3, windows), and the storage holds exactly
 * what the live nodes read. On MongoDB one store reads (and caches shared chunks) while another
 * deletes; heads of 4 messages so that moves run all the time.
 */
class ForkChainAdversarialTest extends ForkAdversarialBase {

    /** What each live node reads, by session id. */
    private final Map<String, List<String>> model = new LinkedHashMap<>();

    private void run(long seed, ConversationStore writer, ConversationStore reader,
            Function<Collection<String>, Set<String>> stored) {
        Random random = new Random(seed);
        List<String> all = new ArrayList<>();
        model.put("n0", append(writer, "n0", "n0", 6 + random.nextInt(20)));
        all.addAll(model.get("n0"));
        // the chain: each node a fork of the previous one, at a random point, then its own messages
        for (int i = 1; i <= 6; i++) {
            fork(writer, "n" + (i - 1), "n" + i, random, all);
        }
        // side branches of random nodes
        for (int i = 0; i < 5; i++) {
            List<String> live = new ArrayList<>(model.keySet());
            fork(writer, live.get(random.nextInt(live.size())), "s" + i, random, all);
        }
        checkAll(reader, stored, all, "seed " + seed + ", built");
        int step = 0;
        while (model.size() > 1) {
            step++;
            List<String> live = new ArrayList<>(model.keySet());
            String victim = live.get(random.nextInt(Math.max(1, live.size() - 2))); // towards the root first
            writer.deleteConversation(victim);
            model.remove(victim);
            if (random.nextInt(3) == 0 && !model.isEmpty()) {
                List<String> left = new ArrayList<>(model.keySet());
                fork(writer, left.get(random.nextInt(left.size())), "late" + step, random, all);
            }
            if (random.nextBoolean() && !model.isEmpty()) {
                List<String> left = new ArrayList<>(model.keySet());
                String target = left.get(random.nextInt(left.size()));
                List<String> more = append(writer, target, target + " step" + step, 1 + random.nextInt(3));
                model.get(target).addAll(more);
                all.addAll(more);
            }
            checkAll(reader, stored, all, "seed " + seed + ", step " + step + " (deleted " + victim + ")");
        }
        model.keySet().forEach(writer::deleteConversation);
        model.clear();
        checkAll(reader, stored, all, "seed " + seed + ", the end");
    }

    private void fork(ConversationStore writer, String parent, String child, Random random, List<String> all) {
        List<String> from = model.get(parent);
        int kind = random.nextInt(4);
        int at = kind == 0 ? 0 : kind == 1 ? from.size() : random.nextInt(from.size() + 1);
        ConversationHeader header = writer.fork(parent, at, child);
        assertThat(header.forkedFrom().atSequence()).isEqualTo(at);
        List<String> texts = new ArrayList<>(from.subList(0, at));
        List<String> own = append(writer, child, child, 1 + random.nextInt(6));
        texts.addAll(own);
        all.addAll(own);
        model.put(child, texts);
    }

    private void checkAll(ConversationStore reader, Function<Collection<String>, Set<String>> stored, List<String> all,
            String where) {
        Set<String> read = new TreeSet<>();
        for (Map.Entry<String, List<String>> e : model.entrySet()) {
            List<String> expected = e.getValue();
            assertThat(texts(reader, e.getKey())).as(where + ": " + e.getKey()).containsExactlyElementsOf(expected);
            for (int window : new int[] {1, 4, 11}) {
                int take = Math.min(window, expected.size());
                assertThat(reader.recentMessages(e.getKey(), window)).extracting(StoredMessage::text).as(where)
                        .containsExactlyElementsOf(expected.subList(expected.size() - take, expected.size()));
            }
            assertThat(reader.findConversation(e.getKey()).orElseThrow().messageCount()).isEqualTo(expected.size());
            read.addAll(expected);
        }
        Set<String> held = stored.apply(all);
        if (held != null) {
            assertThat(held).as(where + ": stored is exactly what the live nodes read").isEqualTo(read);
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void inMemory(long seed) {
        InMemoryConversationStore store = InMemoryConversationStore.create();
        run(seed, store, store, texts -> {
            Set<String> held = new TreeSet<>(store.heldTexts());
            held.retainAll(texts);
            return held;
        });
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5, 6})
    void mongo(long seed) {
        String database = db("forkchain");
        try (MongoConversationStore writer = builder(client, database).maxHeadMessages(4).build();
                MongoConversationStore reader = builder(client, database).maxHeadMessages(4).build()) {
            run(seed, writer, reader, texts -> {
                try {
                    return stored(client.getDatabase(database), texts);
                } catch (AssertionError nothingStored) {
                    return Set.of(); // every document gone: nothing held
                }
            });
        }
    }
}
