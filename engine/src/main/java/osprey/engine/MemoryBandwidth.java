package osprey.engine;

import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A STREAM-like read test: how many bytes per second the given threads can read from memory, the
 * physical limit of single-sequence decode (every weight is read once per token). Reads a buffer far
 * larger than the caches with vector loads, split across the pool like a matmul, and keeps the best of
 * several passes.
 */
public final class MemoryBandwidth {
    private MemoryBandwidth() {}

    private static final VectorSpecies<Long> L = LongVector.SPECIES_PREFERRED;
    private static final int CHUNK = 1 << 20; // bytes per work item

    /** Best read bandwidth in bytes per second over {@code passes} passes over {@code bytes} bytes. */
    public static double measureRead(ThreadPool pool, long bytes, int passes) {
        long size = bytes / CHUNK * CHUNK;
        if (size <= 0) throw new IllegalArgumentException("buffer of " + bytes + " bytes is smaller than one chunk");
        try (Arena arena = Arena.ofShared()) {
            MemorySegment buf = arena.allocate(size, 4096);
            int chunks = (int) (size / CHUNK);
            // Touch every page first (with distinct values) so the timed passes read real memory, not a zero page.
            pool.parallelFor(chunks, 1, (s, e) -> {
                for (int c = s; c < e; c++) {
                    for (long o = (long) c * CHUNK; o < (long) (c + 1) * CHUNK; o += 8) buf.set(ValueLayout.JAVA_LONG, o, o);
                }
            });
            long[] sink = new long[chunks];
            double best = 0;
            int threads = pool.threads();
            for (int p = 0; p < passes; p++) {
                long t0 = System.nanoTime();
                // Each thread streams one contiguous stretch, as a matmul's row ranges do.
                pool.parallelFor(threads, 1, (s, e) -> {
                    for (int t = s; t < e; t++) {
                        for (int c = t * chunks / threads; c < (t + 1) * chunks / threads; c++) sink[c] = sumChunk(buf, (long) c * CHUNK);
                    }
                });
                long dt = System.nanoTime() - t0;
                best = Math.max(best, size * 1e9 / dt);
            }
            long check = 0;
            for (long v : sink) check += v;
            if (check == 42) System.out.print(""); // keep the sums alive
            return best;
        }
    }

    private static long sumChunk(MemorySegment buf, long from) {
        LongVector a0 = LongVector.zero(L), a1 = a0, a2 = a0, a3 = a0;
        int step = L.vectorByteSize();
        for (long o = from; o < from + CHUNK; o += 4L * step) {
            a0 = a0.add(LongVector.fromMemorySegment(L, buf, o, ByteOrder.LITTLE_ENDIAN));
            a1 = a1.add(LongVector.fromMemorySegment(L, buf, o + step, ByteOrder.LITTLE_ENDIAN));
            a2 = a2.add(LongVector.fromMemorySegment(L, buf, o + 2L * step, ByteOrder.LITTLE_ENDIAN));
            a3 = a3.add(LongVector.fromMemorySegment(L, buf, o + 3L * step, ByteOrder.LITTLE_ENDIAN));
        }
        return a0.add(a1).add(a2.add(a3)).reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }
}
