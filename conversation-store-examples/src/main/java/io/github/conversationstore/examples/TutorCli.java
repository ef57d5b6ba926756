package io.github.conversationstore.examples;

import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.ConversationStoreException;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.StoredMessage;
import io.github.conversationstore.TurnResult;
import io.github.conversationstore.TurnService;
import io.github.conversationstore.spi.ReplyProvider;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.IllformedLocaleException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * An interactive language tutor in the terminal. Claude answers when {@code ANTHROPIC_API_KEY} is
 * set, the offline tutor otherwise. {@code MONGODB_URI} selects a MongoDB server; without it an
 * embedded server runs: in memory; or, with {@code --keep}, kept across runs in
 * {@code ~/.conversation-store/tutor.mv} (the directory {@code TUTOR_DATA_DIR} names, if set), never
 * in the working directory; or, with {@code --data FILE}, in that file.
 *
 * <pre>
 * Commands: /history  /new  /lang zh-CN  /help  /quit
 * Options:  --lang TAG (default es)  --session ID  --keep  --data FILE
 * </pre>
 */
public final class TutorCli {
    private static final String HELP = "commands: /history  /new  /lang <tag, e.g. zh-CN>  /help  /quit";

    private final BufferedReader in;
    private final PrintStream out;
    private final TurnService turns;
    private final ConversationStore store;
    private String language;
    private String sessionId;

    TutorCli(BufferedReader in, PrintStream out, ConversationStore store, ReplyProvider provider, String language,
            String sessionId) {
        this.in = in;
        this.out = out;
        this.store = store;
        this.turns = TurnService.builder(store).provider(provider).replyTimeout(Duration.ofSeconds(60)).build();
        this.language = language;
        this.sessionId = sessionId;
    }

    public static void main(String[] args) {
        try {
            System.exit(run(args, System.getenv(), new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)),
                    System.out));
        } catch (RuntimeException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(1);
        }
    }

    /** Parses the options, opens the store and the tutor, and runs the session loop. */
    static int run(String[] args, Map<String, String> env, BufferedReader in, PrintStream out) {
        Options options = Options.parse(args, env);
        String uri = env.get("MONGODB_URI");
        EmbeddedServer server = null;
        String connection;
        if (uri != null && !uri.isBlank()) {
            connection = uri;
        } else {
            server = options.data == null ? EmbeddedServer.inMemory() : EmbeddedServer.inFile(createParent(options.data));
            connection = server.connectionString();
        }
        ReplyProvider provider = Providers.from(env);
        try (ConversationStore store = MongoConversationStore.builder().connectionString(connection)
                .database("tutor").build()) {
            out.println("Tutor: " + Providers.describe(provider) + "; storage: "
                    + (server == null ? "MongoDB at MONGODB_URI" : options.data == null ? "embedded, in memory"
                            : "embedded, kept in " + options.data));
            TutorCli cli = new TutorCli(in, out, store, provider, options.language, options.session);
            cli.loop();
            return 0;
        } finally {
            if (server != null) {
                server.close();
            }
            if (provider instanceof AutoCloseable) {
                closeQuietly((AutoCloseable) provider);
            }
        }
    }

    void loop() {
        out.println("Session " + sessionId + " in " + TutorPrompt.languageName(language) + ". " + HELP);
        try (TurnService service = turns) {
            String line;
            while (prompt() && (line = in.readLine()) != null) {
                line = line.strip();
                if (line.isEmpty()) {
                    continue;
                }
                if (line.startsWith("/")) {
                    if (!command(line)) {
                        return;
                    }
                    continue;
                }
                try {
                    TurnResult turn = service.respond(sessionId, language, line);
                    out.println("tutor> " + turn.reply().text());
                    turn.reply().message().attribute(TutorAttributes.GRAMMAR_SUGGESTION).ifPresent(g -> out.println("        grammar: " + g));
                    turn.reply().message().attribute(TutorAttributes.TRANSLATION).ifPresent(t -> out.println("        English: " + t));
                } catch (ConversationStoreException | IllegalArgumentException e) {
                    out.println("error: " + e.getMessage());
                }
            }
        } catch (IOException e) {
            out.println("error: could not read input: " + e.getMessage());
        }
    }

    private boolean prompt() {
        out.print("you> ");
        out.flush();
        return true;
    }

    /** Runs a command; returns false to quit. */
    private boolean command(String line) {
        String[] parts = line.split("\\s+", 2);
        switch (parts[0].toLowerCase(Locale.ROOT)) {
            case "/quit":
            case "/exit":
                out.println("Bye!");
                return false;
            case "/new":
                sessionId = newSessionId();
                out.println("New session " + sessionId + " in " + TutorPrompt.languageName(language) + ".");
                return true;
            case "/lang":
                if (parts.length < 2) {
                    out.println("error: /lang needs a language tag, such as /lang zh-CN");
                    return true;
                }
                try {
                    language = new Locale.Builder().setLanguageTag(parts[1].strip()).build().toLanguageTag();
                    sessionId = newSessionId();
                    out.println("Now learning " + TutorPrompt.languageName(language) + " (" + language
                            + "), in the new session " + sessionId + ".");
                } catch (IllformedLocaleException e) {
                    out.println("error: '" + parts[1].strip() + "' is not a language tag such as es, fr or zh-CN");
                }
                return true;
            case "/history":
                List<StoredMessage> messages = store.recentMessages(sessionId, 100);
                if (messages.isEmpty()) {
                    out.println("(no messages yet in session " + sessionId + ")");
                }
                for (StoredMessage m : messages) {
                    out.printf("#%d %s: %s%n", m.sequence(), m.role().wireName(), m.text());
                }
                return true;
            case "/help":
                out.println(HELP);
                return true;
            default:
                out.println("error: unknown command " + parts[0] + "; " + HELP);
                return true;
        }
    }

    private static String newSessionId() {
        return "cli-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** The data file's directory, created if missing; returns the file. */
    private static String createParent(String file) {
        Path parent = Path.of(file).toAbsolutePath().getParent();
        try {
            Files.createDirectories(parent);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot create the directory " + parent + " for the data: " + e.getMessage(), e);
        }
        return file;
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            // nothing to do at exit
        }
    }

    private static final class Options {
        String language = "es";
        String session = newSessionId();
        String data;

        static Options parse(String[] args, Map<String, String> env) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String value = i + 1 < args.length ? args[i + 1] : null;
                switch (args[i]) {
                    case "--lang":
                        o.language = require(args[i], value);
                        i++;
                        break;
                    case "--session":
                        o.session = require(args[i], value);
                        i++;
                        break;
                    case "--data":
                        o.data = require(args[i], value);
                        i++;
                        break;
                    case "--keep":
                        o.data = defaultDataDirectory(env).resolve("tutor.mv").toString();
                        break;
                    default:
                        throw new IllegalArgumentException("unknown option " + args[i]
                                + "; options: --lang TAG, --session ID, --keep, --data FILE");
                }
            }
            return o;
        }

        /** {@code TUTOR_DATA_DIR}, else {@code .conversation-store} in the user's home. */
        private static Path defaultDataDirectory(Map<String, String> env) {
            String dir = env.get("TUTOR_DATA_DIR");
            return dir != null && !dir.isBlank() ? Path.of(dir)
                    : Path.of(System.getProperty("user.home"), ".conversation-store");
        }

        private static String require(String option, String value) {
            if (value == null) {
                throw new IllegalArgumentException(option + " needs a value");
            }
            return value;
        }
    }
}
