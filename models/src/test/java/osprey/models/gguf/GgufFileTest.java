package osprey.models.gguf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import osprey.engine.GgmlType;
import osprey.models.SharedData;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GgufFileTest {
    @TempDir
    Path dir;

    /** A small valid file: every metadata type, a nested array, and two tensors. */
    private static GgufWriter sample() {
        return new GgufWriter()
                .putString("general.architecture", "llama")
                .put("t.u8", GgufValueType.UINT8, 200)
                .put("t.i8", GgufValueType.INT8, -5)
                .put("t.u16", GgufValueType.UINT16, 65000)
                .put("t.i16", GgufValueType.INT16, -30000)
                .putU32("t.u32", 4_000_000_000L)
                .put("t.i32", GgufValueType.INT32, -7)
                .putF32("t.f32", 1.5f)
                .putBool("t.bool", true)
                .put("t.u64", GgufValueType.UINT64, 1L << 40)
                .put("t.i64", GgufValueType.INT64, -(1L << 40))
                .put("t.f64", GgufValueType.FLOAT64, 2.25)
                .putArray("t.strings", GgufValueType.STRING, new String[]{"a", "▁b", ""})
                .putArray("t.floats", GgufValueType.FLOAT32, new float[]{1f, -2f})
                .putArray("t.ints", GgufValueType.INT32, new int[]{3, 4, 5})
                .putArray("t.bools", GgufValueType.BOOL, new boolean[]{true, false})
                .putArray("t.nested", GgufValueType.ARRAY, new Object[]{
                        new Object[]{GgufValueType.INT32, new int[]{1, 2}},
                        new Object[]{GgufValueType.STRING, new String[]{"x"}}})
                .addF32("a.weight", new long[]{4, 2}, new float[]{1, 2, 3, 4, 5, 6, 7, 8})
                .addF32("b.weight", new long[]{3}, new float[]{9, 10, 11});
    }

    private Path write(GgufWriter w) throws IOException {
        Path p = dir.resolve("t" + System.nanoTime() + ".gguf");
        w.write(p);
        return p;
    }

    private static byte[] bytes(GgufWriter w) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        w.write(bos);
        return bos.toByteArray();
    }

    private Path writeBytes(byte[] b) throws IOException {
        Path p = dir.resolve("m" + System.nanoTime() + ".gguf");
        Files.write(p, b);
        return p;
    }

    @Test
    void readsEveryMetadataTypeAndNestedArrays() throws IOException {
        try (GgufFile f = GgufFile.open(write(sample()))) {
            assertThat(f.version()).isEqualTo(3);
            assertThat(f.get("t.u8")).isEqualTo(200);
            assertThat(f.get("t.i8")).isEqualTo(-5);
            assertThat(f.get("t.u16")).isEqualTo(65000);
            assertThat(f.get("t.i16")).isEqualTo(-30000);
            assertThat(f.get("t.u32")).isEqualTo(4_000_000_000L);
            assertThat(f.get("t.i32")).isEqualTo(-7);
            assertThat(f.get("t.f32")).isEqualTo(1.5f);
            assertThat(f.get("t.bool")).isEqualTo(true);
            assertThat(f.get("t.u64")).isEqualTo(1L << 40);
            assertThat(f.get("t.i64")).isEqualTo(-(1L << 40));
            assertThat(f.get("t.f64")).isEqualTo(2.25);
            assertThat(f.getArray("t.strings", String[].class)).containsExactly("a", "▁b", "");
            assertThat(f.getArray("t.floats", float[].class)).containsExactly(1f, -2f);
            assertThat(f.getArray("t.ints", int[].class)).containsExactly(3, 4, 5);
            assertThat(f.getArray("t.bools", boolean[].class)).containsExactly(true, false);
            Object[] nested = f.getArray("t.nested", Object[].class);
            assertThat((int[]) nested[0]).containsExactly(1, 2);
            assertThat((String[]) nested[1]).containsExactly("x");
            assertThat(f.metadataType("t.u32")).isEqualTo(GgufValueType.UINT32);

            TensorInfo a = f.tensors().get("a.weight");
            assertThat(a.shape()).containsExactly(4, 2);
            assertThat(a.type()).isEqualTo(GgmlType.F32);
            assertThat(f.dataOffset() % 32).isZero();
            float[] row1 = new float[4];
            f.tensor("a.weight").dequantize(4, row1, 0, 4);
            assertThat(row1).containsExactly(5, 6, 7, 8);
            float[] b = new float[3];
            f.tensor("b.weight").dequantize(0, b, 0, 3);
            assertThat(b).containsExactly(9, 10, 11);
        }
    }

    @Test
    void honoursGeneralAlignment() throws IOException {
        GgufWriter w = sample().putU32("general.alignment", 64);
        try (GgufFile f = GgufFile.open(write(w))) {
            assertThat(f.alignment()).isEqualTo(64);
            assertThat(f.dataOffset() % 64).isZero();
            float[] b = new float[3];
            f.tensor("b.weight").dequantize(0, b, 0, 3);
            assertThat(b).containsExactly(9, 10, 11);
        }
    }

    @Test
    void badMagicNamesTheProblemAndOffset() throws IOException {
        byte[] b = bytes(sample());
        b[3] = 'X';
        assertThatThrownBy(() -> GgufFile.open(writeBytes(b)))
                .isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("bad magic").hasMessageContaining("at byte offset 0");
    }

    @Test
    void unsupportedVersion() throws IOException {
        byte[] b = bytes(sample());
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(4, 4);
        assertThatThrownBy(() -> GgufFile.open(writeBytes(b)))
                .isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("unsupported GGUF version 4, expected 1, 2 or 3").hasMessageContaining("offset 4");
    }

    @Test
    void truncatedHeaderAtEveryCutPoint() throws IOException {
        byte[] full = bytes(sample());
        long headerEnd;
        try (GgufFile f = GgufFile.open(writeBytes(full))) {
            headerEnd = f.dataOffset();
        }
        // Cut the file at many places inside the header: each must be a clear error, never an exception of another kind.
        for (int cut = 0; cut < headerEnd - 32; cut += 7) {
            Path p = writeBytes(Arrays.copyOf(full, cut));
            assertThatThrownBy(() -> GgufFile.open(p))
                    .as("cut at %d", cut)
                    .isInstanceOf(GgufFormatException.class)
                    .hasMessageMatching("(?s).*(truncated|bad magic|larger than the rest of the file).*");
        }
        Path p = writeBytes(Arrays.copyOf(full, 12)); // inside the tensor count
        assertThatThrownBy(() -> GgufFile.open(p)).hasMessageContaining("truncated header").hasMessageContaining("at byte offset");
        Path q = writeBytes(Arrays.copyOf(full, 100)); // too short for the 17 metadata entries it announces
        assertThatThrownBy(() -> GgufFile.open(q)).hasMessageContaining("metadata count 17").hasMessageContaining("truncated");
    }

    @Test
    void tensorDataBeyondEndOfFile() throws IOException {
        byte[] full = bytes(sample());
        long bStart;
        try (GgufFile f = GgufFile.open(writeBytes(full))) {
            bStart = f.dataOffset() + f.tensors().get("b.weight").offset();
        }
        Path p = writeBytes(Arrays.copyOf(full, (int) bStart + 4)); // b.weight needs 12 bytes, 4 remain
        assertThatThrownBy(() -> GgufFile.open(p))
                .isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("tensor 'b.weight'").hasMessageContaining("beyond the end of the file");
    }

    @Test
    void unknownTensorType() throws IOException {
        byte[] b = bytes(new GgufWriter().addF32("w", new long[]{2}, new float[]{1, 2}));
        // Tensor info: after the 24-byte header: name (8 + 1), n_dims (4), one dim (8), then the type (4).
        int typeAt = 24 + 9 + 4 + 8;
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(typeAt, 99);
        assertThatThrownBy(() -> GgufFile.open(writeBytes(b)))
                .isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("tensor 'w': unknown tensor type 99").hasMessageContaining("offset " + typeAt);
    }

    @Test
    void rowLengthNotAMultipleOfTheBlockSizeIsRefused() throws IOException {
        // 40 Q8_0 values: 40 is not a multiple of 32, so blocks would cross rows.
        byte[] b = bytes(new GgufWriter().addTensor("w", GgmlType.F32, new long[]{40}, new byte[160]));
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(24 + 9 + 4 + 8, GgmlType.Q8_0.id());
        assertThatThrownBy(() -> GgufFile.open(writeBytes(b)))
                .isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("row length ne0=40 is not a multiple of the Q8_0 block size 32");
    }

    @Test
    void absurdCountsAreRefusedBeforeAllocating() throws IOException {
        byte[] b = bytes(sample());
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(16, Long.MAX_VALUE / 2); // metadata count
        assertThatThrownBy(() -> GgufFile.open(writeBytes(b)))
                .isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("metadata count").hasMessageContaining("larger than the rest of the file");
    }

    @Test
    void missingAndEmptyFiles() throws IOException {
        assertThatThrownBy(() -> GgufFile.open(dir.resolve("nope.gguf"))).hasMessageContaining("no such file");
        Path empty = writeBytes(new byte[0]);
        assertThatThrownBy(() -> GgufFile.open(empty)).isInstanceOf(GgufFormatException.class).hasMessageContaining("truncated header");
    }

    @Test
    void readsVersion1And3OfStories260K() {
        Path v3 = SharedData.stories260K();
        Path v1 = SharedData.require("models/stories260K/tinyllamas-stories-260k-f32.gguf");
        try (GgufFile a = GgufFile.open(v3); GgufFile b = GgufFile.open(v1)) {
            assertThat(a.version()).isEqualTo(3);
            assertThat(b.version()).isEqualTo(1);
            assertThat(a.tensors()).hasSize(48);
            assertThat(b.tensors().keySet()).isEqualTo(a.tensors().keySet());
            assertThat(b.getArray("tokenizer.ggml.tokens", String[].class)).hasSize(512);
            // Same weights in both versions.
            float[] x = new float[64], y = new float[64];
            a.tensor("blk.3.attn_q.weight").dequantize(640, x, 0, 64);
            b.tensor("blk.3.attn_q.weight").dequantize(640, y, 0, 64);
            assertThat(y).containsExactly(x);
        }
    }

    @Test
    void theQ8_0FileWhoseBlocksCrossRowsIsRefusedClearly() {
        Path p = SharedData.require("models/stories260K/tinyllamas-stories-260k-q8_0.gguf");
        assertThatThrownBy(() -> GgufFile.open(p))
                .isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("ffn_down.weight")
                .hasMessageContaining("row length ne0=172 is not a multiple of the Q8_0 block size 32");
    }

    @Test
    void deeplyNestedArraysAreRefusedNotAStackOverflow() throws IOException {
        Object inner = new Object[]{GgufValueType.INT32, new int[]{1}};
        for (int d = 0; d < 12; d++) inner = new Object[]{GgufValueType.ARRAY, new Object[]{inner}};
        Object[] pair = (Object[]) inner;
        byte[] b = bytes(new GgufWriter().putArray("deep", (GgufValueType) pair[0], pair[1]));
        assertThatThrownBy(() -> GgufFile.open(writeBytes(b)))
                .isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("nested deeper than 8 levels");
    }

    @Test
    void aTensorWhoseByteSizeOverflowsIsRefused() throws IOException {
        byte[] b = bytes(new GgufWriter().addF32("w", new long[]{2}, new float[]{1, 2}));
        // The one dimension (u64 after name, n_dims) becomes 2^62: its F32 byte size would overflow.
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(24 + 9 + 4, 1L << 62);
        assertThatThrownBy(() -> GgufFile.open(writeBytes(b)))
                .isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("tensor 'w'").hasMessageContaining("too large");
    }

    @Test
    void anArrayLongerThanTheFileCouldHoldIsRefusedBeforeAllocating() throws IOException {
        byte[] b = bytes(new GgufWriter().putArray("s", GgufValueType.STRING, new String[]{"a", "b"}));
        // header 24, key (8 + 1), value type 4, element type 4, then the count: make it 2^40 strings.
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(24 + 9 + 4 + 4, 1L << 40);
        assertThatThrownBy(() -> GgufFile.open(writeBytes(b)))
                .isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("array length").hasMessageContaining("larger than the rest of the file");
    }
}
