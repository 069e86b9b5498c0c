package osprey.models;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The project's read-only test data ({@code ../shared}: real models, llama.cpp reference logits). Tests
 * that need it skip, with the reason in the report, when it is absent.
 */
public final class SharedData {
    private SharedData() {}

    public static Path root() {
        String p = System.getProperty("osprey.shared");
        return Path.of(p != null ? p : "../shared").toAbsolutePath().normalize();
    }

    /** The file at {@code relative} under ../shared; skips the calling test if it is missing. */
    public static Path require(String relative) {
        Path p = root().resolve(relative);
        Assumptions.assumeTrue(Files.exists(p), "test data missing, test skipped: " + p);
        return p;
    }

    public static Path stories260K() {
        return require("models/stories260K/stories260K.gguf");
    }
}
