package osprey.cli;

import osprey.engine.GgmlType;
import osprey.models.Model;
import osprey.models.gguf.GgufFile;
import osprey.models.gguf.TensorInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/**
 * {@code osprey inspect FILE}: what a GGUF file holds (architecture, hyperparameters, tokenizer, tensors by
 * type, size), from its header alone. Works on any GGUF, including vocab-only files and architectures
 * Osprey cannot run.
 */
@Command(name = "inspect", description = "Describe a GGUF file: architecture, hyperparameters, tokenizer, tensors, size.")
final class InspectCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "FILE", description = "GGUF file (default: the embedded model).")
    Path file;

    @Option(names = "--json", description = "Print JSON instead of text.")
    boolean json;

    @Override
    public Integer call() {
        try (GgufFile gguf = file == null ? Model.openDefault() : GgufFile.open(file)) {
            Map<String, Object> info = describe(gguf);
            PrintWriter out = spec.commandLine().getOut();
            if (json) out.println(Json.write(info));
            else printText(out, info);
        }
        return 0;
    }

    static Map<String, Object> describe(GgufFile gguf) {
        String arch = gguf.getString("general.architecture");
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("file", gguf.path().toString());
        info.put("gguf_version", gguf.version());
        info.put("file_size", gguf.fileSize());
        info.put("architecture", arch);
        info.put("name", gguf.getString("general.name"));

        Map<String, Object> hparams = new LinkedHashMap<>();
        if (arch != null) {
            String prefix = arch + ".";
            for (var e : gguf.metadata().entrySet()) {
                if (e.getKey().startsWith(prefix) && !e.getValue().getClass().isArray()) {
                    hparams.put(e.getKey().substring(prefix.length()), e.getValue());
                }
            }
        }
        info.put("hyperparameters", hparams);

        Map<String, Object> tok = new LinkedHashMap<>();
        tok.put("model", gguf.getString("tokenizer.ggml.model"));
        tok.put("pre", gguf.getString("tokenizer.ggml.pre"));
        Object tokens = gguf.get("tokenizer.ggml.tokens");
        tok.put("vocab_size", tokens instanceof String[] s ? s.length : null);
        Object merges = gguf.get("tokenizer.ggml.merges");
        if (merges instanceof String[] m) tok.put("merges", m.length);
        for (String k : new String[]{"bos_token_id", "eos_token_id", "unknown_token_id", "padding_token_id", "add_bos_token", "add_eos_token"}) {
            Object v = gguf.get("tokenizer.ggml." + k);
            if (v != null) tok.put(k, v);
        }
        tok.put("chat_template", gguf.has("tokenizer.chat_template"));
        info.put("tokenizer", tok);

        Map<String, Long> byType = new TreeMap<>();
        long params = 0, bytes = 0;
        for (TensorInfo t : gguf.tensors().values()) {
            byType.merge(t.type().name(), 1L, Long::sum);
            params += t.elements();
            bytes += t.byteSize();
        }
        info.put("tensor_count", gguf.tensors().size());
        info.put("tensors_by_type", byType);
        info.put("parameters", params);
        info.put("tensor_bytes", bytes);
        boolean runnable = gguf.tensors().values().stream().allMatch(t -> t.type().hasKernels());
        info.put("all_types_supported", runnable);
        return info;
    }

    private static void printText(PrintWriter out, Map<String, Object> info) {
        out.printf("file:          %s%n", info.get("file"));
        out.printf("format:        GGUF v%s, %,d bytes%n", info.get("gguf_version"), (Long) info.get("file_size"));
        out.printf("architecture:  %s%n", info.get("architecture"));
        if (info.get("name") != null) out.printf("name:          %s%n", info.get("name"));
        @SuppressWarnings("unchecked") Map<String, Object> hp = (Map<String, Object>) info.get("hyperparameters");
        if (!hp.isEmpty()) {
            out.println("hyperparameters:");
            hp.forEach((k, v) -> out.printf("  %-36s %s%n", k, v));
        }
        @SuppressWarnings("unchecked") Map<String, Object> tok = (Map<String, Object>) info.get("tokenizer");
        out.println("tokenizer:");
        tok.forEach((k, v) -> { if (v != null) out.printf("  %-36s %s%n", k, v); });
        out.printf("tensors:       %d, %,d parameters, %,d bytes%n", info.get("tensor_count"), (Long) info.get("parameters"), (Long) info.get("tensor_bytes"));
        @SuppressWarnings("unchecked") Map<String, Long> byType = (Map<String, Long>) info.get("tensors_by_type");
        byType.forEach((k, v) -> out.printf("  %-36s %d%s%n", k, v, GgmlType.valueOf(k).hasKernels() ? "" : "  (not supported yet)"));
    }
}
