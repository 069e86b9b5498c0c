package osprey.models.gguf;

import osprey.engine.FloatTensor;
import osprey.engine.GgmlType;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A GGUF file (versions 1, 2 and 3), mapped into memory once with FFM.
 *
 * <p>Layout: magic "GGUF", u32 version, tensor count and metadata count (u32 in v1, u64 after), the
 * metadata key/values, the tensor infos (name, dims, type, offset), padding to {@code general.alignment}
 * (default 32), then the tensor data. Loading reads only the header; tensors are zero-copy views over the
 * mapping, so opening a 10 GB model costs what reading its header costs.
 *
 * <p>Every read is bounds-checked: a malformed file gives a {@link GgufFormatException} that names the
 * problem and its byte offset, never an IndexOutOfBoundsException or a crash.
 *
 * <p>Metadata values as Java types: strings String; uint8..int32 Integer; uint32, int64, uint64 Long;
 * float32 Float; float64 Double; bool Boolean. Arrays by element type: STRING String[], FLOAT32 float[],
 * INT32/UINT32 int[], INT8/UINT8 byte[], INT16/UINT16 short[], INT64/UINT64 long[], FLOAT64 double[],
 * BOOL boolean[], nested ARRAY Object[].
 */
public final class GgufFile implements AutoCloseable {
    static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
    static final int DEFAULT_ALIGNMENT = 32;
    private static final int MAX_DIMS = 4; // GGML_MAX_DIMS
    private static final int MAX_ARRAY_DEPTH = 8; // real files nest at most once; deeper is an attack on the stack

    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final int version;
    private final Map<String, Object> metadata;
    private final Map<String, GgufValueType> metadataTypes;
    private final Map<String, GgufValueType> arrayElementTypes;
    private final Map<String, TensorInfo> tensors;
    private final int alignment;
    private final long dataOffset;

    private GgufFile(Path path, Arena arena, MemorySegment file) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        Reader r = new Reader();
        int magic = r.u32("magic");
        if (magic != MAGIC) {
            throw error(0, String.format("bad magic 0x%08x: not a GGUF file (expected the bytes \"GGUF\")", magic));
        }
        version = r.u32("version");
        if (version < 1 || version > 3) {
            String hint = Integer.reverseBytes(version) >= 1 && Integer.reverseBytes(version) <= 3
                    ? " (this looks like a big-endian GGUF, which Osprey does not read)" : "";
            throw error(4, "unsupported GGUF version " + Integer.toUnsignedString(version) + ", expected 1, 2 or 3" + hint);
        }
        long tensorCount = r.count("tensor count", version == 1 ? 24 : 28);
        long kvCount = r.count("metadata count", version == 1 ? 8 : 12);

        Map<String, Object> md = new LinkedHashMap<>();
        Map<String, GgufValueType> mdTypes = new LinkedHashMap<>();
        Map<String, GgufValueType> elementTypes = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            long at = r.pos;
            String key = r.string("metadata key #" + i);
            GgufValueType type = r.valueType("metadata '" + key + "'");
            Object value = r.value(type, "metadata '" + key + "'");
            if (md.putIfAbsent(key, value) != null) throw error(at, "duplicate metadata key '" + key + "'");
            mdTypes.put(key, type);
            if (type == GgufValueType.ARRAY) elementTypes.put(key, r.lastElementType);
        }
        metadata = Collections.unmodifiableMap(md);
        metadataTypes = Collections.unmodifiableMap(mdTypes);
        arrayElementTypes = Collections.unmodifiableMap(elementTypes);

        Object align = md.getOrDefault("general.alignment", DEFAULT_ALIGNMENT);
        if (!(align instanceof Integer || align instanceof Long) || ((Number) align).longValue() <= 0
                || Long.bitCount(((Number) align).longValue()) != 1 || ((Number) align).longValue() > (1 << 20)) {
            throw error(-1, "general.alignment must be a power of two integer, found " + align);
        }
        alignment = ((Number) align).intValue();

        Map<String, TensorInfo> ts = new LinkedHashMap<>();
        long[] infoOffsets = new long[(int) Math.min(tensorCount, Integer.MAX_VALUE)];
        for (long i = 0; i < tensorCount; i++) {
            long at = r.pos;
            infoOffsets[(int) i] = at;
            String name = r.string("tensor #" + i + " name");
            String what = "tensor '" + name + "'";
            int nDims = r.u32(what + " dimension count");
            if (nDims < 1 || nDims > MAX_DIMS) {
                throw error(at, what + ": " + Integer.toUnsignedString(nDims) + " dimensions, expected 1.." + MAX_DIMS);
            }
            long[] shape = new long[nDims];
            long elements = 1;
            for (int d = 0; d < nDims; d++) {
                long dimAt = r.pos;
                shape[d] = version == 1 ? Integer.toUnsignedLong(r.u32(what + " dimension")) : r.u64(what + " dimension");
                if (shape[d] <= 0) throw error(dimAt, what + ": dimension " + d + " is " + Long.toUnsignedString(shape[d]) + ", expected > 0");
                if (elements > Long.MAX_VALUE / shape[d]) throw error(dimAt, what + ": element count overflows");
                elements *= shape[d];
            }
            long typeAt = r.pos;
            int typeId = r.u32(what + " type");
            GgmlType type = GgmlType.fromId(typeId);
            if (type == null) throw error(typeAt, what + ": unknown tensor type " + Integer.toUnsignedString(typeId));
            if (shape[0] % type.blockSize() != 0) {
                throw error(at, what + ": row length ne0=" + shape[0] + " is not a multiple of the " + type
                        + " block size " + type.blockSize() + " (its blocks would cross rows; llama.cpp refuses such files too)");
            }
            long offsetAt = r.pos;
            long offset = r.u64(what + " data offset");
            if (offset < 0 || offset % alignment != 0) {
                throw error(offsetAt, what + ": data offset " + Long.toUnsignedString(offset) + " is not a multiple of the alignment " + alignment);
            }
            long bytes;
            try {
                bytes = Math.multiplyExact(elements / type.blockSize(), (long) type.bytesPerBlock());
            } catch (ArithmeticException e) {
                throw error(at, what + ": " + type + " " + java.util.Arrays.toString(shape) + " is too large (its byte size overflows)");
            }
            if (ts.putIfAbsent(name, new TensorInfo(name, shape, type, offset, bytes)) != null) {
                throw error(at, "duplicate tensor name '" + name + "'");
            }
        }
        tensors = Collections.unmodifiableMap(ts);

        long afterInfos = r.pos;
        dataOffset = (afterInfos + alignment - 1) / alignment * alignment;
        int i = 0;
        for (TensorInfo t : ts.values()) {
            long end = dataOffset + t.offset() + t.byteSize();
            if (t.offset() > file.byteSize() || end > file.byteSize() || end < 0) {
                throw error(infoOffsets[i], "tensor '" + t.name() + "' " + t.type() + " " + t.shapeString() + ": data ["
                        + (dataOffset + t.offset()) + ", " + end + ") lies beyond the end of the file (" + file.byteSize()
                        + " bytes); the file is truncated");
            }
            i++;
        }
    }

    /**
     * Maps and parses {@code path}. The caller closes the file, which unmaps it. With the system property
     * {@code osprey.mmap=false} the file is read into off-heap memory instead (llama.cpp's --no-mmap).
     */
    public static GgufFile open(Path path) {
        return open(path, !"false".equals(System.getProperty("osprey.mmap")));
    }

    /** Opens {@code path} mapped ({@code mmap}) or read whole into off-heap memory. */
    public static GgufFile open(Path path, boolean mmap) {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment seg;
            if (mmap) {
                seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            } else {
                seg = arena.allocate(ch.size(), 4096);
                long done = 0;
                while (done < ch.size()) {
                    int n = ch.read(seg.asSlice(done, Math.min(1L << 30, ch.size() - done)).asByteBuffer(), done);
                    if (n < 0) break;
                    done += n;
                }
            }
            return new GgufFile(path, arena, seg);
        } catch (NoSuchFileException e) {
            arena.close();
            throw new GgufFormatException(path, -1, "no such file");
        } catch (IOException e) {
            arena.close();
            throw new GgufFormatException(path, -1, "cannot read: " + e.getMessage());
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Parses a GGUF image already in memory (for example the embedded default model, read from the jar). */
    public static GgufFile fromSegment(Path nameForMessages, MemorySegment image) {
        return new GgufFile(nameForMessages, null, image);
    }

    public Path path() {
        return path;
    }

    public int version() {
        return version;
    }

    public int alignment() {
        return alignment;
    }

    /** File offset of the tensor data section. */
    public long dataOffset() {
        return dataOffset;
    }

    public long fileSize() {
        return file.byteSize();
    }

    public Map<String, Object> metadata() {
        return metadata;
    }

    /** The type a metadata value was stored with (e.g. to tell UINT32 from INT64). */
    public GgufValueType metadataType(String key) {
        return metadataTypes.get(key);
    }

    /** The element type of an array value (e.g. to copy it exactly into another file), or null. */
    public GgufValueType arrayElementType(String key) {
        return arrayElementTypes.get(key);
    }

    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    public boolean has(String key) {
        return metadata.containsKey(key);
    }

    public Object get(String key) {
        return metadata.get(key);
    }

    public String getString(String key) {
        Object v = metadata.get(key);
        if (v == null) return null;
        if (v instanceof String s) return s;
        throw wrongType(key, "a string", v);
    }

    public int getInt(String key, int dflt) {
        Object v = metadata.get(key);
        if (v == null) return dflt;
        if (v instanceof Integer i) return i;
        if (v instanceof Long l && l >= Integer.MIN_VALUE && l <= Integer.MAX_VALUE) return (int) (long) l;
        throw wrongType(key, "an integer that fits 32 bits", v);
    }

    public long getLong(String key, long dflt) {
        Object v = metadata.get(key);
        if (v == null) return dflt;
        if (v instanceof Integer i) return i;
        if (v instanceof Long l) return l;
        throw wrongType(key, "an integer", v);
    }

    public float getFloat(String key, float dflt) {
        Object v = metadata.get(key);
        if (v == null) return dflt;
        if (v instanceof Float f) return f;
        if (v instanceof Double d) return (float) (double) d;
        if (v instanceof Integer || v instanceof Long) return ((Number) v).floatValue();
        throw wrongType(key, "a number", v);
    }

    public boolean getBoolean(String key, boolean dflt) {
        Object v = metadata.get(key);
        if (v == null) return dflt;
        if (v instanceof Boolean b) return b;
        throw wrongType(key, "a bool", v);
    }

    @SuppressWarnings("unchecked")
    public <T> T getArray(String key, Class<T> arrayType) {
        Object v = metadata.get(key);
        if (v == null) return null;
        if (arrayType.isInstance(v)) return (T) v;
        throw wrongType(key, "an array of " + arrayType.getComponentType().getSimpleName(), v);
    }

    /** The raw bytes of a tensor: a slice of the mapping, valid while this file is open. */
    public MemorySegment tensorData(TensorInfo t) {
        return file.asSlice(dataOffset + t.offset(), t.byteSize());
    }

    /** A zero-copy typed view of tensor {@code name}, or null if the file has no such tensor. */
    public FloatTensor tensor(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) return null;
        if (!t.type().hasKernels()) {
            throw new GgufFormatException(path, dataOffset + t.offset(), "tensor '" + name + "' has type " + t.type()
                    + ", which Osprey cannot compute with yet (supported: " + java.util.Arrays.stream(GgmlType.values()).filter(GgmlType::hasKernels).toList() + ")");
        }
        return FloatTensor.of(t.type(), tensorData(t), t.elements());
    }

    @Override
    public void close() {
        if (arena != null) arena.close();
    }

    private GgufFormatException error(long offset, String problem) {
        return new GgufFormatException(path, offset, problem);
    }

    private GgufFormatException wrongType(String key, String expected, Object found) {
        String what = found.getClass().isArray() ? found.getClass().getComponentType().getSimpleName() + "[]" : found.getClass().getSimpleName();
        return new GgufFormatException(path, -1, "metadata '" + key + "' should be " + expected + ", found " + what);
    }

    /** A bounds-checked little-endian cursor over the header. */
    private final class Reader {
        long pos;
        GgufValueType lastElementType; // element type of the last top-level array value read

        private void need(long n, String what) {
            if (n < 0 || pos + n > file.byteSize() || pos + n < 0) {
                throw error(pos, "truncated header: " + what + " needs " + n + " bytes but the file ends at " + file.byteSize());
            }
        }

        int u8(String what) {
            need(1, what);
            return Byte.toUnsignedInt(file.get(ValueLayout.JAVA_BYTE, pos++));
        }

        int u32(String what) {
            need(4, what);
            int v = file.get(I32, pos);
            pos += 4;
            return v;
        }

        long u64(String what) {
            need(8, what);
            long v = file.get(I64, pos);
            pos += 8;
            return v;
        }

        /** A count or length: u32 in GGUF v1, u64 later; never more than the bytes left could hold. */
        long count(String what) {
            return count(what, 1);
        }

        /** A count of entries each at least {@code minBytes} long: refused before anything is allocated for it. */
        long count(String what, int minBytes) {
            long at = pos;
            long n = version == 1 ? Integer.toUnsignedLong(u32(what)) : u64(what);
            if (n < 0 || n > (file.byteSize() - pos) / minBytes) {
                throw error(at, what + " " + Long.toUnsignedString(n) + " is larger than the rest of the file ("
                        + (file.byteSize() - pos) + " bytes); the file is truncated or corrupt");
            }
            return n;
        }

        String string(String what) {
            long at = pos;
            long len = count(what + " length");
            need(len, what);
            if (len > Integer.MAX_VALUE - 16) throw error(at, what + ": string of " + len + " bytes is too long");
            byte[] bytes = file.asSlice(pos, len).toArray(ValueLayout.JAVA_BYTE);
            pos += len;
            try {
                return StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
            } catch (CharacterCodingException e) {
                // Some vocabularies hold tokens that are not valid UTF-8 on their own; keep them readable.
                return new String(bytes, StandardCharsets.UTF_8);
            }
        }

        GgufValueType valueType(String what) {
            long at = pos;
            int id = u32(what + " type");
            GgufValueType t = GgufValueType.fromId(id);
            if (t == null) throw error(at, what + ": unknown metadata value type " + Integer.toUnsignedString(id));
            return t;
        }

        Object value(GgufValueType type, String what) {
            return switch (type) {
                case UINT8 -> u8(what);
                case INT8 -> (int) (byte) u8(what);
                case UINT16 -> { need(2, what); int v = Short.toUnsignedInt(file.get(I16, pos)); pos += 2; yield v; }
                case INT16 -> { need(2, what); int v = file.get(I16, pos); pos += 2; yield v; }
                case UINT32 -> Integer.toUnsignedLong(u32(what));
                case INT32 -> u32(what);
                case FLOAT32 -> Float.intBitsToFloat(u32(what));
                case BOOL -> {
                    long at = pos;
                    int b = u8(what);
                    if (b > 1) throw error(at, what + ": bool value " + b + ", expected 0 or 1");
                    yield b == 1;
                }
                case STRING -> string(what);
                case UINT64, INT64 -> u64(what);
                case FLOAT64 -> Double.longBitsToDouble(u64(what));
                case ARRAY -> {
                    if (pos + 4 <= file.byteSize()) lastElementType = GgufValueType.fromId(file.get(I32, pos));
                    yield array(what);
                }
            };
        }

        Object array(String what) {
            return array(what, 0);
        }

        Object array(String what, int depth) {
            if (depth > MAX_ARRAY_DEPTH) {
                throw error(pos, what + ": arrays nested deeper than " + MAX_ARRAY_DEPTH + " levels");
            }
            GgufValueType et = valueType(what + " element");
            long at = pos;
            int minBytes = switch (et) {
                case STRING -> version == 1 ? 4 : 8;
                case ARRAY -> version == 1 ? 8 : 12;
                default -> et.size;
            };
            long n = count(what + " array length", minBytes);
            if (et.size > 0) {
                need(n * et.size, what + " (" + n + " x " + et + ")");
            }
            if (n > Integer.MAX_VALUE - 16) throw error(at, what + ": array of " + n + " elements is too long");
            int len = (int) n;
            switch (et) {
                case UINT8, INT8, BOOL -> {
                    byte[] a = file.asSlice(pos, len).toArray(ValueLayout.JAVA_BYTE);
                    pos += len;
                    if (et != GgufValueType.BOOL) return a;
                    boolean[] b = new boolean[len];
                    for (int i = 0; i < len; i++) {
                        if (a[i] != 0 && a[i] != 1) throw error(pos - len + i, what + "[" + i + "]: bool value " + a[i]);
                        b[i] = a[i] == 1;
                    }
                    return b;
                }
                case UINT16, INT16 -> {
                    short[] a = new short[len];
                    for (int i = 0; i < len; i++) a[i] = file.get(I16, pos + 2L * i);
                    pos += 2L * len;
                    return a;
                }
                case UINT32, INT32 -> {
                    int[] a = new int[len];
                    for (int i = 0; i < len; i++) a[i] = file.get(I32, pos + 4L * i);
                    pos += 4L * len;
                    return a;
                }
                case FLOAT32 -> {
                    float[] a = new float[len];
                    for (int i = 0; i < len; i++) a[i] = file.get(F32, pos + 4L * i);
                    pos += 4L * len;
                    return a;
                }
                case UINT64, INT64 -> {
                    long[] a = new long[len];
                    for (int i = 0; i < len; i++) a[i] = file.get(I64, pos + 8L * i);
                    pos += 8L * len;
                    return a;
                }
                case FLOAT64 -> {
                    double[] a = new double[len];
                    for (int i = 0; i < len; i++) a[i] = file.get(F64, pos + 8L * i);
                    pos += 8L * len;
                    return a;
                }
                case STRING -> {
                    String[] a = new String[len];
                    for (int i = 0; i < len; i++) a[i] = string(what + "[" + i + "]");
                    return a;
                }
                case ARRAY -> {
                    Object[] a = new Object[len];
                    for (int i = 0; i < len; i++) a[i] = array(what + "[" + i + "]", depth + 1);
                    return a;
                }
                default -> throw new AssertionError(et);
            }
        }
    }
}
