package osprey.models;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * One model's files in {@code ../shared/reference} (see its README): sequence A, llama.cpp's logits for it,
 * the exact-math ("ideal") logits, and llama.cpp's 32 greedy ids after the first 8 ids of A.
 */
record Reference(String name, Path model, int[] ids, float[] llamaCppLogits, float[] idealLogits, int[] greedy) {

    static Reference load(String name, Path model) {
        Path dir = SharedData.require("reference");
        return new Reference(name, model, readIds(dir.resolve(name + ".A.ids")), readF32(dir.resolve(name + ".A.logits.f32")),
                readF32(dir.resolve(name + ".A.ideal.f32")), readIds(dir.resolve(name + ".A.greedy.ids")));
    }

    /** A model stored in reference/ itself. */
    static Reference load(String name) {
        return load(name, SharedData.require("reference/" + name + ".gguf"));
    }

    static int[] readIds(Path p) {
        try {
            return Arrays.stream(Files.readString(p).trim().split("\\s+")).mapToInt(Integer::parseInt).toArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static float[] readF32(Path p) {
        try {
            ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
            float[] f = new float[b.remaining() / 4];
            b.asFloatBuffer().get(f);
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Standard deviation of all values: the unit the README's tolerances are given in. */
    static double std(float[] a) {
        double mean = 0;
        for (float v : a) mean += v;
        mean /= a.length;
        double var = 0;
        for (float v : a) var += (v - mean) * (v - mean);
        return Math.sqrt(var / a.length);
    }

    static double maxAbsDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }

    /** Share of rows whose argmax agrees. */
    static double argmaxAgreement(float[] a, float[] b, int vocab) {
        int rows = a.length / vocab, same = 0;
        for (int r = 0; r < rows; r++) {
            if (argmax(a, r * vocab, vocab) == argmax(b, r * vocab, vocab)) same++;
        }
        return (double) same / rows;
    }

    static int argmax(float[] a, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (a[off + i] > a[off + best]) best = i;
        return best;
    }
}
