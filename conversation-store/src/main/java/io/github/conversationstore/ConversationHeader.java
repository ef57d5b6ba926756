package io.github.conversationstore;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonAutoDetect.Visibility;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Objects;

/**
 * The summary of a conversation, read in one call and always in agreement with its messages.
 *
 * <p>The constructor throws {@link NullPointerException} naming a null component, and
 * {@link IllegalArgumentException} naming the component and the rule it breaks.
 *
 * @param sessionId the conversation's key
 * @param language the BCP 47 tag recorded when the conversation was created
 * @param createdAt when the conversation was created (to the millisecond)
 * @param updatedAt when the last append was applied (to the millisecond)
 * @param messageCount how many messages the conversation holds; the next append starts at this
 *     sequence number
 * @param attributes the header attributes merged by appends, immutable
 * @param owner whom the conversation belongs to, or {@code null} if no append named an owner
 *     (since 0.3)
 * @param forkedFrom where the conversation was forked from, or {@code null} if it is no fork
 *     (since 0.3; see {@link ConversationStore#fork(String, long, String)})
 * @since 0.1.0
 */
@JsonAutoDetect(fieldVisibility = Visibility.NONE, getterVisibility = Visibility.NONE,
        isGetterVisibility = Visibility.NONE)
@JsonPropertyOrder({"sessionId", "language", "createdAt", "updatedAt", "messageCount", "attributes", "owner",
        "forkedFrom"})
public record ConversationHeader(
        @JsonProperty("sessionId") String sessionId,
        @JsonProperty("language") String language,
        Instant createdAt,
        Instant updatedAt,
        @JsonProperty("messageCount") long messageCount,
        @JsonProperty("attributes") Map<String, String> attributes,
        @JsonProperty("owner") @JsonInclude(JsonInclude.Include.NON_NULL) Owner owner,
        @JsonProperty("forkedFrom") @JsonInclude(JsonInclude.Include.NON_NULL) ForkOrigin forkedFrom) {

    /**
     * Validates and normalizes the components (see the class comment for the rules).
     *
     * @param sessionId see the class comment
     * @param language see the class comment
     * @param createdAt see the class comment
     * @param updatedAt see the class comment
     * @param messageCount see the class comment
     * @param attributes see the class comment
     * @param owner see the class comment; may be null
     * @param forkedFrom see the class comment; may be null
     * @throws NullPointerException if a component other than {@code owner} or {@code forkedFrom} is null
     * @throws IllegalArgumentException if a component breaks its rule
     */
    @JsonCreator(mode = JsonCreator.Mode.DISABLED)
    public ConversationHeader {
        Objects.requireNonNull(sessionId, "sessionId");
        Objects.requireNonNull(language, "language");
        createdAt = Objects.requireNonNull(createdAt, "createdAt").truncatedTo(ChronoUnit.MILLIS);
        updatedAt = Objects.requireNonNull(updatedAt, "updatedAt").truncatedTo(ChronoUnit.MILLIS);
        Checks.notNegative("messageCount", messageCount);
        attributes = Map.copyOf(Objects.requireNonNull(attributes, "attributes"));
    }

    /**
     * Creates a header of a conversation that is no fork.
     *
     * @param sessionId see the class comment
     * @param language see the class comment
     * @param createdAt see the class comment
     * @param updatedAt see the class comment
     * @param messageCount see the class comment
     * @param attributes see the class comment
     * @param owner see the class comment; may be null
     * @throws NullPointerException if a component other than {@code owner} is null
     * @throws IllegalArgumentException if a component breaks its rule
     * @since 0.3
     */
    public ConversationHeader(String sessionId, String language, Instant createdAt, Instant updatedAt,
            long messageCount, Map<String, String> attributes, Owner owner) {
        this(sessionId, language, createdAt, updatedAt, messageCount, attributes, owner, null);
    }

    /**
     * Creates a header of a conversation without an owner.
     *
     * @param sessionId see the class comment
     * @param language see the class comment
     * @param createdAt see the class comment
     * @param updatedAt see the class comment
     * @param messageCount see the class comment
     * @param attributes see the class comment
     * @throws NullPointerException if a component is null
     * @throws IllegalArgumentException if a component breaks its rule
     */
    public ConversationHeader(String sessionId, String language, Instant createdAt, Instant updatedAt,
            long messageCount, Map<String, String> attributes) {
        this(sessionId, language, createdAt, updatedAt, messageCount, attributes, null, null);
    }

    @JsonProperty("createdAt")
    String createdAtText() {
        return createdAt.toString();
    }

    @JsonProperty("updatedAt")
    String updatedAtText() {
        return updatedAt.toString();
    }

    @JsonCreator
    static ConversationHeader fromJson(
            @JsonProperty("sessionId") String sessionId,
            @JsonProperty("language") String language,
            @JsonProperty("createdAt") String createdAt,
            @JsonProperty("updatedAt") String updatedAt,
            @JsonProperty("messageCount") long messageCount,
            @JsonProperty("attributes") Map<String, String> attributes,
            @JsonProperty("owner") Owner owner,
            @JsonProperty("forkedFrom") ForkOrigin forkedFrom) {
        return new ConversationHeader(sessionId, language,
                Instant.parse(Objects.requireNonNull(createdAt, "createdAt")),
                Instant.parse(Objects.requireNonNull(updatedAt, "updatedAt")),
                messageCount, attributes == null ? Map.of() : attributes, owner, forkedFrom);
    }
}
