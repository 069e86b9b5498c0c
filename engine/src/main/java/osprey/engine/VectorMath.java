package osprey.engine;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float-array kernels of the forward pass (attention scores, weighted sum of V, residuals), each
 * next to its scalar twin, and the vector species every kernel of the engine is written against.
 */
public final class VectorMath {
    /**
     * The widest float vector the CPU runs natively (16 lanes with AVX-512, 8 with AVX2, 4 with NEON).
     * At least 4 lanes, so that the matching short and byte species below exist.
     */
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.length() >= 4
            ? FloatVector.SPECIES_PREFERRED : FloatVector.SPECIES_128;
    static final int L = F.length();
    /** As many ints as float lanes: integer sums of quantized products, and bit tricks on floats. */
    static final VectorSpecies<Integer> I = F.withLanes(int.class);
    /** As many shorts as float lanes: F16/BF16 bits, widened to I. */
    static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(L * Short.SIZE));
    /**
     * Quants are multiplied as shorts, in chunks of QCHUNK: as many as float lanes, but at least 8
     * because the narrowest byte vector is 64 bits. Each chunk's int sums widen into QCHUNK / L int vectors.
     */
    static final int QCHUNK = Math.max(8, L);
    static final VectorSpecies<Byte> QB = VectorSpecies.of(byte.class, VectorShape.forBitSize(QCHUNK * Byte.SIZE));
    static final VectorSpecies<Short> QS = VectorSpecies.of(short.class, VectorShape.forBitSize(QCHUNK * Short.SIZE));
    /**
     * The K-quant kernels (256-element blocks) multiply twice as many quants per step: KCHUNK = 2 L
     * bytes widen to 2 L shorts (a full 512-bit register with AVX-512), whose products then widen into
     * exactly two int vectors of L lanes. With L <= 16 each of those int vectors lies inside one
     * 16-element sub-block, so it takes one scale (the kernels check L at class initialisation).
     */
    static final int KCHUNK = 2 * L;
    /**
     * L bytes, which widen to one float vector (whole-block dequantize); null below 8 lanes, as there are
     * no 32-bit byte vectors (those machines take the scalar path).
     */
    static final VectorSpecies<Byte> LB = L < 8 ? null : VectorSpecies.of(byte.class, VectorShape.forBitSize(L * Byte.SIZE));
    static final VectorSpecies<Byte> KB = VectorSpecies.of(byte.class, VectorShape.forBitSize(KCHUNK * Byte.SIZE));
    static final VectorSpecies<Short> KS = VectorSpecies.of(short.class, VectorShape.forBitSize(KCHUNK * Short.SIZE));

    /**
     * The sum of a vector's lanes in one fixed order (halves folded onto each other: a pairwise tree).
     * Why not {@code reduceLanes(ADD)}: its float summation order is unspecified and does differ between
     * the interpreter and C2-compiled code, so the same forward pass could give different logits before
     * and after warm-up. Fixed order keeps every run bit-identical.
     */
    static float sumLanes(FloatVector v) {
        // Lane by lane with constant indices (the loop is unrolled, each lane() becomes one extract):
        // no allocation and no shuffles. A store to a scratch array was as fast but allocated one array
        // per dot product, which C2 did not remove: 10 MB of garbage per output matmul, 30 ms GC pauses.
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = 0;
        for (; i + 4 <= L; i += 4) {
            s0 += v.lane(i);
            s1 += v.lane(i + 1);
            s2 += v.lane(i + 2);
            s3 += v.lane(i + 3);
        }
        for (; i < L; i++) s0 += v.lane(i);
        return (s0 + s1) + (s2 + s3);
    }

    /** The L floats from {@code off}, summed in sumLanes' fixed order: four interleaved sums, then pairwise. */
    static float sumLanes(float[] lanes, int off) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = 0;
        for (; i + 4 <= L; i += 4) {
            s0 += lanes[off + i];
            s1 += lanes[off + i + 1];
            s2 += lanes[off + i + 2];
            s3 += lanes[off + i + 3];
        }
        for (; i < L; i++) s0 += lanes[off + i];
        return (s0 + s1) + (s2 + s3);
    }

    private VectorMath() {
    }

    /** Sum of a[i] * b[i]; four accumulators hide the latency of the fused multiply-add. */
    public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        int i = 0;
        for (; i + 4 * L <= n; i += 4 * L) {
            acc0 = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), acc0);
            acc1 = FloatVector.fromArray(F, a, aOff + i + L).fma(FloatVector.fromArray(F, b, bOff + i + L), acc1);
            acc2 = FloatVector.fromArray(F, a, aOff + i + 2 * L).fma(FloatVector.fromArray(F, b, bOff + i + 2 * L), acc2);
            acc3 = FloatVector.fromArray(F, a, aOff + i + 3 * L).fma(FloatVector.fromArray(F, b, bOff + i + 3 * L), acc3);
        }
        for (; i + L <= n; i += L) {
            acc0 = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), acc0);
        }
        float sum = sumLanes(acc0.add(acc1).add(acc2.add(acc3)));
        for (; i < n; i++) {
            sum += a[aOff + i] * b[bOff + i];
        }
        return sum;
    }

    public static float dotScalar(float[] a, int aOff, float[] b, int bOff, int n) {
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            sum += a[aOff + i] * b[bOff + i];
        }
        return sum;
    }

    /** y += alpha * x, fused, so the vector and scalar versions agree to the bit. */
    public static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        FloatVector va = FloatVector.broadcast(F, alpha);
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector.fromArray(F, x, xOff + i).fma(va, FloatVector.fromArray(F, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] = Math.fma(alpha, x[xOff + i], y[yOff + i]);
        }
    }

    public static void axpyScalar(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] = Math.fma(alpha, x[xOff + i], y[yOff + i]);
        }
    }

    /** x *= alpha. */
    public static void scale(float alpha, float[] x, int xOff, int n) {
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector.fromArray(F, x, xOff + i).mul(alpha).intoArray(x, xOff + i);
        }
        for (; i < n; i++) {
            x[xOff + i] *= alpha;
        }
    }

    public static void scaleScalar(float alpha, float[] x, int xOff, int n) {
        for (int i = 0; i < n; i++) {
            x[xOff + i] *= alpha;
        }
    }

    /** y += x (the residual connection). */
    public static void add(float[] x, int xOff, float[] y, int yOff, int n) {
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector.fromArray(F, y, yOff + i).add(FloatVector.fromArray(F, x, xOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] += x[xOff + i];
        }
    }

    public static void addScalar(float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] += x[xOff + i];
        }
    }
}
