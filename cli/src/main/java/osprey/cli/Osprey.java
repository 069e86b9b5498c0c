package osprey.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/**
 * The {@code osprey} command. Subcommands are thin: they parse options and call the kernel or the models.
 * Errors print one line on stderr and exit non-zero; {@code --verbose} adds the stack trace.
 */
@Command(name = "osprey", mixinStandardHelpOptions = true, version = "osprey 0.1.0",
        description = "A local LLM runtime in Java: runs GGUF models on the CPU with the Vector API.",
        subcommands = {RunCommand.class, TokenizeCommand.class, LogitsCommand.class, InspectCommand.class, SynthCommand.class, BenchCommand.class,
                CommandLine.HelpCommand.class})
public final class Osprey {

    /** Options every subcommand shares. */
    public static final class Common {
        @Option(names = "--verbose", description = "Print stack traces of errors.", scope = CommandLine.ScopeType.INHERIT)
        boolean verbose;
    }

    @CommandLine.Mixin
    Common common;

    public static void main(String[] args) {
        // UTF-8 whatever the platform encoding: generated text is UTF-8, and a POSIX locale would turn it into '?'.
        var out = new PrintWriter(new OutputStreamWriter(new FileOutputStream(FileDescriptor.out), StandardCharsets.UTF_8), false);
        var err = new PrintWriter(new OutputStreamWriter(new FileOutputStream(FileDescriptor.err), StandardCharsets.UTF_8), true);
        System.exit(run(args, out, err));
    }

    /** Runs the command line and returns its exit code (used by tests, which capture the streams). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        boolean verbose = java.util.Arrays.asList(args).contains("--verbose");
        CommandLine cl = new CommandLine(new Osprey());
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            if (ex instanceof CommandLine.ParameterException pe) return usageError(err, pe); // a bad option value
            err.println("osprey: error: " + oneLine(ex));
            if (verbose) ex.printStackTrace(err);
            err.flush();
            return 1;
        });
        cl.setParameterExceptionHandler((ex, args2) -> usageError(err, ex));
        int code;
        try {
            code = cl.execute(args);
        } catch (Throwable e) { // Errors (out of memory, stack overflow) pass picocli's handler: same one line
            err.println("osprey: error: " + oneLine(e));
            if (verbose) e.printStackTrace(err);
            code = 1;
        }
        out.flush();
        err.flush();
        return code;
    }

    /** A usage error: the message, where to find help, and exit code 2. */
    private static int usageError(PrintWriter err, CommandLine.ParameterException ex) {
        String name = ex.getCommandLine().getCommandName();
        err.println("osprey: " + ex.getMessage());
        err.println("Try 'osprey " + (name.equals("osprey") ? "" : name + " ") + "--help'.");
        err.flush();
        return 2;
    }

    private static String oneLine(Throwable ex) {
        String m = ex.getMessage();
        if (m == null || m.isBlank()) m = ex.getClass().getSimpleName();
        if (ex instanceof java.io.UncheckedIOException || ex instanceof java.io.IOException) m = ex.getClass().getSimpleName() + ": " + m;
        if (ex instanceof OutOfMemoryError) m = "out of memory (" + m + "); give the JVM more with OSPREY_JAVA_OPTS=-Xmx..., or use a smaller context";
        if (ex instanceof StackOverflowError) m = "stack overflow";
        return m.replace('\n', ' ');
    }
}
