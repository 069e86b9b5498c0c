package osprey.models.gguf;

import osprey.engine.GgmlType;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a GGUF v3 file exactly to the spec (little-endian, u64 counts, tensor data aligned to
 * {@code general.alignment}), so that what Osprey writes also loads in llama.cpp. Metadata is written in
 * the order it is added; values carry their GGUF type explicitly, so a u32 stays a u32.
 */
public final class GgufWriter {
    private record Kv(String key, GgufValueType type, GgufValueType elementType, Object value) {}

    private record Tensor(String name, GgmlType type, long[] shape, long byteSize, TensorData data) {}

    /** Writes a tensor's raw bytes when the file is written, so that large tensors never sit in memory whole. */
    @FunctionalInterface
    public interface TensorData {
        void writeTo(OutputStream out) throws IOException;
    }

    private final List<Kv> kvs = new ArrayList<>();
    private final List<Tensor> tensors = new ArrayList<>();
    private int alignment = GgufFile.DEFAULT_ALIGNMENT;

    public GgufWriter put(String key, GgufValueType type, Object value) {
        if (type == GgufValueType.ARRAY) throw new IllegalArgumentException("use putArray for " + key);
        if (key.equals("general.alignment")) alignment = ((Number) value).intValue();
        kvs.add(new Kv(key, type, null, value));
        return this;
    }

    public GgufWriter putString(String key, String value) {
        return put(key, GgufValueType.STRING, value);
    }

    public GgufWriter putU32(String key, long value) {
        return put(key, GgufValueType.UINT32, value);
    }

    public GgufWriter putF32(String key, float value) {
        return put(key, GgufValueType.FLOAT32, value);
    }

    public GgufWriter putBool(String key, boolean value) {
        return put(key, GgufValueType.BOOL, value);
    }

    /** An array; {@code values} is a primitive array or String[] matching {@code elementType}, or Object[] of arrays. */
    public GgufWriter putArray(String key, GgufValueType elementType, Object values) {
        kvs.add(new Kv(key, GgufValueType.ARRAY, elementType, values));
        return this;
    }

    /** A tensor of {@code shape} (ggml order, ne0 first) whose raw bytes in {@code type}'s layout are {@code data}. */
    public GgufWriter addTensor(String name, GgmlType type, long[] shape, byte[] data) {
        long n = 1;
        for (long d : shape) n *= d;
        if (type.bytesFor(n) != data.length) {
            throw new IllegalArgumentException(name + ": " + data.length + " bytes given, " + type + " " + n + " elements need " + type.bytesFor(n));
        }
        tensors.add(new Tensor(name, type, shape.clone(), data.length, out -> out.write(data)));
        return this;
    }

    /** A tensor whose bytes ({@code type.bytesFor(elements)} of them) {@code data} writes when the file is written. */
    public GgufWriter addTensor(String name, GgmlType type, long[] shape, TensorData data) {
        long n = 1;
        for (long d : shape) n *= d;
        tensors.add(new Tensor(name, type, shape.clone(), type.bytesFor(n), data));
        return this;
    }

    /** Convenience: an F32 tensor from floats. */
    public GgufWriter addF32(String name, long[] shape, float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putFloat(v);
        return addTensor(name, GgmlType.F32, shape, b.array());
    }

    public void write(Path path) throws IOException {
        try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(path), 1 << 20)) {
            write(os);
        }
    }

    public void write(OutputStream os) throws IOException {
        Out out = new Out(os);
        out.u32(GgufFile.MAGIC);
        out.u32(3);
        out.u64(tensors.size());
        out.u64(kvs.size());
        for (Kv kv : kvs) {
            out.string(kv.key);
            out.u32(kv.type.id());
            if (kv.type == GgufValueType.ARRAY) out.array(kv.elementType, kv.value);
            else out.value(kv.type, kv.value);
        }
        long offset = 0;
        for (Tensor t : tensors) {
            out.string(t.name);
            out.u32(t.shape.length);
            for (long d : t.shape) out.u64(d);
            out.u32(t.type.id());
            out.u64(offset);
            offset = align(offset + t.byteSize);
        }
        out.pad(align(out.written) - out.written);
        for (Tensor t : tensors) {
            long start = out.written;
            t.data.writeTo(out.counting());
            long wrote = out.written - start;
            if (wrote != t.byteSize) {
                throw new IllegalStateException("tensor '" + t.name + "': " + wrote + " bytes written, " + t.byteSize + " expected");
            }
            out.pad(align(t.byteSize) - t.byteSize);
        }
    }

    private long align(long n) {
        return (n + alignment - 1) / alignment * alignment;
    }

    private static final class Out {
        final OutputStream os;
        final ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        long written;

        Out(OutputStream os) {
            this.os = os;
        }

        /** The underlying stream, counting what passes through it. */
        OutputStream counting() {
            return new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    os.write(b);
                    written++;
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    os.write(b, off, len);
                    written += len;
                }
            };
        }

        void bytes(byte[] b) throws IOException {
            os.write(b);
            written += b.length;
        }

        void pad(long n) throws IOException {
            for (long i = 0; i < n; i++) os.write(0);
            written += n;
        }

        void fixed(int n) throws IOException {
            os.write(scratch.array(), 0, n);
            written += n;
            scratch.clear();
        }

        void u8(int v) throws IOException {
            scratch.put((byte) v);
            fixed(1);
        }

        void u16(int v) throws IOException {
            scratch.putShort((short) v);
            fixed(2);
        }

        void u32(long v) throws IOException {
            scratch.putInt((int) v);
            fixed(4);
        }

        void u64(long v) throws IOException {
            scratch.putLong(v);
            fixed(8);
        }

        void string(String s) throws IOException {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            bytes(b);
        }

        void value(GgufValueType type, Object v) throws IOException {
            switch (type) {
                case UINT8, INT8 -> u8(((Number) v).intValue());
                case BOOL -> u8((Boolean) v ? 1 : 0);
                case UINT16, INT16 -> u16(((Number) v).intValue());
                case UINT32, INT32 -> u32(((Number) v).longValue());
                case FLOAT32 -> u32(Float.floatToRawIntBits(((Number) v).floatValue()));
                case UINT64, INT64 -> u64(((Number) v).longValue());
                case FLOAT64 -> u64(Double.doubleToRawLongBits(((Number) v).doubleValue()));
                case STRING -> string((String) v);
                case ARRAY -> throw new IllegalArgumentException("nested array needs an element type");
            }
        }

        void array(GgufValueType et, Object a) throws IOException {
            u32(et.id());
            switch (a) {
                case String[] s -> { u64(s.length); for (String x : s) string(x); }
                case float[] f -> { u64(f.length); for (float x : f) u32(Float.floatToRawIntBits(x)); }
                case int[] i -> { u64(i.length); for (int x : i) u32(x); }
                case long[] l -> { u64(l.length); for (long x : l) u64(x); }
                case double[] d -> { u64(d.length); for (double x : d) u64(Double.doubleToRawLongBits(x)); }
                case short[] s -> { u64(s.length); for (short x : s) u16(x); }
                case byte[] b -> { u64(b.length); bytes(b); }
                case boolean[] b -> { u64(b.length); for (boolean x : b) u8(x ? 1 : 0); }
                case Object[] nested -> {
                    u64(nested.length);
                    // Each nested element is itself an (elementType, values) pair.
                    for (Object o : nested) {
                        Object[] pair = (Object[]) o;
                        array((GgufValueType) pair[0], pair[1]);
                    }
                }
                default -> throw new IllegalArgumentException("not an array: " + a);
            }
        }
    }
}
