package osprey.models;

import osprey.engine.DenseKvCache;
import osprey.engine.KvCache;
import osprey.engine.ThreadPool;
import osprey.models.gguf.GgufFile;
import osprey.models.gguf.GgufFormatException;
import osprey.models.gguf.TensorInfo;
import osprey.tokenizer.SentencePieceTokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * A model ready to run: its GGUF file, hyperparameters, weights, tokenizer and forward pass.
 * Loading reads the header only; the weights stay in the mapped file.
 */
public final class Model implements AutoCloseable {
    /** The model used when none is given: Karpathy's stories260K (MIT), shipped inside the jar. */
    public static final String DEFAULT_MODEL_NAME = "stories260K.gguf (embedded default)";
    private static final String DEFAULT_MODEL_RESOURCE = "/osprey/models/stories260K.gguf";

    private final GgufFile gguf;
    private final ModelConfig config;
    private final ModelWeights weights;
    private SentencePieceTokenizer tokenizer; // loaded on first use: benchmarks and logits need none
    private final Transformer transformer;

    private Model(GgufFile gguf, ThreadPool pool) {
        this.gguf = gguf;
        TensorInfo embd = gguf.tensors().get("token_embd.weight");
        if (embd == null || embd.shape().length != 2) {
            throw new GgufFormatException(gguf.path(), -1, "tensor 'token_embd.weight' is missing or not 2-D; is this a model file (not a vocab-only GGUF)?");
        }
        if (embd.shape()[1] > Integer.MAX_VALUE) {
            throw new GgufFormatException(gguf.path(), -1, "token_embd.weight has " + embd.shape()[1] + " rows; a vocabulary that large is not supported");
        }
        this.config = ModelConfig.from(gguf, (int) embd.shape()[1]);
        this.weights = ModelWeights.load(gguf, config);
        this.transformer = new Transformer(config, weights, pool);
    }

    /** Loads the GGUF model at {@code path}, or the embedded default model when {@code path} is null. */
    public static Model load(Path path, ThreadPool pool) {
        GgufFile gguf = path == null ? openDefault() : GgufFile.open(path);
        try {
            return new Model(gguf, pool);
        } catch (RuntimeException e) {
            gguf.close();
            throw e;
        }
    }

    /** The embedded default model's GGUF image, read from the classpath (1.2 MB, kept on the heap). */
    public static GgufFile openDefault() {
        try (InputStream in = Model.class.getResourceAsStream(DEFAULT_MODEL_RESOURCE)) {
            if (in == null) throw new IllegalStateException("the embedded default model " + DEFAULT_MODEL_RESOURCE + " is missing from the jar");
            return GgufFile.fromSegment(Path.of(DEFAULT_MODEL_NAME), MemorySegment.ofArray(in.readAllBytes()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the embedded default model", e);
        }
    }

    /**
     * A KV cache for one sequence of up to {@code contextLength} tokens (the model's own when <= 0). Refuses,
     * with the sizes, a cache larger than the memory the JVM can still give, rather than failing mid-way.
     */
    public KvCache newKvCache(int contextLength) {
        int ctx = contextLength > 0 ? contextLength : config.contextLength();
        long bytes = 2L * config.nLayers() * ctx * config.kvDim() * Float.BYTES;
        Runtime rt = Runtime.getRuntime();
        long available = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        if (bytes > available) {
            throw new IllegalArgumentException(String.format("a KV cache of %,d tokens needs %.1f GiB (%d layers x %d x %d floats x 2), "
                    + "more than the %.1f GiB of memory left; use a smaller context (-c)", ctx, bytes / (double) (1L << 30),
                    config.nLayers(), ctx, config.kvDim(), available / (double) (1L << 30)));
        }
        return new DenseKvCache(config.nLayers(), ctx, config.nKvHeads(), config.headDim());
    }

    public GgufFile gguf() {
        return gguf;
    }

    public ModelConfig config() {
        return config;
    }

    public ModelWeights weights() {
        return weights;
    }

    /**
     * The model's tokenizer, read from the GGUF metadata on first use. Throws a clear error when the file's
     * tokenizer kind is not supported yet: running token ids (benchmarks, {@code osprey logits}) needs none.
     */
    public synchronized SentencePieceTokenizer tokenizer() {
        if (tokenizer == null) {
            SentencePieceTokenizer t = Tokenizers.load(gguf);
            if (t.vocabulary().size() != config.vocabSize()) {
                throw new GgufFormatException(gguf.path(), -1, "the tokenizer has " + t.vocabulary().size()
                        + " tokens but token_embd.weight has " + config.vocabSize() + " rows");
            }
            tokenizer = t;
        }
        return tokenizer;
    }

    public Transformer transformer() {
        return transformer;
    }

    @Override
    public void close() {
        gguf.close();
    }
}
