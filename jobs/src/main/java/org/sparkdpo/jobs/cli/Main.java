package org.sparkdpo.jobs.cli;

import org.sparkdpo.common.JobFailedException;
import org.sparkdpo.common.JobLockedException;
import org.sparkdpo.common.TaskOutOfMemoryException;
import org.sparkdpo.common.JobRefusedException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import org.sparkdpo.common.spark.LogLevels;
import picocli.CommandLine;

/**
 * The entry point of every job, locally ({@code submit/local.sh}) and under spark-submit:
 * {@code Main <command> [options]}. User errors print one line each and exit {@link ExitCodes#USAGE}; job failures
 * print one "error: ..." line with the cause chain and exit {@link ExitCodes#FAILURE} (full stack trace with
 * {@code --verbose} or {@code SPARK_DPO_DEBUG=1}). Nothing but a command's own output goes to stdout.
 */
public final class Main {
    /** System property naming the program in usage text; the launcher sets it to {@code submit/local.sh}. */
    public static final String PROGRAM_PROPERTY = "sparkdpo.prog";
    /** Environment variable that turns on stack traces, like {@code --verbose}. */
    public static final String DEBUG_ENV = "SPARK_DPO_DEBUG";

    private Main() {}

    public static void main(String[] args) {
        org.sparkdpo.model.exec.NativeEnvironment.apply();          // before anything loads ND4J's native libraries
        int code = run(args);
        try {
            // a clean stop before exit: the cluster manager sees the application finish (and does not relaunch the
            // executors the exit would kill), and the event log is closed for the history server
            org.sparkdpo.common.spark.SparkSessions.stop();
        } catch (Throwable ignored) {
            // exiting anyway
        }
        System.exit(code);
    }

    /** Runs {@code args} against {@link Commands#all()} with the process's stdout and stderr. */
    public static int run(String[] args) {
        return run(Commands.all(), args, System.out, System.err);
    }

    /** Runs {@code args} against {@code commands}: the testable core of {@link #main}. */
    static int run(List<Command> commands, String[] args, PrintStream out, PrintStream err) {
        String prog = System.getProperty(PROGRAM_PROPERTY, "spark-dpo");
        if (args.length == 0) {
            err.print(listing(prog, commands));
            return ExitCodes.USAGE;
        }
        String first = args[0];
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        if (first.equals("help") && rest.length > 0) {
            first = rest[0];
            rest = new String[] {"--help"};
        } else if (first.equals("--help") || first.equals("-h") || first.equals("help")) {
            out.print(listing(prog, commands));
            return ExitCodes.OK;
        }
        Command command = Commands.find(commands, first).orElse(null);
        if (command == null) {
            List<String> names = commands.stream().map(Command::name).toList();
            String hint = first.startsWith("-") ? " (the command comes first: " + prog + " <command> [options])"
                    : Suggestions.closest(first, names).map(s -> " (did you mean '" + s + "'?)").orElse("");
            err.println("error: unknown command '" + first + "'" + hint);
            err.println("Run '" + prog + " --help' to list commands.");
            return ExitCodes.USAGE;
        }

        String usage = prog + " " + command.name();
        CommandLine cl = Cli.commandLine(command, usage);
        try {
            if (Cli.parse(cl, rest)) {
                cl.usage(out);
                return ExitCodes.OK;
            }
        } catch (UsageException e) {
            return usageError(e, usage, err);
        }

        boolean verbose = Cli.common(cl).verbose() || "1".equals(System.getenv(DEBUG_ENV));
        LogLevels.setVerbose(verbose);
        if (verbose) err.println(command.name() + " options: " + Cli.effectiveOptions(cl));
        try {
            return command.call();
        } catch (UsageException e) {
            return usageError(e, usage, err);
        } catch (Throwable t) {
            return failure(t, verbose, err);
        }
    }

    /** The one {@code error:} line and exit code of a command that threw (the stack trace only when verbose). */
    private static int failure(Throwable t, boolean verbose, PrintStream err) {
        int code;
        String line;
        if (t instanceof CommandException e) {
            line = describe(e);
            code = e.exitCode();
        } else if (t instanceof JobLockedException) {
            line = "locked: " + t.getMessage();
            code = ExitCodes.LOCKED;
        } else if (t instanceof JobRefusedException) {
            line = "refused: " + t.getMessage();
            code = ExitCodes.REFUSED;
        } else if (t instanceof JobFailedException) {
            // the message names the file, row or option; the cause chain (Spark's task failure) only adds noise
            line = outOfMemory(t).orElse(t.getMessage());
            code = ExitCodes.FAILURE;
        } else {
            line = outOfMemory(t).orElse(describe(t));
            code = ExitCodes.FAILURE;
        }
        err.println("error: " + line);
        if (verbose) t.printStackTrace(err);
        return code;
    }

    /**
     * One line from a cause chain: each level's message (first line only), skipping levels that only wrap their
     * cause ("java.io.IOException: x") or repeat what was already said; a message-less level shows its class.
     */
    static String describe(Throwable t) {
        List<String> parts = new ArrayList<>();
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Throwable c = t; c != null && seen.add(c); c = c.getCause()) {
            String m = c.getMessage();
            if (c.getCause() != null && m != null && m.equals(c.getCause().toString())) continue;
            if (m == null || m.isBlank()) {
                if (c.getCause() != null) continue;
                m = c.getClass().getSimpleName();
            }
            m = m.strip();
            int nl = m.indexOf('\n');
            if (nl >= 0) m = m.substring(0, nl).strip();
            if (!parts.isEmpty() && parts.get(parts.size() - 1).contains(m)) continue;
            parts.add(m);
        }
        return parts.isEmpty() ? t.getClass().getSimpleName() : String.join(": ", parts);
    }

    /**
     * The one line for a failure caused by memory running out anywhere in the cause chain: a task's
     * {@link TaskOutOfMemoryException} (its message says what ran out and which option to lower; Spark may carry it
     * only as text), or an {@link OutOfMemoryError} on the driver.
     */
    static java.util.Optional<String> outOfMemory(Throwable t) {
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        String driverOom = null;
        for (Throwable c = t; c != null && seen.add(c); c = c.getCause()) {
            String m = String.valueOf(c.getMessage());
            int i = m.indexOf(TaskOutOfMemoryException.PREFIX + " in ");
            if (i >= 0) {
                int nl = m.indexOf('\n', i);
                return java.util.Optional.of(m.substring(i, nl < 0 ? m.length() : nl).strip());
            }
            if (c instanceof OutOfMemoryError && driverOom == null) driverOom = m;
            if (m.contains("exited with code 52") || m.contains("exit code: 52") || m.contains("exceeding memory limits")
                    || m.contains("exceeding physical memory") || m.contains("OOMKilled")) {
                return java.util.Optional.of(TaskOutOfMemoryException.PREFIX + " in an executor (its JVM or container "
                        + "was ended for memory: " + (m.contains("52") ? "java.lang.OutOfMemoryError" : "over its memory limit")
                        + "): raise spark.executor.memoryOverhead (ND4J's off-heap memory counts there) or "
                        + "spark.executor.memory, or lower the batch options (--batch-size, --batch-tokens; train: raise "
                        + "--gradient-accumulation)");
            }
        }
        if (driverOom == null) return java.util.Optional.empty();
        return java.util.Optional.of(TaskOutOfMemoryException.PREFIX + " on the driver (" + driverOom + "): raise "
                + "spark.driver.memory (submit/local.sh: SPARK_DPO_HEAP), or lower the batch options (--batch-size, "
                + "--batch-tokens)");
    }

    private static int usageError(UsageException e, String usage, PrintStream err) {
        for (String line : e.errors()) err.println("error: " + line);
        err.println("Run '" + usage + " --help' for usage.");
        return ExitCodes.USAGE;
    }

    static String listing(String prog, List<Command> commands) {
        int width = commands.stream().mapToInt(c -> c.name().length()).max().orElse(0) + 2;
        StringBuilder b = new StringBuilder();
        b.append("Usage: ").append(prog).append(" <command> [options]\n\nCommands:\n");
        for (Command c : commands) {
            b.append("  ").append(c.name()).append(" ".repeat(width - c.name().length())).append(c.summary());
            if (!c.aliases().isEmpty()) b.append(" (alias: ").append(String.join(", ", c.aliases())).append(')');
            b.append('\n');
        }
        b.append("\nRun '").append(prog).append(" <command> --help' for a command's options.\n")
                .append("Every command also takes --config FILE (YAML or JSON; see conf/README.md), --verbose and --help.\n")
                .append("Exit codes: 0 ok, 1 failure, 2 usage error, 3 refused, 4 locked.\n");
        return b.toString();
    }
}
