package io.github.conversationstore.testing;

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
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
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
 */
public final class FaultInjectingProxy implements AutoCloseable {
    private static final int OP_MSG = 2013;

    public enum Fault {
        /** Forward the request; when the reply comes, drop it and close the connection. */
        DROP_REPLY_AFTER_APPLY,
        /** Do not forward the request; answer with the armed error document instead. */
        ERROR_WITHOUT_APPLY
    }

    private final ServerSocket listener;
    private final int upstreamPort;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final AtomicInteger remaining = new AtomicInteger();
    private final AtomicInteger injected = new AtomicInteger();
    private volatile byte[] marker = new byte[0];
    private volatile Fault fault;
    private volatile BsonDocument errorReply;

    public FaultInjectingProxy(int upstreamPort) throws IOException {
        this.upstreamPort = upstreamPort;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::acceptLoop, "proxy-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public String connectionString() {
        return "mongodb://127.0.0.1:" + listener.getLocalPort() + "/?directConnection=true";
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

    /** How many faults have been injected so far. */
    public int injected() {
        return injected.get();
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

    private static void start(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
    }

    private final class Connection {
        final Socket client;
        final Socket server;
        volatile boolean dropNextReply;

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
                        injected.incrementAndGet();
                        if (fault == Fault.ERROR_WITHOUT_APPLY) {
                            writeToClient(reply(requestId(message), errorReply));
                            continue;
                        }
                        dropNextReply = true;
                    }
                    toServer.write(message);
                    toServer.flush();
                }
            } catch (IOException e) {
                closeQuietly();
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
                    writeToClient(message);
                }
            } catch (IOException e) {
                closeQuietly();
            }
        }

        synchronized void writeToClient(byte[] bytes) throws IOException {
            OutputStream out = client.getOutputStream();
            out.write(bytes);
            out.flush();
        }

        void closeQuietly() {
            try {
                client.close();
            } catch (IOException ignored) {
                // already closed
            }
            try {
                server.close();
            } catch (IOException ignored) {
                // already closed
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

    @Override
    public void close() throws IOException {
        listener.close();
        for (Socket s : sockets) {
            s.close();
        }
    }
}
