package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The in-service waiting line of {@link BusyPolicy#QUEUE}: arrival order kept across long waits, a turn that gives up skipped. */
class SessionQueueTest {
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private final SessionQueue queue = new SessionQueue();

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    private static long in(long millis) {
        return System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    }

    @Test
    void waitersLongerThanAWaitingRound_runInTheOrderTheyCame() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        List<Integer> order = new CopyOnWriteArrayList<>();
        AtomicInteger rounds = new AtomicInteger();
        Future<?> first = pool.submit(() -> queue.inOrder("s", in(5_000), () -> { }, IllegalStateException::new, () -> {
            await(release);
            order.add(0);
            return null;
        }));
        Thread.sleep(50);
        Future<?>[] waiting = new Future<?>[5];
        for (int i = 1; i <= 5; i++) {
            int n = i;
            waiting[i - 1] = pool.submit(() -> queue.inOrder("s", in(10_000), rounds::incrementAndGet,
                    IllegalStateException::new, () -> order.add(n)));
            Thread.sleep(30);
        }
        Thread.sleep(700); // several rounds of 250 ms
        release.countDown();
        first.get(5, TimeUnit.SECONDS);
        for (Future<?> f : waiting) {
            f.get(5, TimeUnit.SECONDS);
        }
        assertThat(order).containsExactly(0, 1, 2, 3, 4, 5);
        assertThat(rounds.get()).as("each waiter was called back in its rounds").isGreaterThanOrEqualTo(10);
        assertThat(queue.size()).isZero();
    }

    @Test
    void aWaiterThatGivesUp_doesNotHoldUpThoseAfterIt() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Future<?> first = pool.submit(() -> queue.inOrder("s", in(5_000), () -> { }, IllegalStateException::new, () -> {
            await(release);
            return null;
        }));
        Thread.sleep(50);
        Future<?> impatient = pool.submit(() -> queue.inOrder("s", in(100), () -> { },
                () -> new ConversationBusyException("gave up"), () -> "never"));
        Thread.sleep(30);
        Future<String> patient = pool.submit(() -> queue.inOrder("s", in(10_000), () -> { }, IllegalStateException::new,
                () -> "ran"));
        assertThatThrownBy(() -> impatient.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(ConversationBusyException.class);
        release.countDown();
        first.get(5, TimeUnit.SECONDS);
        assertThat(patient.get(5, TimeUnit.SECONDS)).isEqualTo("ran");
        assertThat(queue.inOrder("s", in(100), () -> { }, IllegalStateException::new, () -> "free")).isEqualTo("free");
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
