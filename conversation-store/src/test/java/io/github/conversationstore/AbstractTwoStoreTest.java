package io.github.conversationstore;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * Tests against two stores over the same data: for MongoDB two clients (standing for two
 * processes), in memory the same store twice.
 */
abstract class AbstractTwoStoreTest {
    protected ConversationStore first;
    protected ConversationStore second;

    /** Returns two stores over the same, empty data. */
    protected abstract ConversationStore[] createStores();

    @BeforeEach
    void open() {
        ConversationStore[] stores = createStores();
        first = stores[0];
        second = stores[1];
    }

    @AfterEach
    void close() {
        if (first != null) { // null when the stores were not made (a skipped test)
            first.close();
            second.close();
        }
    }
}
