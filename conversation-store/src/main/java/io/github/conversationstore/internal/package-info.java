/**
 * Internal helpers the adapter modules share (the identity map and ledger by which they recognize
 * message objects, the fitting of oversized texts). <b>Not an API: may change or go without
 * notice.</b> The module exports this package only to the adapter modules
 * ({@code io.github.conversationstore.springai} and {@code io.github.conversationstore.langchain4j});
 * on the class path nothing stops other code from using it, but nothing here is kept compatible.
 *
 * @since 0.2.0
 */
package io.github.conversationstore.internal;
