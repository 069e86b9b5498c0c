package osprey.engine;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ThreadPoolTest {

    @Test
    void everyIndexRunsExactlyOnceForManySmallAndLargeJobs() {
        try (ThreadPool pool = new ThreadPool(3)) {
            for (int n : new int[]{0, 1, 2, 3, 7, 64, 1000, 4097}) {
                for (int rep = 0; rep < 200; rep++) {
                    AtomicIntegerArray hits = new AtomicIntegerArray(n);
                    pool.parallelFor(n, 1, (s, e) -> {
                        for (int i = s; i < e; i++) hits.incrementAndGet(i);
                    });
                    for (int i = 0; i < n; i++) assertThat(hits.get(i)).as("n=%d i=%d", n, i).isEqualTo(1);
                }
            }
        }
    }

    @Test
    void workersWakeUpAfterParking() throws InterruptedException {
        try (ThreadPool pool = new ThreadPool(2)) {
            for (int rep = 0; rep < 3; rep++) {
                Thread.sleep(50); // long enough for the worker to stop spinning and park
                AtomicIntegerArray hits = new AtomicIntegerArray(100);
                pool.parallelFor(100, 1, (s, e) -> {
                    for (int i = s; i < e; i++) hits.incrementAndGet(i);
                });
                for (int i = 0; i < 100; i++) assertThat(hits.get(i)).isEqualTo(1);
            }
        }
    }

    @Test
    void anExceptionInAnyChunkReachesTheCallerAndThePoolKeepsWorking() {
        try (ThreadPool pool = new ThreadPool(2)) {
            assertThatThrownBy(() -> pool.parallelFor(100, 1, (s, e) -> {
                if (s <= 77 && 77 < e) throw new IllegalStateException("boom at 77");
            })).isInstanceOf(IllegalStateException.class).hasMessage("boom at 77");
            AtomicIntegerArray hits = new AtomicIntegerArray(10);
            pool.parallelFor(10, 1, (s, e) -> {
                for (int i = s; i < e; i++) hits.incrementAndGet(i);
            });
            for (int i = 0; i < 10; i++) assertThat(hits.get(i)).isEqualTo(1);
        }
    }

    @Test
    void singleThreadAndSmallRangesRunOnTheCaller() {
        Thread caller = Thread.currentThread();
        try (ThreadPool pool = new ThreadPool(1)) {
            pool.parallelFor(1000, 1, (s, e) -> assertThat(Thread.currentThread()).isSameAs(caller));
        }
        try (ThreadPool pool = new ThreadPool(4)) {
            pool.parallelFor(10, 8, (s, e) -> assertThat(Thread.currentThread()).isSameAs(caller));
        }
        assertThatThrownBy(() -> new ThreadPool(0)).hasMessageContaining("threads must be >= 1");
    }

    @Test
    void nestedLoopsRunInlineAndAClosedPoolRefusesWork() {
        ThreadPool pool = new ThreadPool(2);
        AtomicIntegerArray hits = new AtomicIntegerArray(100 * 10);
        pool.parallelFor(100, 1, (s, e) -> {
            for (int i = s; i < e; i++) {
                int row = i;
                pool.parallelFor(10, 1, (s2, e2) -> {
                    for (int j = s2; j < e2; j++) hits.incrementAndGet(row * 10 + j);
                });
            }
        });
        for (int i = 0; i < 1000; i++) assertThat(hits.get(i)).isEqualTo(1);
        pool.close();
        assertThatThrownBy(() -> pool.parallelFor(100, 1, (s, e) -> { })).hasMessageContaining("closed");
    }
}
