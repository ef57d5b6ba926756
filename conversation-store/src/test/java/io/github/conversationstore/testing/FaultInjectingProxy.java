package io.github.conversationstore.testing;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.bson.BsonDocument;
import org.bson.codecs.BsonDocumentCodec;
import org.bson.codecs.EncoderContext;
import org.bson.io.BasicOutputBuffer;
import org.bson.BsonBinaryWriter;

/**
 * A TCP proxy on loopback between the driver and a server that injects the failures a real
 * deployment produces but the embedded server cannot: a reply lost after the server applied the
 * write, or an error reply (such as E11000) for a command the server never saw.
 *
 * <p>Faults are armed for the next N requests whose bytes contain a marker (a command name such as
 * {@code findAndModify}); all other traffic, including the driver's monitoring, passes untouched.
 *
 * <p>In random mode ({@link #startRandom(RandomFaults)}) every command request draws a fault from a
 * seeded generator: reply dropped after the server applied the request, reply held for a while,
 * connection reset before the request is forwarded, or the start of an outage during which every
 * new connection and every command is reset. The driver's monitoring ({@code hello},
 * {@code isMaster}) is never touched, so the topology stays usable.
 */
public final class FaultInjectingProxy implements AutoCloseable {
    private static final int OP_MSG = 2013;

    public enum Fault {
        /** Forward the request; when the reply comes, drop it and close the connection. */
        DROP_REPLY_AFTER_APPLY,
        /** Do not forward the request; answer with the armed error document instead. */
        ERROR_WITHOUT_APPLY,
        /** Forward the request; hold its reply for a while (the client may time out first). */
        HOLD_REPLY,
        /** Do not forward the request; reset the connection: the request is never applied. */
        RESET_BEFORE_FORWARD,
        /** An outage began: until it ends, every new connection and every command is reset. */
        OUTAGE,
        /** A connection or command reset because an outage was under way. */
        RESET_DURING_OUTAGE
    }

    /**
     * Probabilities, per command request, of the random faults.
     *
     * @param seed seeds the generator that draws the faults
     * @param dropReply forward, then drop the reply and close the connection
     * @param holdReply forward, then hold the reply: usually up to {@code shortHold}, one time in
     *     five up to {@code longHold}
     * @param reset reset the connection instead of forwarding
     * @param outage start an outage lasting between half of {@code outageLength} and all of it
     * @param shortHold the usual longest hold
     * @param longHold the longest hold
     * @param outageLength the longest outage
     */
    public record RandomFaults(long seed, double dropReply, double holdReply, double reset, double outage,
            Duration shortHold, Duration longHold, Duration outageLength) {
        public RandomFaults {
            if (dropReply + holdReply + reset + outage > 1) {
                throw new IllegalArgumentException("the fault probabilities add up to more than 1");
            }
        }
    }

    /** What the random mode decided for one request. */
    private record Decision(Fault fault, long holdMillis) {
        static final Decision NONE = new Decision(null, 0);
    }

    private final ServerSocket listener;
    private final int upstreamPort;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
    private final AtomicInteger remaining = new AtomicInteger();
    private final AtomicInteger injected = new AtomicInteger();
    private final Map<Fault, AtomicLong> injectedByKind = new EnumMap<>(Fault.class);
    private volatile RandomFaults randomFaults;
    private Random random;
    private volatile long outageEndsAt;
    private volatile byte[] marker = new byte[0];
    private volatile Fault fault;
    private volatile BsonDocument errorReply;

    public FaultInjectingProxy(int upstreamPort) throws IOException {
        this.upstreamPort = upstreamPort;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        for (Fault kind : Fault.values()) {
            injectedByKind.put(kind, new AtomicLong());
        }
        start("proxy-accept", this::acceptLoop);
    }

    public String connectionString() {
        return "mongodb://127.0.0.1:" + listener.getLocalPort() + "/?directConnection=true";
    }

    /**
     * Settings for a client through this proxy with short timeouts (server selection, connect,
     * socket read), so that held replies and outages turn into timeouts, and quick heartbeats after
     * a network error, so that the client recovers quickly.
     */
    public MongoClientSettings clientSettings(Duration timeout) {
        long millis = timeout.toMillis();
        return MongoClientSettings.builder()
                .applyConnectionString(new ConnectionString(connectionString()))
                .applyToClusterSettings(c -> c.serverSelectionTimeout(millis, TimeUnit.MILLISECONDS))
                .applyToServerSettings(s -> s.minHeartbeatFrequency(50, TimeUnit.MILLISECONDS))
                .applyToSocketSettings(s -> s.connectTimeout((int) millis, TimeUnit.MILLISECONDS)
                        .readTimeout((int) millis, TimeUnit.MILLISECONDS))
                .build();
    }

    /** A client through this proxy that waits up to 10 s to select the server (the tests' usual client). */
    public com.mongodb.client.MongoClient client() {
        return com.mongodb.client.MongoClients.create(MongoClientSettings.builder()
                .applyConnectionString(new ConnectionString(connectionString()))
                .applyToClusterSettings(c -> c.serverSelectionTimeout(10, TimeUnit.SECONDS)).build());
    }

    /** Arms a fault for the next {@code times} requests containing {@code commandMarker}. */
    public void arm(Fault kind, String commandMarker, int times) {
        this.fault = kind;
        this.marker = commandMarker.getBytes(StandardCharsets.US_ASCII);
        this.remaining.set(times);
    }

    /** Arms an error reply (see {@link Fault#ERROR_WITHOUT_APPLY}). */
    public void armError(BsonDocument reply, String commandMarker, int times) {
        this.errorReply = reply;
        arm(Fault.ERROR_WITHOUT_APPLY, commandMarker, times);
    }

    /** Starts drawing random faults for every command request (see {@link RandomFaults}). */
    public synchronized void startRandom(RandomFaults faults) {
        this.random = new Random(faults.seed());
        this.randomFaults = faults;
    }

    /** Stops drawing random faults and ends an outage under way; replies already held still come late. */
    public synchronized void stopRandom() {
        this.randomFaults = null;
        this.outageEndsAt = 0;
    }

    /** How many faults have been injected so far. */
    public int injected() {
        return injected.get();
    }

    /** How many faults of each kind have been injected so far. */
    public Map<Fault, Long> injectedByKind() {
        Map<Fault, Long> counts = new EnumMap<>(Fault.class);
        injectedByKind.forEach((kind, n) -> counts.put(kind, n.get()));
        return counts;
    }

    private void count(Fault kind) {
        injected.incrementAndGet();
        injectedByKind.get(kind).incrementAndGet();
    }

    private boolean inOutage() {
        return randomFaults != null && System.nanoTime() - outageEndsAt < 0;
    }

    /** Draws the fault of one command request. */
    private synchronized Decision decide() {
        RandomFaults f = randomFaults;
        if (f == null) {
            return Decision.NONE;
        }
        if (inOutage()) {
            return new Decision(Fault.RESET_DURING_OUTAGE, 0);
        }
        double x = random.nextDouble();
        if ((x -= f.outage()) < 0) {
            long half = f.outageLength().toNanos() / 2;
            outageEndsAt = System.nanoTime() + half + (long) (random.nextDouble() * half);
            return new Decision(Fault.OUTAGE, 0);
        }
        if ((x -= f.reset()) < 0) {
            return new Decision(Fault.RESET_BEFORE_FORWARD, 0);
        }
        if ((x -= f.dropReply()) < 0) {
            return new Decision(Fault.DROP_REPLY_AFTER_APPLY, 0);
        }
        if ((x -= f.holdReply()) < 0) {
            boolean longHold = random.nextInt(5) == 0;
            long from = longHold ? f.shortHold().toMillis() : 50;
            long to = longHold ? f.longHold().toMillis() : f.shortHold().toMillis();
            return new Decision(Fault.HOLD_REPLY, from + (long) (random.nextDouble() * (to - from)));
        }
        return Decision.NONE;
    }

    public static BsonDocument duplicateKeyError() {
        return BsonDocument.parse("{ok: 0, code: 11000, codeName: 'DuplicateKey', errmsg: 'E11000 duplicate key error"
                + " collection: contract.conversations index: sessionId_1 dup key: { sessionId: \"x\" }'}");
    }

    public static BsonDocument error(int code, String codeName) {
        return new BsonDocument("ok", new org.bson.BsonInt32(0))
                .append("code", new org.bson.BsonInt32(code))
                .append("codeName", new org.bson.BsonString(codeName))
                .append("errmsg", new org.bson.BsonString("injected " + codeName));
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                if (inOutage()) {
                    count(Fault.RESET_DURING_OUTAGE);
                    reset(client);
                    continue;
                }
                Socket server = new Socket(InetAddress.getLoopbackAddress(), upstreamPort);
                sockets.add(client);
                sockets.add(server);
                Connection c = new Connection(client, server);
                start("proxy-up", c::pumpRequests);
                start("proxy-down", c::pumpReplies);
            } catch (IOException e) {
                return;
            }
        }
    }

    private void start(String name, Runnable r) {
        Thread t = new Thread(() -> {
            try {
                r.run();
            } finally {
                threads.remove(Thread.currentThread());
            }
        }, name);
        t.setDaemon(true);
        threads.add(t);
        t.start();
    }

    /** Closes a socket with an RST instead of an orderly FIN. */
    private static void reset(Socket socket) {
        try {
            socket.setSoLinger(true, 0);
            socket.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    private final class Connection {
        final Socket client;
        final Socket server;
        volatile boolean dropNextReply;
        volatile long holdNextReplyMillis;

        Connection(Socket client, Socket server) {
            this.client = client;
            this.server = server;
        }

        void pumpRequests() {
            try (DataInputStream in = new DataInputStream(client.getInputStream())) {
                OutputStream toServer = server.getOutputStream();
                while (true) {
                    byte[] message = readMessage(in);
                    if (matches(message) && remaining.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0) {
                        count(fault);
                        if (fault == Fault.ERROR_WITHOUT_APPLY) {
                            writeToClient(reply(requestId(message), errorReply));
                            continue;
                        }
                        dropNextReply = true;
                    } else if (randomFaults != null && isCommand(message) && !applyRandomFault()) {
                        return;
                    }
                    toServer.write(message);
                    toServer.flush();
                }
            } catch (IOException e) {
                closeQuietly();
            }
        }

        /** Draws and applies a random fault; returns whether the request is still to be forwarded. */
        boolean applyRandomFault() {
            Decision decision = decide();
            if (decision.fault() == null) {
                return true;
            }
            count(decision.fault());
            switch (decision.fault()) {
                case DROP_REPLY_AFTER_APPLY:
                    dropNextReply = true;
                    return true;
                case HOLD_REPLY:
                    holdNextReplyMillis = decision.holdMillis();
                    return true;
                default: // a reset, or the start of an outage
                    reset(client);
                    closeQuietly();
                    return false;
            }
        }

        void pumpReplies() {
            try (DataInputStream in = new DataInputStream(server.getInputStream())) {
                while (true) {
                    byte[] message = readMessage(in);
                    if (dropNextReply) {
                        closeQuietly();
                        return;
                    }
                    long hold = holdNextReplyMillis;
                    if (hold > 0) {
                        holdNextReplyMillis = 0;
                        Thread.sleep(hold);
                    }
                    writeToClient(message);
                }
            } catch (IOException e) {
                closeQuietly();
            } catch (InterruptedException e) {
                closeQuietly();
                Thread.currentThread().interrupt();
            }
        }

        synchronized void writeToClient(byte[] bytes) throws IOException {
            OutputStream out = client.getOutputStream();
            out.write(bytes);
            out.flush();
        }

        void closeQuietly() {
            for (Socket s : new Socket[] {client, server}) {
                sockets.remove(s);
                try {
                    s.close();
                } catch (IOException ignored) {
                    // already closed
                }
            }
        }
    }

    private boolean matches(byte[] message) {
        byte[] m = marker;
        if (m.length == 0) {
            return false;
        }
        outer:
        for (int i = 16; i <= message.length - m.length; i++) {
            for (int j = 0; j < m.length; j++) {
                if (message[i + j] != m[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    /**
     * Whether an OP_MSG request is a command other than the driver's monitoring: the name of its
     * body's first field is neither {@code hello} nor {@code isMaster}.
     */
    private static boolean isCommand(byte[] message) {
        ByteBuffer buf = ByteBuffer.wrap(message).order(ByteOrder.LITTLE_ENDIAN);
        if (message.length < 27 || buf.getInt(12) != OP_MSG || message[20] != 0) {
            return false;
        }
        int end = 26;
        while (end < message.length && message[end] != 0) {
            end++;
        }
        String name = new String(message, 26, end - 26, StandardCharsets.US_ASCII);
        return !name.equals("hello") && !name.equalsIgnoreCase("isMaster");
    }

    private static byte[] readMessage(DataInputStream in) throws IOException {
        byte[] lengthBytes = new byte[4];
        in.readFully(lengthBytes);
        int length = ByteBuffer.wrap(lengthBytes).order(ByteOrder.LITTLE_ENDIAN).getInt();
        if (length < 16) {
            throw new EOFException("bad message length " + length);
        }
        byte[] message = new byte[length];
        System.arraycopy(lengthBytes, 0, message, 0, 4);
        in.readFully(message, 4, length - 4);
        return message;
    }

    private static int requestId(byte[] message) {
        return ByteBuffer.wrap(message, 4, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
    }

    /** An OP_MSG reply with one body section. */
    private static byte[] reply(int responseTo, BsonDocument body) {
        BasicOutputBuffer bson = new BasicOutputBuffer();
        new BsonDocumentCodec().encode(new BsonBinaryWriter(bson), body, EncoderContext.builder().build());
        byte[] doc = bson.toByteArray();
        ByteBuffer buf = ByteBuffer.allocate(16 + 4 + 1 + doc.length).order(ByteOrder.LITTLE_ENDIAN);
        buf.putInt(16 + 4 + 1 + doc.length).putInt(0x7000_0000 | responseTo).putInt(responseTo).putInt(OP_MSG);
        buf.putInt(0).put((byte) 0).put(doc);
        return buf.array();
    }

    /** Closes every connection and waits for the proxy's threads to end. */
    @Override
    public void close() throws IOException {
        stopRandom();
        listener.close();
        for (Socket s : sockets) {
            s.close();
        }
        for (Thread t : threads) {
            t.interrupt();
            try {
                t.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
