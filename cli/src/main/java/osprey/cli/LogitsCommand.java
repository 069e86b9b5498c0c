package osprey.cli;

import osprey.engine.KvCache;
import osprey.engine.ThreadPool;
import osprey.models.Model;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;

/**
 * {@code osprey logits}: evaluate token ids in one batch and write the logits of every position as
 * little-endian float32, {@code [n_ids][n_vocab]}: the format of llama.cpp's reference files.
 */
@Command(name = "logits", description = "Evaluate token ids in one batch; write float32 LE logits [n_ids][n_vocab].")
final class LogitsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOption model;

    @Option(names = "--ids", required = true, paramLabel = "\"1 2 3\"", description = "Token ids, separated by spaces or commas.")
    String ids;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "FILE.f32", description = "Output file.")
    Path out;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "Threads (default: all available processors).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Override
    public Integer call() throws IOException {
        int[] tokens = parseIds(ids);
        try (ThreadPool pool = new ThreadPool(threads); Model m = Model.load(model.model, pool)) {
            int vocab = m.config().vocabSize();
            for (int t : tokens) {
                if (t < 0 || t >= vocab) throw new IllegalArgumentException("token id " + t + " is outside the vocabulary (0.." + (vocab - 1) + ")");
            }
            long total = (long) tokens.length * vocab;
            if (total > Integer.MAX_VALUE - 16) {
                throw new IllegalArgumentException(tokens.length + " ids x " + vocab + " vocabulary = " + total
                        + " logits, more than one batch holds (at most " + (Integer.MAX_VALUE - 16) / vocab + " ids); split the ids");
            }
            KvCache cache = m.newKvCache(Math.max(tokens.length, 1));
            int[] positions = new int[tokens.length];
            Arrays.setAll(positions, i -> i);
            float[] logits = new float[(int) total];
            m.transformer().forward(tokens, positions, tokens.length, cache, true, logits);
            ByteBuffer row = ByteBuffer.allocate(vocab * 4).order(ByteOrder.LITTLE_ENDIAN);
            try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(out), 1 << 20)) {
                for (int t = 0; t < tokens.length; t++) { // one row at a time: no second copy of all logits
                    row.clear();
                    row.asFloatBuffer().put(logits, t * vocab, vocab);
                    os.write(row.array());
                }
            }
            spec.commandLine().getErr().printf("osprey: wrote %d x %d logits to %s%n", tokens.length, vocab, out);
        }
        return 0;
    }

    static int[] parseIds(String text) {
        String[] parts = text.trim().split("[\\s,]+");
        if (parts.length == 1 && parts[0].isEmpty()) throw new IllegalArgumentException("--ids is empty: give at least one token id");
        int[] ids = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                ids[i] = Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--ids: '" + parts[i] + "' is not a token id");
            }
        }
        return ids;
    }
}
