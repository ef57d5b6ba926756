package io.github.conversationstore.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.Message;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.StoredMessage;
import io.github.conversationstore.TurnService;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The chat page in a real browser: headless Chromium driven by Selenium, against a chat server with
 * the offline tutor. Uses the Chromium and chromedriver of Debian's {@code chromium} and
 * {@code chromium-driver} packages (or those named by the {@code CHROMIUM} and {@code CHROMEDRIVER}
 * environment variables), with explicit paths so that Selenium Manager never downloads anything;
 * skipped, with the reason, where they are absent.
 */
class ChatPageBrowserTest {
    private static final Path CHROMIUM = Path.of(System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium"));
    private static final Path CHROMEDRIVER = Path.of(System.getenv().getOrDefault("CHROMEDRIVER", "/usr/bin/chromedriver"));
    private static final boolean BROWSER_PRESENT = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
    private static final Duration WAIT = Duration.ofSeconds(20);

    private static EmbeddedServer mongo;
    private static ConversationStore store;
    private static ChatServer server;
    /** A tutor slow enough to act while it streams: a word every 800 ms. */
    private static ChatServer slowServer;
    private static final Duration WORD_DELAY = Duration.ofMillis(800);
    private static final String FIRST_REPLY = "¡Muy bien! ¿Qué hiciste hoy?";
    private static Path profile;
    private static ChromeDriver browser;
    /** Kept, so that its level holds: Selenium warns when it has no DevTools bindings for this Chromium. */
    private static final Logger CDP_VERSION_LOG = Logger.getLogger("org.openqa.selenium.devtools.CdpVersionFinder");

    @BeforeAll
    static void startServerAndBrowser() throws IOException {
        if (!BROWSER_PRESENT) {
            return; // each test is skipped, with the reason
        }
        CDP_VERSION_LOG.setLevel(Level.SEVERE); // the test uses WebDriver only, no DevTools
        mongo = EmbeddedServer.inMemory();
        store = MongoConversationStore.builder().connectionString(mongo.connectionString()).database("chat").build();
        server = ChatServer.start(0, store, new OfflineTutor());
        slowServer = ChatServer.start(0, store, new OfflineTutor(WORD_DELAY));
        profile = Files.createTempDirectory("chat-page-chromium");
        ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM.toFile()).addArguments("--headless=new",
                "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + profile);
        // both paths explicit: Selenium Manager, which would download a browser or a driver, never runs
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
    }

    @AfterAll
    static void stopServerAndBrowser() throws IOException {
        if (browser != null) {
            browser.quit();
        }
        if (server != null) {
            server.close();
            slowServer.close();
            store.close();
            mongo.close();
        }
        if (profile != null) {
            try (Stream<Path> files = Files.walk(profile)) {
                files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
            }
        }
    }

    @BeforeEach
    void openThePage() {
        assumeTrue(BROWSER_PRESENT, "browser test skipped: no Chromium at " + CHROMIUM + " or no chromedriver at "
                + CHROMEDRIVER + " (install Debian's chromium and chromium-driver, or set CHROMIUM and CHROMEDRIVER)");
        browser.executeCdpCommand("Emulation.clearDeviceMetricsOverride", Map.of());
        browser.manage().window().setSize(new Dimension(1024, 800));
        browser.get("http://127.0.0.1:" + server.port() + "/");
    }

    @Test
    void send_showsTheReply_andTheGrammarSuggestionUnderTheStudentsMessage() {
        startSession("browser-send", "es");

        send("hola amigo");

        WebElement user = waitFor(".msg.user:not(.pending)");
        WebElement reply = waitFor(".msg.assistant");
        assertThat(user.findElement(By.cssSelector("span.text")).getText()).isEqualTo("hola amigo");
        assertThat(user.findElement(By.cssSelector(".extra.grammar")).getText()).contains("Hola amigo.");
        assertThat(reply.findElement(By.cssSelector("span.text")).getText()).isEqualTo("¡Muy bien! ¿Qué hiciste hoy?");
        assertThat(reply.findElement(By.cssSelector(".extra.english")).getText()).contains("What did you do today?");
        assertThat(reply.findElements(By.cssSelector(".extra.grammar"))).isEmpty();
        assertThat(text("#status")).isEmpty();
        assertThat(text("#error")).isEmpty();
    }

    @Test
    void sending_showsAnIndicatorUntilTheReplyComes() {
        startSession("browser-indicator", "es");
        ((JavascriptExecutor) browser).executeScript( // hold the request so the indicator can be seen
                "const real = window.fetch; window.release = null;"
                        + "window.fetch = (...a) => new Promise(r => { window.release = () => r(real(...a)); });");

        send("hola");

        assertThat(waitForText("#status")).isEqualTo("Sending…");
        assertThat(browser.findElement(By.id("send")).isEnabled()).isFalse();
        assertThat(browser.findElements(By.cssSelector(".msg.user.pending"))).hasSize(1);
        ((JavascriptExecutor) browser).executeScript("window.release()");
        waitFor(".msg.assistant");
        assertThat(text("#status")).isEmpty();
        assertThat(browser.findElement(By.id("send")).isEnabled()).isTrue();
    }

    @Test
    void reloadingThePage_andLoadingTheSession_showsItsHistory() {
        startSession("browser-history", "fr");
        send("bonjour");
        waitFor(".msg.assistant");

        browser.navigate().refresh();
        startSession("browser-history", "es");

        assertThat(messages()).containsExactly("bonjour", "Très bien ! Qu'as-tu fait aujourd'hui ?");
        assertThat(browser.findElement(By.id("language")).getAttribute("value")).isEqualTo("fr");
        assertThat(waitFor(".msg.user .extra.grammar").getText()).contains("Bonjour.");
        assertThat(browser.findElements(By.cssSelector(".msg.assistant .extra.grammar"))).isEmpty();
    }

    @Test
    void switchingTheSession_clearsTheOldMessages_andShowsTheNewSessionsOnes() {
        try (TurnService turns = TurnService.builder(store).provider(new OfflineTutor()).build()) {
            turns.respond("browser-other", "de", "Guten Tag.");
        }
        startSession("browser-first", "es");
        send("hola");
        waitFor(".msg.assistant");

        startSession("browser-other", "es");

        assertThat(messages()).containsExactly("Guten Tag.", "Sehr gut! Was hast du heute gemacht?");
        assertThat(browser.findElement(By.id("language")).getAttribute("value")).isEqualTo("de");

        startSession("browser-new-" + UUID.randomUUID(), "es");
        assertThat(messages()).isEmpty();
        assertThat(text("#error")).isEmpty();
    }

    @Test
    void aRefusedMessage_isMarkedFailed_andTheLearnerSeesAFriendlyMessage() {
        startSession("browser-error", "es");

        sendWithoutTyping("a".repeat(70_000)); // over the library's 65,536 bytes a message

        WebElement failed = waitFor(".msg.user.failed");
        assertThat(failed.getText()).contains("Not sent");
        assertThat(waitForText("#error")).contains("could not take this message").doesNotContain("65536").doesNotContain("messages[0]");
        assertThat(browser.findElements(By.cssSelector(".msg.assistant"))).isEmpty();
        assertThat(text("#status")).isEmpty();
    }

    @Test
    void longUnbrokenText_wrapsInAPhoneWideWindow() {
        // a phone's screen: a headless window is at least 500 px wide, so the device is emulated
        browser.executeCdpCommand("Emulation.setDeviceMetricsOverride",
                Map.of("width", 375, "height", 812, "deviceScaleFactor", 2, "mobile", true));
        browser.navigate().refresh();
        assertThat(number("return window.innerWidth")).isEqualTo(375);
        startSession("browser-phone", "es");

        sendWithoutTyping("b".repeat(5_000));
        waitFor(".msg.assistant");
        sendWithoutTyping("c".repeat(70_000));
        waitFor(".msg.user.failed");

        assertThat(number("return document.documentElement.scrollWidth")).isLessThanOrEqualTo(375);
        assertThat(number("return window.innerWidth")).isEqualTo(375); // the page did not zoom out to fit
    }

    @Test
    void chineseText_isSentAndShown_withTheIdeographicFullStop() {
        startSession("browser-zh", "zh-CN");

        send("我今天去公园");

        WebElement user = waitFor(".msg.user:not(.pending)");
        assertThat(user.findElement(By.cssSelector("span.text")).getText()).isEqualTo("我今天去公园");
        // the suggestion is drawn under the message once the turn's reply says it: wait for it
        assertThat(waitFor(".msg.user:not(.pending) .extra.grammar").getText())
                .contains("我今天去公园。").doesNotContain("capital");
        assertThat(waitFor(".msg.assistant span.text").getText()).isEqualTo("很好！你今天做了什么？");
    }

    @Test
    void typingASessionId_andClickingLoadHistory_showsEachMessageOnce() {
        try (TurnService turns = TurnService.builder(store).provider(new OfflineTutor()).build()) {
            turns.respond("browser-once", "es", "hola");
            turns.respond("browser-once", "es", "me gusta el café");
        }
        countRequests();
        WebElement session = browser.findElement(By.id("session"));
        session.clear();
        session.sendKeys("browser-once"); // no Tab: the click leaves the field, so a change and a click come

        browser.findElement(By.id("load")).click();
        awaitQuietPage();

        assertThat(messages()).containsExactly("hola", "¡Muy bien! ¿Qué hiciste hoy?", "me gusta el café",
                "¡Qué interesante! ¿Y qué te gusta comer?");
        assertThat(browser.findElements(By.cssSelector(".msg.user .extra.grammar"))).hasSize(2);
        assertThat(text("#error")).isEmpty();

        browser.findElement(By.id("load")).click(); // loading again shows it once again, not twice
        awaitQuietPage();
        assertThat(messages()).hasSize(4);
    }

    @Test
    void aSessionIdInTheAddress_opensThatSession_andAReloadKeepsTheSessionShown() {
        try (TurnService turns = TurnService.builder(store).provider(new OfflineTutor()).build()) {
            turns.respond("browser-address", "de", "Guten Tag.");
        }
        browser.get("http://127.0.0.1:" + server.port() + "/?sessionId=browser-address");
        assertThat(browser.findElement(By.id("session")).getAttribute("value")).isEqualTo("browser-address");
        awaitHistory();
        assertThat(messages()).containsExactly("Guten Tag.", "Sehr gut! Was hast du heute gemacht?");
        assertThat(browser.findElement(By.id("language")).getAttribute("value")).isEqualTo("de");

        browser.navigate().refresh();
        assertThat(browser.findElement(By.id("session")).getAttribute("value")).isEqualTo("browser-address");
        awaitHistory();
        assertThat(messages()).containsExactly("Guten Tag.", "Sehr gut! Was hast du heute gemacht?");

        // another session typed in: the address follows, and a reload keeps it
        startSession("browser-address-2", "fr");
        send("bonjour");
        waitFor(".msg.assistant");
        assertThat(browser.getCurrentUrl()).endsWith("/?sessionId=browser-address-2");
        browser.navigate().refresh();
        assertThat(browser.findElement(By.id("session")).getAttribute("value")).isEqualTo("browser-address-2");
        awaitHistory();
        assertThat(messages()).containsExactly("bonjour", "Très bien ! Qu'as-tu fait aujourd'hui ?");

        // the page's own new session too: a reload shows the same one
        browser.get("http://127.0.0.1:" + server.port() + "/");
        String generated = browser.findElement(By.id("session")).getAttribute("value");
        browser.navigate().refresh();
        assertThat(browser.findElement(By.id("session")).getAttribute("value")).isEqualTo(generated);
    }

    @Test
    void aRejectedMessage_staysInTheInput_andTheErrorSaysWhatWasWrong() {
        startSession("browser-retry", "en_US");

        send("hello there");

        waitFor(".msg.user.failed");
        assertThat(waitForText("#error")).contains("en_US").contains("language code")
                .doesNotContain("too long").doesNotContain("BCP 47");
        assertThat(browser.findElement(By.id("text")).getAttribute("value")).isEqualTo("hello there");

        WebElement language = browser.findElement(By.id("language"));
        language.clear();
        language.sendKeys("en");
        browser.findElement(By.id("send")).click();

        WebElement reply = waitFor(".msg.assistant");
        assertThat(reply.findElement(By.cssSelector("span.text")).getText()).isNotBlank();
        assertThat(text("#error")).isEmpty();
        assertThat(browser.findElement(By.id("text")).getAttribute("value")).isEmpty();
        assertThat(messages()).containsExactly("hello there", reply.findElement(By.cssSelector("span.text")).getText());

        sendWithoutTyping("d".repeat(70_000));
        waitFor(".msg.user.failed");
        assertThat(waitForText("#error")).contains("too long").doesNotContain("language");
        assertThat(browser.findElement(By.id("text")).getAttribute("value")).hasSize(70_000);
    }

    @Test
    void afterAHistoryLoad_onAPhone_theSendBoxStaysOnScreen() throws IOException {
        try (TurnService turns = TurnService.builder(store).provider(new OfflineTutor()).build()) {
            for (int i = 0; i < 15; i++) {
                turns.respond("browser-long", "es", "hoy es el día " + i + " de mis clases de español");
            }
        }
        browser.executeCdpCommand("Emulation.setDeviceMetricsOverride",
                Map.of("width", 375, "height", 667, "deviceScaleFactor", 2, "mobile", true));
        browser.navigate().refresh();
        assertThat(number("return window.innerWidth")).isEqualTo(375);

        startSession("browser-long", "es");

        assertThat(messages()).hasSize(30);
        long viewport = number("return window.innerHeight");
        for (String id : List.of("text", "send")) {
            assertThat(number("const r = document.getElementById('" + id + "').getBoundingClientRect(); return r.top"))
                    .as(id + " top").isGreaterThanOrEqualTo(0);
            assertThat(number("const r = document.getElementById('" + id + "').getBoundingClientRect(); return r.bottom"))
                    .as(id + " bottom").isLessThanOrEqualTo(viewport);
        }
        // the newest message shows too, above the send box
        long lastBottom = number("const m = document.querySelectorAll('#log .msg'); return m[m.length - 1].getBoundingClientRect().bottom");
        assertThat(lastBottom).isLessThanOrEqualTo(number("return document.getElementById('form').getBoundingClientRect().top"));
        assertThat(number("return document.documentElement.scrollWidth")).isLessThanOrEqualTo(375);

        // a refused message: it, the reason and the send box holding it for a retry, all on screen
        WebElement language = browser.findElement(By.id("language"));
        language.clear();
        language.sendKeys("fr");
        send("bonjour");
        assertThat(waitForText("#error")).contains("This session is in es");
        assertThat(browser.findElement(By.id("text")).getAttribute("value")).isEqualTo("bonjour");
        for (String id : List.of("text", "error")) {
            assertThat(number("return document.getElementById('" + id + "').getBoundingClientRect().bottom"))
                    .as(id + " bottom").isLessThanOrEqualTo(viewport);
        }
        assertThat(number("return document.querySelector('#log .msg.failed').getBoundingClientRect().bottom"))
                .isLessThanOrEqualTo(number("return document.getElementById('form').getBoundingClientRect().top"));
        // for a look at the page as a phone shows it
        Files.write(Path.of("target", "chat-page-phone.png"), browser.getScreenshotAs(OutputType.BYTES));
    }

    // ---- streaming ----

    /** Opens the page of the slow tutor's server, on a new session. */
    private void openSlowPage(String sessionId) {
        browser.get("http://127.0.0.1:" + slowServer.port() + "/");
        startSession(sessionId, "es");
    }

    /** Waits until the streaming reply shows some text, and returns it. */
    private String awaitPartialReply() {
        return new WebDriverWait(browser, WAIT).until(d -> {
            List<WebElement> streaming = browser.findElements(By.cssSelector(".msg.streaming span.text"));
            String text = streaming.isEmpty() ? "" : streaming.get(0).getText();
            return text.isEmpty() ? null : text;
        });
    }

    private List<StoredMessage> stored(String sessionId) {
        return store.readMessages(sessionId, 0, 100);
    }

    @Test
    void streaming_theReplyGrowsBeforeItIsDone() {
        openSlowPage("browser-stream-grows");

        send("hola");

        List<String> seen = new ArrayList<>();
        WebElement reply = new WebDriverWait(browser, WAIT).pollingEvery(Duration.ofMillis(50)).until(d -> {
            List<WebElement> streaming = browser.findElements(By.cssSelector(".msg.streaming span.text"));
            if (!streaming.isEmpty()) {
                String text = streaming.get(0).getText();
                if (!text.isEmpty() && (seen.isEmpty() || !seen.get(seen.size() - 1).equals(text))) {
                    seen.add(text);
                }
            }
            List<WebElement> done = browser.findElements(By.cssSelector(".msg.assistant"));
            return done.isEmpty() ? null : done.get(0);
        });

        assertThat(reply.findElement(By.cssSelector("span.text")).getText()).isEqualTo(FIRST_REPLY);
        assertThat(seen).as("texts shown while it streamed").hasSizeGreaterThanOrEqualTo(2);
        assertThat(seen).allSatisfy(partial -> assertThat(FIRST_REPLY).startsWith(partial.replace("\u2026", "").strip()));
        assertThat(seen.get(0).length()).isLessThan(FIRST_REPLY.length());
        assertThat(reply.findElement(By.cssSelector(".extra.english")).getText()).contains("What did you do today?");
        assertThat(waitFor(".msg.user .extra.grammar").getText()).contains("Hola.");
        assertThat(text("#status")).isEmpty();
        assertThat(browser.findElement(By.id("stop")).isDisplayed()).isFalse();
    }

    @Test
    void reloadMidStream_showsThePartialReply_andContinuesToTheWholeReply_storedOnce() {
        openSlowPage("browser-stream-reload");
        send("hola");
        String before = awaitPartialReply();

        browser.navigate().refresh();

        String after = awaitPartialReply(); // shown again, from where it was, before the reply is done
        assertThat(after).startsWith(before.strip());
        assertThat(FIRST_REPLY).startsWith(after.strip());
        assertThat(browser.findElements(By.cssSelector(".msg.assistant"))).isEmpty();
        WebElement reply = waitFor(".msg.assistant");
        assertThat(reply.findElement(By.cssSelector("span.text")).getText()).isEqualTo(FIRST_REPLY);
        assertThat(messages()).containsExactly("hola", FIRST_REPLY);
        assertThat(stored("browser-stream-reload")).extracting(StoredMessage::text).containsExactly("hola", FIRST_REPLY);
        assertThat(script("return localStorage.getItem('chat.pending:browser-stream-reload')")).isNull();
        // and once more: a reload after the end shows the history, nothing streams
        browser.navigate().refresh();
        awaitHistory();
        assertThat(messages()).containsExactly("hola", FIRST_REPLY);
        assertThat(browser.findElements(By.cssSelector(".msg.streaming"))).isEmpty();
    }

    @Test
    void aDroppedConnectionMidStream_isResumedFromTheOffsetReached() {
        openSlowPage("browser-stream-drop");
        script("window.streamRequests = []; const real = window.fetch;"
                + "window.fetch = (url, options) => { window.streamRequests.push(String(url) + ' '"
                + " + JSON.stringify((options && options.headers) || {})); return real(url, options); };");
        send("hola");
        String before = awaitPartialReply();

        script("window.chatStream().controller.abort()"); // the connection drops, as a network would drop it

        WebElement reply = waitFor(".msg.assistant");
        assertThat(reply.findElement(By.cssSelector("span.text")).getText()).isEqualTo(FIRST_REPLY);
        assertThat(FIRST_REPLY).startsWith(before.strip());
        assertThat(messages()).containsExactly("hola", FIRST_REPLY);
        @SuppressWarnings("unchecked")
        List<String> requests = (List<String>) script("return window.streamRequests");
        assertThat(requests).anySatisfy(r -> assertThat(r).contains("/api/chat/stream?sessionId=browser-stream-drop")
                .containsPattern("\"Last-Event-ID\":\"[1-9][0-9]*\""));
        assertThat(stored("browser-stream-drop")).extracting(StoredMessage::text).containsExactly("hola", FIRST_REPLY);
        assertThat(text("#error")).isEmpty();
    }

    @Test
    void stop_keepsThePartialReply_storedAndShownAsStopped() throws IOException {
        openSlowPage("browser-stream-stop");
        send("hola");
        awaitPartialReply();
        assertThat(browser.findElement(By.id("stop")).isDisplayed()).isTrue();
        // for a look at the page while a reply streams
        Files.write(Path.of("target", "chat-page-streaming.png"), browser.getScreenshotAs(OutputType.BYTES));

        browser.findElement(By.id("stop")).click();

        WebElement reply = waitFor(".msg.assistant.stopped");
        String partial = reply.findElement(By.cssSelector("span.text")).getText();
        assertThat(partial).isNotEmpty().isNotEqualTo(FIRST_REPLY);
        assertThat(FIRST_REPLY).startsWith(partial);
        assertThat(reply.findElement(By.cssSelector(".extra.stopped")).getText()).contains("stopped");
        List<StoredMessage> messages = stored("browser-stream-stop");
        assertThat(messages).hasSize(2);
        assertThat(messages.get(1).text().strip()).isEqualTo(partial); // the page shows it without its last space
        assertThat(messages.get(1).message().metadata()).containsEntry(Message.FINISH_REASON, TurnService.STOPPED);
        assertThat(browser.findElement(By.id("stop")).isDisplayed()).isFalse();
        assertThat(browser.findElement(By.id("send")).isEnabled()).isTrue();
        // the history shows it stopped too
        browser.navigate().refresh();
        awaitHistory();
        assertThat(waitFor(".msg.assistant.stopped span.text").getText()).isEqualTo(partial);
        Files.write(Path.of("target", "chat-page-stopped.png"), browser.getScreenshotAs(OutputType.BYTES));
    }

    // ---- branches ----

    /** Waits until a history load ended and the log shows exactly these messages. */
    private void awaitMessages(String... expected) {
        new WebDriverWait(browser, WAIT).until(d -> Boolean.TRUE.equals(script("return window.historyLoaded === true"))
                && messages().equals(List.of(expected)));
    }

    /** Waits until the switcher on the first message shows this position ("2/3"). */
    private void awaitPosition(String expected) {
        new WebDriverWait(browser, WAIT).until(d -> expected.equals(script(
                "const e = document.querySelector('.msg.user .branch-position'); return e ? e.textContent.trim() : ''")));
    }

    /** Clicks, after which the page loads a history: the next {@link #awaitMessages} waits for that load. */
    private void clickThenLoad(WebElement element) {
        script("window.historyLoaded = false");
        element.click();
    }

    @Test
    void editAndRegenerate_makeBranches_andTheSwitcherShowsEachBranchsMessages() {
        startSession("browser-branches", "es");
        send("hola");
        waitFor(".msg.assistant");
        send("me gusta el café");
        new WebDriverWait(browser, WAIT).until(d -> browser.findElements(By.cssSelector(".msg.assistant")).size() == 2);
        String second = "¡Qué interesante! ¿Y qué te gusta comer?";
        assertThat(messages()).containsExactly("hola", FIRST_REPLY, "me gusta el café", second);

        // edit the first message: the new branch shows it, answered anew
        browser.findElements(By.cssSelector(".msg.user button.edit")).get(0).click();
        WebElement editing = waitFor(".msg.user .edit-text");
        editing.clear();
        script("window.historyLoaded = false");
        editing.sendKeys("buenos días", Keys.ENTER);
        awaitMessages("buenos días", FIRST_REPLY);
        awaitPosition("2/2");
        String edited = browser.findElement(By.id("session")).getAttribute("value");
        assertThat(edited).isNotEqualTo("browser-branches");
        assertThat(script("return new URLSearchParams(location.search).get('sessionId')")).isEqualTo(edited);
        assertThat(waitFor(".msg.user .extra.grammar").getText()).contains("Buenos días.");

        // regenerate its reply: a third version of the conversation
        clickThenLoad(browser.findElement(By.cssSelector(".msg.assistant button.regenerate")));
        awaitMessages("buenos días", FIRST_REPLY);
        awaitPosition("3/3");
        String regenerated = browser.findElement(By.id("session")).getAttribute("value");
        assertThat(regenerated).isNotEqualTo(edited);
        assertThat(stored(regenerated)).extracting(StoredMessage::text).containsExactly("buenos días", FIRST_REPLY);

        // back to the original branch: its own messages
        clickThenLoad(browser.findElement(By.cssSelector(".branch-prev")));
        awaitMessages("buenos días", FIRST_REPLY);
        awaitPosition("2/3");
        clickThenLoad(browser.findElement(By.cssSelector(".branch-prev")));
        awaitMessages("hola", FIRST_REPLY, "me gusta el café", second);
        awaitPosition("1/3");
        assertThat(browser.findElement(By.id("session")).getAttribute("value")).isEqualTo("browser-branches");

        // and again to the edited one; a reload keeps the branch shown
        clickThenLoad(browser.findElement(By.cssSelector(".branch-next")));
        awaitMessages("buenos días", FIRST_REPLY);
        awaitPosition("2/3");
        assertThat(browser.findElement(By.id("session")).getAttribute("value")).isEqualTo(edited);
        browser.navigate().refresh();
        awaitMessages("buenos días", FIRST_REPLY);
        assertThat(browser.findElement(By.id("session")).getAttribute("value")).isEqualTo(edited);
        awaitPosition("2/3");
        // the original conversation was never changed
        assertThat(stored("browser-branches")).extracting(StoredMessage::text)
                .containsExactly("hola", FIRST_REPLY, "me gusta el café", second);
        assertThat(text("#error")).isEmpty();
    }

    /** Counts the page's requests, until their answers are read and handled. */
    private void countRequests() {
        script("const real = window.fetch; window.pendingRequests = 0;"
                + "window.fetch = (...a) => { window.pendingRequests++;"
                + " const done = () => setTimeout(() => window.pendingRequests--, 0);"
                + " return real(...a).then(r => { const json = r.json.bind(r); r.json = () => json().finally(done); return r; },"
                + " e => { done(); throw e; }); };");
    }

    /** Waits until every counted request was answered and handled, and a history load ended. */
    private void awaitQuietPage() {
        new WebDriverWait(browser, WAIT).until(d -> Boolean.TRUE.equals(
                script("return window.pendingRequests === 0 && window.historyLoaded === true")));
    }

    private void awaitHistory() {
        new WebDriverWait(browser, WAIT).until(d -> Boolean.TRUE.equals(script("return window.historyLoaded === true")));
    }

    /** Types the session id and language, and leaves the session field: the page loads its history. */
    private void startSession(String sessionId, String language) {
        WebElement languageField = browser.findElement(By.id("language"));
        languageField.clear();
        languageField.sendKeys(language);
        script("window.historyLoaded = false");
        WebElement session = browser.findElement(By.id("session"));
        session.clear();
        session.sendKeys(sessionId, Keys.TAB);
        new WebDriverWait(browser, WAIT).until(d -> Boolean.TRUE.equals(script("return window.historyLoaded === true")));
    }

    private void send(String text) {
        browser.findElement(By.id("text")).sendKeys(text, Keys.ENTER);
    }

    /** Puts a long text in the field at once (typing it would take minutes) and sends it. */
    private void sendWithoutTyping(String text) {
        WebElement field = browser.findElement(By.id("text"));
        ((JavascriptExecutor) browser).executeScript("arguments[0].value = arguments[1]", field, text);
        browser.findElement(By.id("send")).click();
    }

    private WebElement waitFor(String css) {
        return new WebDriverWait(browser, WAIT).until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector(css)));
    }

    /** Waits until the element has a text, and returns it. */
    private String waitForText(String css) {
        return new WebDriverWait(browser, WAIT).until(d -> text(css).isEmpty() ? null : text(css));
    }

    private List<String> messages() {
        return browser.findElements(By.cssSelector("#log span.text")).stream().map(WebElement::getText).toList();
    }

    private String text(String css) {
        return browser.findElement(By.cssSelector(css)).getText();
    }

    private long number(String code) {
        return ((Number) script(code)).longValue();
    }

    private Object script(String code) {
        return ((JavascriptExecutor) browser).executeScript(code);
    }
}
