package io.github.conversationstore.testing;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * Captures the library's log lines, every level (System.Logger goes to java.util.logging unless the
 * application routes it elsewhere). Close it to stop capturing and restore the logger's level.
 */
public final class LogCapture implements AutoCloseable {
    private final Logger logger = Logger.getLogger("io.github.conversationstore");
    private final Level previous = logger.getLevel();
    private final List<LogRecord> records = Collections.synchronizedList(new ArrayList<>());
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord record) {
            records.add(record);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    private LogCapture() {
        logger.setLevel(Level.ALL);
        logger.addHandler(handler);
    }

    /** Starts capturing. */
    public static LogCapture start() {
        return new LogCapture();
    }

    /** The records captured so far. */
    public List<LogRecord> records() {
        synchronized (records) {
            return List.copyOf(records);
        }
    }

    /** The captured lines, each its level and formatted message. */
    public List<String> lines() {
        SimpleFormatter formatter = new SimpleFormatter();
        return records().stream().map(r -> r.getLevel() + " " + formatter.formatMessage(r)).toList();
    }

    @Override
    public void close() {
        logger.removeHandler(handler);
        logger.setLevel(previous);
    }
}
