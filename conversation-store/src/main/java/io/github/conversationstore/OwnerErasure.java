package io.github.conversationstore;

/**
 * What {@link ConversationStore#eraseOwner(Owner)} erased.
 *
 * @param owner whose conversations
 * @param conversations how many conversations this call erased
 * @param messages how many messages they held
 * @since 0.3
 */
public record OwnerErasure(Owner owner, long conversations, long messages) {}
