package osprey.cli;

import osprey.models.Model;
import osprey.models.Tokenizers;
import osprey.models.gguf.GgufFile;
import osprey.tokenizer.SentencePieceTokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.util.StringJoiner;
import java.util.concurrent.Callable;

/** {@code osprey tokenize}: print the token ids of a text. Works on vocab-only GGUF files (no tensors needed). */
@Command(name = "tokenize", description = "Print the token ids of TEXT, space-separated, on one line.")
final class TokenizeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOption model;

    @Option(names = "--bos", description = "Start with the BOS token.")
    boolean bos;

    @Option(names = "--no-parse-special", description = "Treat text like <s> as plain text, not as special tokens.")
    boolean noParseSpecial;

    @Parameters(index = "0", paramLabel = "TEXT", description = "The text to tokenize.")
    String text;

    @Override
    public Integer call() {
        try (GgufFile gguf = model.model == null ? Model.openDefault() : GgufFile.open(model.model)) {
            SentencePieceTokenizer tokenizer = Tokenizers.load(gguf);
            int[] ids = tokenizer.encode(text, bos, !noParseSpecial);
            StringJoiner line = new StringJoiner(" ");
            for (int id : ids) line.add(Integer.toString(id));
            spec.commandLine().getOut().println(line);
        }
        return 0;
    }
}
