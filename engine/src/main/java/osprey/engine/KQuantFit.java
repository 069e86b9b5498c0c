package osprey.engine;

/**
 * The scale searches of llama.cpp's reference K-quant quantizers (what {@code llama-quantize} runs when
 * given no importance matrix), written again from their definitions: for a group of values, the integer
 * quants and the scale (and, for Q4_K, the offset) that minimise a weighted squared error.
 *
 * <p>Every operation is a float operation in the order llama.cpp writes it, so that on the same input
 * we pick the same quants; a C compiler that fuses a multiply and an add into one FMA can still move a
 * tie, which is why "as close as possible" rather than "bit for bit" is the promise here.
 */
final class KQuantFit {
    /** llama.cpp's threshold below which a group counts as all zero (GROUP_MAX_EPS). */
    static final float GROUP_MAX_EPS = 1e-15f;

    private KQuantFit() {
    }

    /**
     * Round to the nearest integer, ties to even, as llama.cpp's nearest_int: adding 1.5 * 2^23 leaves
     * the rounded integer in the low mantissa bits (offset by 2^22). Valid for |f| < 2^22, which every
     * caller guarantees by construction; outside it the answer is garbage, as in llama.cpp.
     */
    static int nearestInt(float f) {
        int bits = Float.floatToRawIntBits(f + 12582912f);
        return (bits & 0x007f_ffff) - 0x0040_0000;
    }

    /**
     * make_qkx2_quants: quants l in [0, nmax] with x ~ scale * l - theMin. Starts from the plain
     * min-to-max grid, then tries nstep + 1 slightly different grids (nmax + rmin + rdelta * is levels
     * over the range) and for each solves the weighted least squares for scale and min (min clamped to
     * at most 0, i.e. an offset that only subtracts), keeping the best.
     *
     * @param l      out: n quants
     * @param theMin out: theMin[0] = the offset to subtract (>= 0)
     * @return the scale
     */
    static float makeQkx2Quants(int n, int nmax, float[] x, int xOff, float[] weights, byte[] l, int lOff,
                                float[] theMin, float rmin, float rdelta, int nstep) {
        float min = x[xOff];
        float max = x[xOff];
        float sumW = weights[0];
        float sumX = sumW * x[xOff];
        for (int i = 1; i < n; i++) {
            float xi = x[xOff + i];
            if (xi < min) {
                min = xi;
            }
            if (xi > max) {
                max = xi;
            }
            float w = weights[i];
            sumW += w;
            sumX += w * xi;
        }
        if (min > 0) {
            min = 0;
        }
        if (max == min) {
            for (int i = 0; i < n; i++) {
                l[lOff + i] = 0;
            }
            theMin[0] = -min;
            return 0f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; i++) {
            int q = clamp(nearestInt(iscale * (x[xOff + i] - min)), 0, nmax);
            l[lOff + i] = (byte) q;
            float diff = scale * q + min - x[xOff + i];
            bestError += weights[i] * (diff * diff);
        }
        if (nstep < 1) {
            theMin[0] = -min;
            return scale;
        }
        byte[] aux = new byte[n];
        for (int is = 0; is <= nstep; is++) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0;
            float sumL2 = 0;
            float sumXL = 0;
            for (int i = 0; i < n; i++) {
                int q = clamp(nearestInt(iscale * (x[xOff + i] - min)), 0, nmax);
                aux[i] = (byte) q;
                float w = weights[i];
                sumL += w * q;
                sumL2 += w * q * q;
                sumXL += w * q * x[xOff + i];
            }
            float det = sumW * sumL2 - sumL * sumL;
            if (det > 0) {
                float thisScale = (sumW * sumXL - sumX * sumL) / det;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / det;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                float error = 0;
                for (int i = 0; i < n; i++) {
                    float diff = thisScale * aux[i] + thisMin - x[xOff + i];
                    error += weights[i] * (diff * diff);
                }
                if (error < bestError) {
                    System.arraycopy(aux, 0, l, lOff, n);
                    bestError = error;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        theMin[0] = -min;
        return scale;
    }

    /**
     * make_qx_quants with rmse_type 1 (weights x^2) and no importance matrix: symmetric quants
     * l in [-nmax, nmax - 1], stored plus nmax, with x ~ scale * l. The grid is anchored on the value of
     * largest magnitude (sign kept, so it maps to -nmax, the end with one more level); the least-squares
     * scale of that grid is then compared with those of 18 grids stretched by +-0.1 .. 0.9 levels.
     *
     * @param l out: n quants plus nmax, in [0, 2 nmax - 1]
     * @return the scale (negative when the largest-magnitude value is positive)
     */
    static float makeQxQuants(int n, int nmax, float[] x, int xOff, byte[] l, int lOff) {
        float max = 0;
        float amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[xOff + i]);
            if (ax > amax) {
                amax = ax;
                max = x[xOff + i];
            }
        }
        if (amax < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) {
                l[lOff + i] = 0;
            }
            return 0f;
        }
        float iscale = -nmax / max;
        float sumLX = 0;
        float sumL2 = 0;
        for (int i = 0; i < n; i++) {
            float xi = x[xOff + i];
            int q = clamp(nearestInt(iscale * xi), -nmax, nmax - 1);
            l[lOff + i] = (byte) (q + nmax);
            float w = xi * xi;
            sumLX += w * xi * q;
            sumL2 += w * q * q;
        }
        float scale = sumL2 != 0 ? sumLX / sumL2 : 0f;
        float best = scale * sumLX;
        for (int is = -9; is <= 9; is++) {
            if (is == 0) {
                continue;
            }
            iscale = -(nmax + 0.1f * is) / max;
            sumLX = 0;
            sumL2 = 0;
            for (int i = 0; i < n; i++) {
                float xi = x[xOff + i];
                int q = clamp(nearestInt(iscale * xi), -nmax, nmax - 1);
                float w = xi * xi;
                sumLX += w * xi * q;
                sumL2 += w * q * q;
            }
            if (sumL2 > 0 && sumLX * sumLX > best * sumL2) {
                for (int i = 0; i < n; i++) {
                    l[lOff + i] = (byte) (nmax + clamp(nearestInt(iscale * x[xOff + i]), -nmax, nmax - 1));
                }
                scale = sumLX / sumL2;
                best = scale * sumLX;
            }
        }
        return scale;
    }

    static int clamp(int v, int lo, int hi) {
        return Math.max(lo, Math.min(hi, v));
    }
}
