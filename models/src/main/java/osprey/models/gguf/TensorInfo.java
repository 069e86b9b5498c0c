package osprey.models.gguf;

import osprey.engine.GgmlType;

/**
 * One tensor of a GGUF file. {@code shape} is in GGUF (ggml) order: {@code shape[0]} (ne0) is the row
 * length, the fastest-varying dimension; a weight matrix with n_in inputs and n_out outputs has shape
 * {n_in, n_out} and is stored as n_out rows of n_in values. {@code offset} is relative to the start of the
 * tensor data section.
 */
public record TensorInfo(String name, long[] shape, GgmlType type, long offset, long byteSize) {

    public long elements() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    /** The shape as ggml prints it, e.g. {@code [64, 512]}. */
    public String shapeString() {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < shape.length; i++) sb.append(i > 0 ? ", " : "").append(shape[i]);
        return sb.append(']').toString();
    }
}
