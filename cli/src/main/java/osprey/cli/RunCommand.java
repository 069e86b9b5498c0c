package osprey.cli;

import osprey.engine.ThreadPool;
import osprey.kernel.Generation;
import osprey.models.Model;
import osprey.models.SamplerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/** {@code osprey run}: generate text from a prompt. Only the generated text goes to stdout. */
@Command(name = "run", description = "Generate text from a prompt; stdout carries only the generated text.")
final class RunCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOption model;

    @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT", description = "Prompt to continue (default: empty, i.e. BOS alone).")
    String prompt = "";

    @Option(names = {"-n", "--n-predict"}, paramLabel = "N", description = "Tokens to generate; -1 = until end of text or context (default: ${DEFAULT-VALUE}).")
    int nPredict = 256;

    @Option(names = "--temp", paramLabel = "T", description = "Temperature; 0 = greedy (default: ${DEFAULT-VALUE}).")
    float temperature = 0.8f;

    @Option(names = "--top-k", paramLabel = "K", description = "Top-k; 0 = off (default: ${DEFAULT-VALUE}).")
    int topK = 40;

    @Option(names = "--top-p", paramLabel = "P", description = "Top-p (nucleus); 1 = off (default: ${DEFAULT-VALUE}).")
    float topP = 0.95f;

    @Option(names = "--min-p", paramLabel = "P", description = "Min-p; 0 = off (default: ${DEFAULT-VALUE}).")
    float minP = 0.05f;

    @Option(names = "--repeat-penalty", paramLabel = "R", description = "Repetition penalty; 1 = off (default: ${DEFAULT-VALUE}).")
    float repeatPenalty = 1.0f;

    @Option(names = "--repeat-last-n", paramLabel = "N", description = "Tokens the repetition penalty looks back at (default: ${DEFAULT-VALUE}).")
    int repeatLastN = 64;

    @Option(names = {"-s", "--seed"}, paramLabel = "S", description = "Random seed; -1 = a random one, printed in the summary (default: ${DEFAULT-VALUE}).")
    long seed = -1;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "Threads (default: all available processors).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = {"-c", "--ctx-size"}, paramLabel = "N", description = "Context size in tokens; 0 = the model's, at most 4096 (default: ${DEFAULT-VALUE}).")
    int ctxSize = 0;

    /** Thrown from the output callback to stop generating when stdout is closed. */
    private static final class OutputClosed extends RuntimeException {
        OutputClosed() {
            super(null, null, false, false);
        }
    }

    @Override
    public Integer call() {
        if (threads < 1) throw new ParameterException(spec.commandLine(), "--threads must be at least 1, got " + threads);
        if (ctxSize < 0) throw new ParameterException(spec.commandLine(), "--ctx-size must be >= 0 (0 = the model's), got " + ctxSize);
        long actualSeed = seed == -1 ? new java.security.SecureRandom().nextLong() & Long.MAX_VALUE : seed;
        SamplerConfig sampling;
        try {
            sampling = new SamplerConfig(temperature, topK, topP, minP, repeatPenalty, repeatLastN, actualSeed);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        PrintWriter out = spec.commandLine().getOut(); // UTF-8; flushed per piece so text appears token by token
        PrintWriter err = spec.commandLine().getErr();
        try (ThreadPool pool = new ThreadPool(threads); Model m = Model.load(model.model, pool)) {
            int ctx = ctxSize > 0 ? ctxSize : Math.min(m.config().contextLength(), 4096);
            Generation.Result r;
            try {
                r = Generation.run(m, prompt, nPredict, sampling, ctx, piece -> {
                    out.print(piece);
                    out.flush();
                    if (out.checkError()) throw new OutputClosed(); // the reader went away (e.g. `| head`)
                });
            } catch (OutputClosed e) {
                return 0;
            }
            // No newline on stdout: it carries exactly the generated text. The newline goes to stderr, which
            // ends the line on a terminal all the same.
            err.println();
            err.printf("osprey: prompt %d tokens in %.3f s (%.1f tok/s), generated %d tokens in %.3f s (%.1f tok/s), stop: %s, seed %d, threads %d%n",
                    r.promptTokens().length, r.prefillNanos() / 1e9, r.prefillTokensPerSecond(),
                    r.generated().length, r.decodeNanos() / 1e9, r.decodeTokensPerSecond(),
                    r.stop().name().toLowerCase(), actualSeed, threads);
        }
        return 0;
    }
}
