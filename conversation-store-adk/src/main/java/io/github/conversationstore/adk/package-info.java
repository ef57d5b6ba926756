/**
 * Google Agent Development Kit (ADK) for Java sessions backed by a
 * {@link io.github.conversationstore.ConversationStore}:
 * {@link io.github.conversationstore.adk.ConversationStoreSessionService} is a
 * {@code BaseSessionService} whose events are appended exactly once, in one order for every
 * reader, with their state deltas, and survive a restart or a second instance of the application.
 *
 * <p>ADK is a {@code provided} dependency: the application brings the version it uses (built and
 * tested with 1.8.0).
 *
 * @since 0.3
 */
package io.github.conversationstore.adk;
