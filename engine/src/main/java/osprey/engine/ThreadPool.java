package osprey.engine;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The engine's worker pool: {@code threads - 1} workers plus the calling thread split a range of work
 * (matmul output rows, attention heads) into chunks that each thread takes from a shared counter.
 *
 * <p>Why not an ExecutorService: one decode step runs hundreds of small parallel loops, so the hand-off
 * must cost microseconds, not tens of them. Workers spin briefly on a generation counter after each job
 * (the next job usually follows at once) and only then park; the caller unparks only parked workers.
 */
public final class ThreadPool implements AutoCloseable {

    /** A body that processes the half-open range [start, end). */
    @FunctionalInterface
    public interface RangeTask {
        void run(int start, int end);
    }

    private static final int SPIN_BEFORE_PARK = 20_000;
    private static final int CHUNKS_PER_THREAD = 16; // small last chunks: little idle time at the barrier

    private final int threads;
    private final Thread[] workers;
    // 1 while worker i may be parked. Volatile on both sides (Dekker): a worker sets it, then re-reads
    // generation; the caller bumps generation, then reads it; so one of them always sees the other.
    private final AtomicIntegerArray parked;
    private volatile long generation;          // bumped once per job; workers wait for it to change
    private volatile boolean closed;
    private volatile RangeTask task;
    private volatile int total;
    private volatile int chunk;
    private final AtomicInteger nextChunk = new AtomicInteger();
    private final AtomicInteger finishedWorkers = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final Object submitLock = new Object();

    public ThreadPool(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        this.parked = new AtomicIntegerArray(Math.max(0, threads - 1));
        for (int i = 0; i < workers.length; i++) {
            int id = i;
            workers[i] = Thread.ofPlatform().daemon().name("osprey-worker-" + (i + 1)).unstarted(() -> workLoop(id));
            workers[i].start();
        }
    }

    /** A pool sized to the machine's available processors. */
    public static ThreadPool ofAvailableProcessors() {
        return new ThreadPool(Runtime.getRuntime().availableProcessors());
    }

    public int threads() {
        return threads;
    }

    /**
     * Runs {@code body} over [0, n), split across all threads, and returns when all of it is done.
     * Ranges smaller than {@code minPerThread * 2} run on the calling thread alone.
     */
    public void parallelFor(int n, int minPerThread, RangeTask body) {
        if (n <= 0) return;
        if (closed) throw new IllegalStateException("the thread pool is closed");
        // Alone, small, or called from inside a running job (a nested loop would overwrite the job): inline.
        if (threads == 1 || n < 2L * Math.max(1, minPerThread) || task != null) {
            body.run(0, n);
            return;
        }
        synchronized (submitLock) {
            int chunks = Math.min(n / Math.max(1, minPerThread), threads * CHUNKS_PER_THREAD);
            chunk = (n + chunks - 1) / chunks;
            total = n;
            task = body;
            nextChunk.set(0);
            finishedWorkers.set(0);
            failure.set(null);
            generation++;                      // publishes the fields above to the workers
            for (int i = 0; i < workers.length; i++) {
                if (parked.get(i) == 1) LockSupport.unpark(workers[i]);
            }
            runChunks(body);
            while (finishedWorkers.get() < workers.length) Thread.onSpinWait();
            task = null;
            Throwable t = failure.get();
            if (t != null) {
                if (t instanceof RuntimeException re) throw re;
                if (t instanceof Error e) throw e;
                throw new RuntimeException(t);
            }
        }
    }

    private void runChunks(RangeTask body) {
        int n = total, c = chunk;
        for (int k; (k = nextChunk.getAndIncrement()) * (long) c < n; ) {
            int start = k * c;
            try {
                body.run(start, Math.min(n, start + c));
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        }
    }

    private void workLoop(int id) {
        long seen = 0;
        while (true) {
            long g;
            int spins = 0;
            while ((g = generation) == seen && !closed) {
                if (++spins < SPIN_BEFORE_PARK) {
                    Thread.onSpinWait();
                } else {
                    parked.set(id, 1);
                    if (generation == seen && !closed) LockSupport.park(this);
                    parked.set(id, 0);
                    spins = 0;
                }
            }
            if (closed) return;
            seen = g;
            RangeTask body = task;
            if (body != null) runChunks(body);
            finishedWorkers.incrementAndGet();
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) LockSupport.unpark(w);
    }
}
