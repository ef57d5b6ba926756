package io.github.conversationstore.springai.testing;

import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandSucceededEvent;
import java.util.concurrent.atomic.AtomicLong;
import org.bson.RawBsonDocument;
import org.bson.codecs.BsonDocumentCodec;

/** Counts the commands sent and the bytes of their replies while {@link #measure} runs. */
public final class ReplyBytes implements CommandListener {
    private volatile boolean on;
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong commands = new AtomicLong();

    /** What one measured action cost. */
    public record Cost(long commands, long replyBytes) {}

    @Override
    public void commandSucceeded(CommandSucceededEvent event) {
        if (on) {
            commands.incrementAndGet();
            bytes.addAndGet(new RawBsonDocument(event.getResponse(), new BsonDocumentCodec()).getByteBuffer().remaining());
        }
    }

    public synchronized Cost measure(Runnable action) {
        bytes.set(0);
        commands.set(0);
        on = true;
        try {
            action.run();
        } finally {
            on = false;
        }
        return new Cost(commands.get(), bytes.get());
    }
}
