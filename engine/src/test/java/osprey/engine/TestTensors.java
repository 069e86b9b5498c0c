package osprey.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

/** Random weights written byte by byte into native memory, as a GGUF file would hold them. */
final class TestTensors {
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private TestTensors() {
    }

    /**
     * {@code size} random elements of {@code type}. Float types get normal-ish values; block types get
     * random scales (both signs) and every possible quant, including Q8_0's -128.
     */
    static FloatTensor random(GgmlType type, long size, Random rnd, Arena arena) {
        MemorySegment seg = arena.allocate(type.bytesFor(size));
        switch (type) {
            case F32 -> {
                for (long i = 0; i < size; i++) {
                    seg.set(FLOAT_LE, 4 * i, (float) rnd.nextGaussian());
                }
            }
            case F16 -> {
                for (long i = 0; i < size; i++) {
                    seg.set(SHORT_LE, 2 * i, Float.floatToFloat16((float) rnd.nextGaussian()));
                }
            }
            case BF16 -> {
                for (long i = 0; i < size; i++) {
                    seg.set(SHORT_LE, 2 * i, (short) Activations.floatToBF16((float) rnd.nextGaussian()));
                }
            }
            case Q8_0, Q4_0 -> {
                long blockBytes = type.bytesPerBlock();
                for (long b = 0; b < size / type.blockSize(); b++) {
                    seg.set(SHORT_LE, b * blockBytes, Float.floatToFloat16(randomScale(rnd)));
                    for (long j = 2; j < blockBytes; j++) {
                        seg.set(ValueLayout.JAVA_BYTE, b * blockBytes + j, (byte) rnd.nextInt(256));
                    }
                }
            }
            case Q4_K, Q6_K -> {
                // every byte random (scales, mins and quants of all values), then the fp16 factors
                long blockBytes = type.bytesPerBlock();
                for (long i = 0; i < type.bytesFor(size); i++) {
                    seg.set(ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt(256));
                }
                for (long b = 0; b < size / type.blockSize(); b++) {
                    long blk = b * blockBytes;
                    if (type == GgmlType.Q4_K) {
                        seg.set(SHORT_LE, blk, Float.floatToFloat16(randomScale(rnd)));      // d
                        seg.set(SHORT_LE, blk + 2, Float.floatToFloat16(randomScale(rnd)));  // dmin
                    } else {
                        seg.set(SHORT_LE, blk + 208, Float.floatToFloat16(randomScale(rnd)));
                    }
                }
            }
            default -> throw new IllegalArgumentException(type.toString());
        }
        return FloatTensor.of(type, seg, size);
    }

    static float randomScale(Random rnd) {
        float s = (float) Math.pow(10, -3 + 2 * rnd.nextDouble());
        return rnd.nextBoolean() ? s : -s;
    }

    static float[] randomFloats(Random rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (rnd.nextGaussian() * Math.exp(rnd.nextGaussian()));
        }
        return x;
    }

    /** Activation element {@code i} of {@code row} as the dot sees it (rounded or dequantized). */
    static double activation(Activations x, int row, int i) {
        int k = row * x.cols() + i;
        return switch (x.format()) {
            case Q8_0 -> (double) x.quants()[k] * x.scales()[k / 32];
            case Q8_K -> (double) x.quants()[k] * x.scales()[k / 256];
            default -> x.values()[k];
        };
    }

    /**
     * Asserts the vector dot matches the scalar one within what float summation order can explain,
     * and that both match the exact (double) sum of getFloat * activation as closely.
     */
    static void assertDotsAgree(FloatTensor w, long from, Activations x, int row, int n) {
        double exact = 0, absSum = 0;
        for (int i = 0; i < n; i++) {
            double term = w.getFloat(from + i) * activation(x, row, i);
            exact += term;
            absSum += Math.abs(term);
        }
        double tolerance = 1e-5 * absSum + Float.MIN_NORMAL;
        float vector = w.dot(from, x, row, n);
        float scalar = w.dotScalar(from, x, row, n);
        String what = w + " from " + from + " n " + n + " row " + row;
        assertThat((double) vector).as("vector vs scalar, " + what).isCloseTo(scalar, within(tolerance));
        assertThat((double) scalar).as("scalar vs exact, " + what).isCloseTo(exact, within(tolerance));
    }

    /**
     * Weights of three rows of {@code n} (plus one spare element for float types, to dot at odd
     * offsets), activations of two rows: every weight row against every activation row.
     */
    static void checkDots(GgmlType type, int n, Random rnd, Arena arena) {
        int rows = 3;
        boolean blocks = type.blockSize() > 1;
        FloatTensor w = random(type, (long) rows * n + (blocks ? 0 : 1), rnd, arena);
        Activations x = new Activations(type.activationType());
        x.load(randomFloats(rnd, 2 * n + 5), 5, 2, n);
        for (int r = 0; r < rows; r++) {
            for (int xr = 0; xr < 2; xr++) {
                assertDotsAgree(w, (long) r * n, x, xr, n);
                if (!blocks) {
                    assertDotsAgree(w, (long) r * n + 1, x, xr, n);
                }
            }
        }
    }

    /** dequantize writes exactly what getFloat answers, at any offset. */
    static void checkDequantize(GgmlType type, int n, Random rnd, Arena arena) {
        FloatTensor w = random(type, 2L * n, rnd, arena);
        float[] out = new float[n + 3];
        for (long from : new long[] {0, n}) {
            w.dequantize(from, out, 3, n);
            for (int i = 0; i < n; i++) {
                assertThat(Float.floatToRawIntBits(out[3 + i]))
                        .as("%s element %d", w, from + i)
                        .isEqualTo(Float.floatToRawIntBits(w.getFloat(from + i)));
            }
        }
    }

    /**
     * Reads every 16-bit pattern of an F16 or BF16 tensor through the vector dot, against
     * {@code expected} (the definition of the format). Finite patterns: windows of L elements dotted
     * with one-hot activation rows give each element exactly (+0 and -0 compare equal: the zero products
     * of the other lanes add +0). Infinity and NaN (where 0 * x is NaN): each alone among ones, dotted
     * with ones, must stay the same infinity, or NaN.
     */
    static void checkEveryBitPatternThroughDot(GgmlType type, java.util.function.IntFunction<Float> expected) {
        int lanes = VectorMath.L;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(2L * 65536);
            for (int h = 0; h < 65536; h++) {
                seg.set(SHORT_LE, 2L * h, (short) h);
            }
            FloatTensor all = FloatTensor.of(type, seg, 65536);
            float[] identity = new float[lanes * lanes];
            for (int k = 0; k < lanes; k++) {
                identity[k * lanes + k] = 1f;
            }
            Activations oneHot = new Activations(type);
            oneHot.load(identity, 0, lanes, lanes);
            java.util.List<Integer> nonFinite = new java.util.ArrayList<>();
            for (int h = 0; h < 65536; h++) {
                if (!Float.isFinite(expected.apply(h))) {
                    nonFinite.add(h);
                    continue;
                }
                int start = h / lanes * lanes;
                boolean finiteWindow = true;
                for (int j = start; j < start + lanes; j++) {
                    finiteWindow &= Float.isFinite(expected.apply(j));
                }
                if (finiteWindow) {
                    float got = all.dot(start, oneHot, h - start, lanes);
                    assertThat(Float.floatToRawIntBits(got + 0f)).as("%s 0x%04x", type, h)
                            .isEqualTo(Float.floatToRawIntBits(expected.apply(h) + 0f));
                }
            }
            assertThat(nonFinite).hasSizeGreaterThan(255);

            MemorySegment specials = arena.allocate(2L * lanes * nonFinite.size());
            short one = (short) (type == GgmlType.F16 ? Float.floatToFloat16(1f) : Activations.floatToBF16(1f));
            for (int s = 0; s < nonFinite.size(); s++) {
                for (int j = 0; j < lanes; j++) {
                    specials.set(SHORT_LE, 2L * (s * lanes + j), j == s % lanes ? nonFinite.get(s).shortValue() : one);
                }
            }
            FloatTensor w = FloatTensor.of(type, specials, (long) lanes * nonFinite.size());
            float[] ones = new float[lanes];
            java.util.Arrays.fill(ones, 1f);
            Activations x = new Activations(type);
            x.load(ones, 0, 1, lanes);
            for (int s = 0; s < nonFinite.size(); s++) {
                float want = expected.apply(nonFinite.get(s));
                float got = w.dot((long) s * lanes, x, 0, lanes);
                String what = String.format("%s 0x%04x", type, nonFinite.get(s));
                if (Float.isNaN(want)) {
                    assertThat(got).as(what).isNaN();
                } else {
                    assertThat(got).as(what).isEqualTo(want);
                }
            }
        }
    }

    static MemorySegment bytes(Arena arena, int... values) {
        MemorySegment seg = arena.allocate(values.length);
        for (int i = 0; i < values.length; i++) {
            seg.set(ValueLayout.JAVA_BYTE, i, (byte) values[i]);
        }
        return seg;
    }
}
