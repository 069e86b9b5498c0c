package osprey.cli;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The {@code -m FILE} option: a GGUF file, or the embedded default model when absent. */
final class ModelOption {
    @Option(names = {"-m", "--model"}, paramLabel = "FILE",
            description = "GGUF model file (default: the embedded stories260K model).")
    Path model;
}
