package osprey.cli;

import osprey.engine.GgmlType;
import osprey.engine.ThreadPool;
import osprey.models.Synth;
import osprey.models.gguf.GgufFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code osprey synth}: write a random-weight GGUF of a real model's shape, with a real tokenizer, to
 * benchmark engines on identical files without downloading them.
 */
@Command(name = "synth", description = {
        "Write a random-weight GGUF model of a named shape (or custom dimensions) for benchmarks.",
        "Shapes: llama3.2-1b, tinyllama, qwen2.5-0.5b, custom."})
final class SynthCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SHAPE", description = "llama3.2-1b, tinyllama, qwen2.5-0.5b or custom.")
    String shape;

    @Option(names = "--type", required = true, paramLabel = "TYPE", description = "F32, F16, BF16, Q8_0, Q4_0, Q4_K or Q6_K.")
    String type;

    @Option(names = "--vocab", required = true, paramLabel = "VOCAB.gguf",
            description = "GGUF whose tokenizer is copied (e.g. a llama.cpp ggml-vocab-*.gguf); its size sets the vocabulary.")
    Path vocab;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "OUT.gguf", description = "File to write.")
    Path out;

    @Option(names = "--seed", description = "Seed of the random weights (default: ${DEFAULT-VALUE}).")
    long seed = 1;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "Threads (default: all available processors).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--arch", description = "custom: llama or qwen2 (default: ${DEFAULT-VALUE}).")
    String arch = "llama";

    @Option(names = "--dim", description = "custom: embedding length.")
    int dim;

    @Option(names = "--layers", description = "custom: transformer blocks.")
    int layers;

    @Option(names = "--heads", description = "custom: attention heads.")
    int heads;

    @Option(names = "--kv-heads", description = "custom: key/value heads (default: --heads).")
    int kvHeads;

    @Option(names = "--ffn", description = "custom: feed-forward length.")
    int ffn;

    @Option(names = "--untied", description = "custom: a separate output matrix instead of tied embeddings.")
    boolean untied;

    @Override
    public Integer call() throws IOException {
        GgmlType t;
        try {
            t = GgmlType.valueOf(type.toUpperCase());
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--type " + type + " is not a tensor type (use F32, F16, BF16, Q8_0, Q4_0, Q4_K or Q6_K)");
        }
        Synth.Shape s = shape.equals("custom") ? custom() : Synth.SHAPES.get(shape);
        if (s == null) {
            throw new ParameterException(spec.commandLine(), "unknown shape '" + shape + "' (known: " + String.join(", ", Synth.SHAPES.keySet()) + ", custom)");
        }
        if (out.getParent() != null) Files.createDirectories(out.getParent());
        var err = spec.commandLine().getErr();
        long start = System.nanoTime();
        try (ThreadPool pool = new ThreadPool(threads); GgufFile v = GgufFile.open(vocab)) {
            Synth.write(s, t, v, seed, out, pool, line -> {
                err.println("osprey: " + line);
                err.flush();
            });
        }
        err.printf("osprey: wrote %s (%,d bytes) in %.1f s%n", out, Files.size(out), (System.nanoTime() - start) / 1e9);
        return 0;
    }

    private Synth.Shape custom() {
        if (dim <= 0 || layers <= 0 || heads <= 0 || ffn <= 0) {
            throw new ParameterException(spec.commandLine(), "custom shape needs --dim, --layers, --heads and --ffn (all > 0)");
        }
        if (!arch.equals("llama") && !arch.equals("qwen2")) throw new ParameterException(spec.commandLine(), "--arch must be llama or qwen2, got " + arch);
        int kv = kvHeads > 0 ? kvHeads : heads;
        if (dim % heads != 0 || heads % kv != 0 || (dim / heads) % 2 != 0) {
            throw new ParameterException(spec.commandLine(), "--dim must be a multiple of --heads with an even quotient (the head dimension), and --heads a multiple of --kv-heads");
        }
        boolean qwen = arch.equals("qwen2");
        return new Synth.Shape("custom", arch, dim, layers, heads, kv, ffn, 0, !untied, qwen ? 1000000f : 10000f,
                qwen ? 1e-6f : 1e-5f, 4096, qwen, false);
    }
}
