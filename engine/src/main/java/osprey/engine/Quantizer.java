package osprey.engine;

import java.util.Objects;

/**
 * Writes floats in a ggml tensor type: what {@code osprey synth} (and a future {@code osprey quantize})
 * calls. Each type's quantizer lives with its layout, in its tensor class; they follow llama.cpp's
 * reference quantizers (the ones {@code llama-quantize} uses without an importance matrix), so a model
 * quantized here is the model llama.cpp would have written from the same floats.
 */
public final class Quantizer {
    private Quantizer() {
    }

    /**
     * Writes {@code n} elements of {@code x} from {@code xOffset} as {@code type.bytesFor(n)} bytes of
     * {@code type} at {@code out[outOffset]}; n must be a whole number of blocks.
     *
     * @throws IllegalArgumentException for a type this engine cannot write, or n not whole blocks
     */
    public static void quantize(GgmlType type, float[] x, int xOffset, int n, byte[] out, int outOffset) {
        switch (type) {
            case F32 -> F32Tensor.quantize(x, xOffset, n, out, outOffset);
            case F16 -> F16Tensor.quantize(x, xOffset, n, out, outOffset);
            case BF16 -> BF16Tensor.quantize(x, xOffset, n, out, outOffset);
            case Q8_0 -> Q8_0Tensor.quantize(x, xOffset, n, out, outOffset);
            case Q4_0 -> Q4_0Tensor.quantize(x, xOffset, n, out, outOffset);
            case Q4_K -> Q4_KTensor.quantize(x, xOffset, n, out, outOffset);
            case Q6_K -> Q6_KTensor.quantize(x, xOffset, n, out, outOffset);
            default -> throw new IllegalArgumentException("cannot quantize to " + type
                    + "; Osprey writes F32, F16, BF16, Q8_0, Q4_0, Q4_K and Q6_K");
        }
    }

    /** The checks every quantizer starts with: whole blocks, and both ranges inside their arrays. */
    static void checkArguments(GgmlType type, float[] x, int xOffset, int n, byte[] out, int outOffset) {
        long bytes = type.bytesFor(n);  // throws for a partial block or negative n
        Objects.checkFromIndexSize(xOffset, n, x.length);
        Objects.checkFromIndexSize((long) outOffset, bytes, out.length);
    }

    static void putShortLE(byte[] out, int at, short v) {
        out[at] = (byte) v;
        out[at + 1] = (byte) (v >> 8);
    }
}
