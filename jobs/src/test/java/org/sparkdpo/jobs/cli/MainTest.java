package org.sparkdpo.jobs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.FileNotFoundException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Option;

class MainTest {
    /** A command whose behaviour is chosen by its --outcome option. */
    @CommandLine.Command(name = "probe", description = "Test command.")
    static final class Probe implements Command {
        @Option(names = "--outcome", defaultValue = "ok", description = "What to do.")
        @Check.OneOf({"ok", "fail", "refuse", "late-usage"}) String outcome;

        @Option(names = "--count", defaultValue = "3", description = "How many.")
        @Check.Positive int count;

        int seenCount;

        public Integer call() throws Exception {
            seenCount = count;
            switch (outcome) {
                case "fail":
                    throw new IllegalStateException("cannot write output",
                            new RuntimeException(new FileNotFoundException("/out/x (Permission denied)")));
                case "refuse":
                    throw new CommandException(ExitCodes.REFUSED, "fingerprint mismatch");
                case "late-usage":
                    throw new UsageException("--count: too many for this input");
                default:
                    return ExitCodes.OK;
            }
        }
    }

    final Probe probe = new Probe();
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Main.run(List.of(probe, new ShowCommand()), args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void helpListsCommands() {
        assertEquals(ExitCodes.OK, run("--help"));
        assertTrue(out().startsWith("Usage: spark-dpo <command> [options]\n\nCommands:\n  probe  Test command.\n  show   Print"), out());
        assertEquals("", err());
    }

    @Test
    void noArgumentsListsCommandsAsUsageError() {
        assertEquals(ExitCodes.USAGE, run());
        assertTrue(err().contains("  show   "), err());
        assertEquals("", out());
    }

    @Test
    void unknownCommandSuggests() {
        assertEquals(ExitCodes.USAGE, run("shwo", "x"));
        assertEquals("error: unknown command 'shwo' (did you mean 'show'?)\nRun 'spark-dpo --help' to list commands.\n", err());
        assertEquals("", out());
    }

    @Test
    void commandHelpPrintsOptionsAndCommonOnes() {
        assertEquals(ExitCodes.OK, run("probe", "--help"));
        String help = out();
        assertTrue(help.startsWith("Usage: spark-dpo probe [options]\n\nTest command.\n"), help);
        assertTrue(help.contains("--outcome ok|fail|refuse|late-usage"), help);
        assertTrue(help.contains("--count INT"), help);
        assertTrue(help.contains("--verbose"), help);
        assertTrue(help.contains("--config FILE"), help);
        assertEquals(ExitCodes.OK, run("help", "show"));
        assertTrue(out().contains("Usage: spark-dpo show PATH [options]"), out());
    }

    @Test
    void optionErrorsAreUsageErrors() {
        assertEquals(ExitCodes.USAGE, run("probe", "--count", "0", "--cont", "1"));
        assertEquals("""
                error: unknown option --cont (did you mean --count?)
                error: --count: must be > 0, got 0
                Run 'spark-dpo probe --help' for usage.
                """, err());
    }

    @Test
    void successRunsTheCommandWithParsedOptions() {
        assertEquals(ExitCodes.OK, run("probe", "--count=5"));
        assertEquals(5, probe.seenCount);
        assertEquals("", err());
    }

    @Test
    void failureIsOneLineWithTheCauseChainAndNoStackTrace() {
        assertEquals(ExitCodes.FAILURE, run("probe", "--outcome", "fail"));
        assertEquals("error: cannot write output: /out/x (Permission denied)\n", err());
    }

    @Test
    void verboseFailurePrintsTheStackTrace() {
        assertEquals(ExitCodes.FAILURE, run("probe", "--outcome", "fail", "--verbose"));
        assertTrue(err().contains("error: cannot write output: /out/x (Permission denied)\n"), err());
        assertTrue(err().contains("\tat org.sparkdpo.jobs.cli.MainTest$Probe.call"), err());
        assertTrue(err().contains("Caused by: java.io.FileNotFoundException"), err());
    }

    @Test
    void commandExceptionChoosesTheExitCode() {
        assertEquals(ExitCodes.REFUSED, run("probe", "--outcome", "refuse"));
        assertEquals("error: fingerprint mismatch\n", err());
    }

    @Test
    void optionsExceptionFromRunIsAUsageError() {
        assertEquals(ExitCodes.USAGE, run("probe", "--outcome", "late-usage"));
        assertEquals("error: --count: too many for this input\nRun 'spark-dpo probe --help' for usage.\n", err());
    }

    @Test
    void describeSkipsWrappersAndRepeats() {
        assertEquals("NullPointerException", Main.describe(new NullPointerException()));
        assertEquals("a: b", Main.describe(new RuntimeException("a", new RuntimeException("b\nsecond line"))));
        assertEquals("disk full", Main.describe(new RuntimeException(new java.io.IOException("disk full"))));
        assertEquals("read failed: x", Main.describe(new RuntimeException("read failed: x", new RuntimeException("x"))));
    }

    @Test
    void registryHasShow() {
        assertTrue(Commands.find(Commands.all(), "show").isPresent());
        assertEquals(Commands.all().size(), Commands.all().stream().map(Command::name).distinct().count());
    }
}
