package io.github.conversationstore.adk;

import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.Owner;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Objects;

/**
 * How ADK's keys become the store's: a session is keyed by app name, user id and session id (two
 * users of one app may both have a session {@code s1}), the store by one session id. The three are
 * joined with {@code /}, each escaped so that the join is reversible and no two keys meet.
 */
final class StoreKeys {
    /** Prefix of the store session id of an ADK session. */
    static final String SESSION = "adk/";
    /** Prefix of the store session id that holds a user's {@code user:} state. */
    static final String USER_STATE = "adk-user/";
    /** Prefix of the store session id that holds an app's {@code app:} state. */
    static final String APP_STATE = "adk-app/";

    private StoreKeys() {}

    static String session(String appName, String userId, String sessionId) {
        return checked(SESSION + escape(appName) + "/" + escape(userId) + "/" + escape(sessionId),
                "appName, userId and sessionId");
    }

    /** The prefix every store session id of this user's sessions starts with. */
    static String sessionPrefix(String appName, String userId) {
        return SESSION + escape(appName) + "/" + escape(userId) + "/";
    }

    static String userState(String appName, String userId) {
        return checked(USER_STATE + escape(appName) + "/" + escape(userId), "appName and userId");
    }

    static String appState(String appName) {
        return checked(APP_STATE + escape(appName), "appName");
    }

    /** The ADK session id of a store session id that starts with {@code prefix}. */
    static String sessionIdOf(String storeId, String prefix) {
        return unescape(storeId.substring(prefix.length()));
    }

    /** The owner of a user's sessions and state: the app as tenant, the user as user. */
    static Owner owner(String appName, String userId) {
        return Owner.of(appName, userId);
    }

    /** A short, stable id for a longer text: SHA-256, base64url, 43 characters. */
    static String digest(String text) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(hash);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private static String checked(String storeId, String names) {
        if (storeId.length() > ConversationStore.MAX_SESSION_ID_LENGTH) {
            throw new IllegalArgumentException(names + " together must fit a store session id of at most "
                    + ConversationStore.MAX_SESSION_ID_LENGTH + " characters (escaped and joined with '/'), were "
                    + storeId.length());
        }
        return storeId;
    }

    static String escape(String part) {
        Objects.requireNonNull(part, "part");
        StringBuilder out = new StringBuilder(part.length());
        for (int i = 0; i < part.length(); i++) {
            char c = part.charAt(i);
            if (c == '%') {
                out.append("%25");
            } else if (c == '/') {
                out.append("%2F");
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    static String unescape(String part) {
        StringBuilder out = new StringBuilder(part.length());
        for (int i = 0; i < part.length(); i++) {
            if (part.startsWith("%25", i)) {
                out.append('%');
                i += 2;
            } else if (part.startsWith("%2F", i)) {
                out.append('/');
                i += 2;
            } else {
                out.append(part.charAt(i));
            }
        }
        return out.toString();
    }
}
