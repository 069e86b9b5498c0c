package osprey.cli;

import osprey.engine.ThreadPool;
import osprey.kernel.Benchmark;
import osprey.models.Model;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code osprey bench}: prefill and decode throughput in llama-bench's format, plus the machine's
 * memory bandwidth and the decode speed it allows for this file (bytes of weights per token / bandwidth).
 */
@Command(name = "bench", description = "Measure prefill (ppN) and decode (tgN) speed, llama-bench style.")
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOption model;

    @Option(names = {"-p", "--n-prompt"}, paramLabel = "N", description = "Prompt tokens for the pp test; 0 = skip (default: ${DEFAULT-VALUE}).")
    int prompt = 128;

    @Option(names = {"-n", "--n-gen"}, paramLabel = "N", description = "Tokens for the tg test; 0 = skip (default: ${DEFAULT-VALUE}).")
    int generate = 64;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "Threads (default: all available processors).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = {"-r", "--repetitions"}, paramLabel = "N", description = "Timed repetitions of each test (default: ${DEFAULT-VALUE}).")
    int repetitions = 3;

    @Option(names = "--json", description = "Print JSON instead of the table.")
    boolean json;

    @Option(names = "--no-bandwidth", description = "Skip the memory-bandwidth measurement.")
    boolean noBandwidth;

    @Override
    public Integer call() {
        if (repetitions < 1) throw new ParameterException(spec.commandLine(), "--repetitions must be at least 1");
        if (prompt < 0 || generate < 0) throw new ParameterException(spec.commandLine(), "-p and -n must be >= 0");
        if (threads < 1) throw new ParameterException(spec.commandLine(), "--threads must be at least 1, got " + threads);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (ThreadPool pool = new ThreadPool(threads); Model m = Model.load(model.model, pool)) {
            List<Benchmark.Result> results = Benchmark.run(m, prompt, generate, repetitions, line -> {
                err.println("osprey bench: " + line);
                err.flush();
            });
            double bandwidth = 0;
            if (!noBandwidth) {
                err.println("osprey bench: measuring memory bandwidth");
                err.flush();
                bandwidth = Benchmark.memoryBandwidth(pool);
            }
            long bytesPerToken = Benchmark.weightBytesPerToken(m);
            long params = m.gguf().tensors().values().stream().mapToLong(t -> t.elements()).sum();
            long size = m.gguf().tensors().values().stream().mapToLong(t -> t.byteSize()).sum();
            String type = Benchmark.mainType(m).name();
            String name = m.config().architecture() + " " + humanParams(params) + " " + type;
            if (json) {
                Map<String, Object> doc = new LinkedHashMap<>();
                doc.put("model", name);
                doc.put("file", m.gguf().path().toString());
                doc.put("size_bytes", size);
                doc.put("params", params);
                doc.put("type", type);
                doc.put("threads", threads);
                for (Benchmark.Result r : results) {
                    Map<String, Object> t = new LinkedHashMap<>();
                    t.put("tokens", r.tokens());
                    t.put("avg_ts", r.mean());
                    t.put("stddev_ts", r.stddev());
                    t.put("samples_ts", java.util.Arrays.toString(r.tokensPerSecond()));
                    doc.put(r.test(), t);
                }
                doc.put("weight_bytes_per_token", bytesPerToken);
                if (bandwidth > 0) {
                    doc.put("memory_bandwidth_gbps", bandwidth / 1e9);
                    doc.put("decode_limit_ts", bandwidth / bytesPerToken);
                }
                out.println(Json.write(doc));
            } else {
                out.println("| model | size | params | type | threads | test | t/s |");
                out.println("| --- | ---: | ---: | --- | ---: | ---: | ---: |");
                for (Benchmark.Result r : results) {
                    out.printf("| %s | %.2f GiB | %.2f B | %s | %d | %s | %.2f ± %.2f |%n", name, size / (double) (1L << 30),
                            params / 1e9, type, threads, r.test(), r.mean(), r.stddev());
                }
                if (bandwidth > 0) {
                    out.printf("memory read bandwidth (%d threads): %.1f GB/s; weights read per token: %.2f GB; decode limit: %.2f t/s%n",
                            threads, bandwidth / 1e9, bytesPerToken / 1e9, bandwidth / bytesPerToken);
                    for (Benchmark.Result r : results) {
                        if (r.test().startsWith("tg")) {
                            out.printf("%s reaches %.0f%% of the decode limit (%.1f GB/s of weights)%n", r.test(),
                                    100 * r.mean() * bytesPerToken / bandwidth, r.mean() * bytesPerToken / 1e9);
                        }
                    }
                }
            }
            out.flush();
        }
        return 0;
    }

    private static String humanParams(long params) {
        if (params >= 1e9) return String.format("%.1fB", params / 1e9);
        if (params >= 1e6) return String.format("%.0fM", params / 1e6);
        return String.format("%.0fK", params / 1e3);
    }
}
