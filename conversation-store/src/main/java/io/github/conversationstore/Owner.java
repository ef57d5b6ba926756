package io.github.conversationstore;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Objects;

/**
 * Whom a conversation belongs to: a user, optionally under a tenant (an application, an
 * organization). Set by the first append that names it and fixed from then on (an append naming
 * another owner is refused with {@link OwnerMismatchException}); it lets a product list a user's
 * conversations ({@link ConversationStore#listConversations(Owner, String, int)}) and erase all of
 * them at once ({@link ConversationStore#eraseOwner(Owner)}).
 *
 * <p>Both ids follow the rules of other ids: not blank, at most
 * {@link ConversationStore#MAX_ID_LENGTH} characters, no control characters, no unpaired
 * surrogates. Two owners are the same when both ids are equal; an owner without a tenant is not the
 * same as one with a tenant.
 *
 * @param tenant the application or tenant the user belongs to, or {@code null} for none
 * @param userId the user
 * @since 0.3
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Owner(@JsonProperty("tenant") String tenant, @JsonProperty("userId") String userId) {

    /**
     * Validates the ids.
     *
     * @param tenant see the class comment; may be null
     * @param userId see the class comment
     * @throws NullPointerException if {@code userId} is null
     * @throws IllegalArgumentException if an id breaks its rule
     */
    @JsonCreator
    public Owner {
        Checks.identifier("userId", userId, ConversationStore.MAX_ID_LENGTH);
        if (tenant != null) {
            Checks.identifier("tenant", tenant, ConversationStore.MAX_ID_LENGTH);
        }
    }

    /**
     * An owner without a tenant.
     *
     * @param userId the user
     * @return the owner
     * @throws IllegalArgumentException if {@code userId} breaks its rule
     */
    public static Owner of(String userId) {
        return new Owner(null, userId);
    }

    /**
     * An owner under a tenant.
     *
     * @param tenant the tenant (an application id, an organization)
     * @param userId the user
     * @return the owner
     * @throws NullPointerException if an id is null
     * @throws IllegalArgumentException if an id breaks its rule
     */
    public static Owner of(String tenant, String userId) {
        return new Owner(Objects.requireNonNull(tenant, "tenant"), userId);
    }

    @Override
    public String toString() {
        return tenant == null ? "Owner[" + userId + "]" : "Owner[" + tenant + "/" + userId + "]";
    }
}
