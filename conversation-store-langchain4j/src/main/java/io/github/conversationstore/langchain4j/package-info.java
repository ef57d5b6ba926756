/**
 * LangChain4j chat memory backed by a {@link io.github.conversationstore.ConversationStore}: the
 * store's guarantees (atomic, exactly-once, ordered appends; unbounded history; reads that cost the
 * window, not the conversation) behind the interfaces LangChain4j applications already use.
 *
 * <ul>
 *   <li>{@link io.github.conversationstore.langchain4j.ConversationStoreChatMemoryStore}: a
 *       {@code ChatMemoryStore} for applications that keep {@code MessageWindowChatMemory};</li>
 *   <li>{@link io.github.conversationstore.langchain4j.ConversationStoreChatMemory} and
 *       {@link io.github.conversationstore.langchain4j.ConversationStoreChatMemoryProvider}: a
 *       {@code ChatMemory} that appends instead of rewriting, for {@code AiServices}.</li>
 * </ul>
 *
 * <h2>How writes are recognized</h2>
 * LangChain4j hands a store the whole window on every write, after evicting the oldest messages or
 * replacing the system message. The adapter remembers, weakly and per conversation, every message
 * object it returned from a read or stored, and appends only what follows the last message it
 * recognizes. LangChain4j messages carry no id, so equal content is not taken as proof that a
 * message is stored: two instances that append equal text at the same point both keep their
 * message. Only a list in which no message is recognized, for a conversation the adapter never read,
 * is matched with the stored tail by content. Each append has its own append id; a write that failed
 * is sent again under the same id when one of its message objects comes again, so a retry is a
 * duplicate, not a double. A system message is appended under an id derived from its text and the
 * number of system messages stored before it, so instances storing the same one at once store it
 * once.
 *
 * <h2>Stored shape</h2>
 * <table>
 *   <caption>LangChain4j messages as stored messages</caption>
 *   <tr><th>LangChain4j</th><th>stored</th></tr>
 *   <tr><td>{@code SystemMessage}</td><td>{@code SYSTEM}, one text part; its text is also kept in the
 *       conversation header ({@code langchain4jSystemMessage}) so that a window can show it first</td></tr>
 *   <tr><td>{@code UserMessage}</td><td>{@code USER}; text contents as text parts, image, audio,
 *       video and PDF contents as media parts (by URL, or inline when at most 64 KiB)</td></tr>
 *   <tr><td>{@code AiMessage}</td><td>{@code ASSISTANT}; thinking as a reasoning part (its signature
 *       from the {@code thinking_signature} attribute), the text as a text part, each tool execution
 *       request as a tool call part; a request without an id gets the call id
 *       {@code lc4j-call-<index>} (and its result, without an id too, the same one)</td></tr>
 *   <tr><td>{@code ToolExecutionResultMessage}</td><td>{@code TOOL}, one tool result part (call id,
 *       tool name, text, error flag)</td></tr>
 *   <tr><td>{@code CustomMessage}</td><td>{@code USER}, one part of type {@code langchain4j_custom}
 *       holding the attributes</td></tr>
 * </table>
 * What a part cannot say (a user name, attributes, a detail level, a missing MIME type, a null
 * text or id) is kept in the message's metadata under {@code langchain4j}, so every message reads
 * back {@code equals} to the one written. Attribute values must be JSON values (strings, numbers,
 * booleans, null, lists, maps); whole numbers read back as {@code Integer} when they fit, as with
 * LangChain4j's own JSON codec. Messages written by other code read back from their parts.
 */
package io.github.conversationstore.langchain4j;
