/**
 * JetBrains Koog chat history backed by a {@link io.github.conversationstore.ConversationStore}:
 * {@link io.github.conversationstore.koog.ConversationStoreChatHistoryProvider} is a
 * {@code ChatHistoryProvider} for Koog's {@code ChatMemory} feature that appends only what is new in
 * the history it is given, each message exactly once, and never rewrites or deletes.
 *
 * <p>Koog is a {@code provided} dependency: the application brings the version it uses (built and
 * tested with 1.0.0).
 *
 * @since 0.3
 */
package io.github.conversationstore.koog;
