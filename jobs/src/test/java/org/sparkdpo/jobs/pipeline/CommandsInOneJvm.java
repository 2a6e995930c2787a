package org.sparkdpo.jobs.pipeline;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.sparkdpo.jobs.cli.Main;

/**
 * Test helper: runs commands through {@link Main} in a JVM of its own, e.g. {@code prepare ... --then precompute-ref
 * ...}, and exits with the first non-zero exit code. {@link #start} forks it with this JVM's class path and module
 * openings, in a working directory of the test's choosing.
 */
public final class CommandsInOneJvm {
    public static final String THEN = "--then";

    private CommandsInOneJvm() {}

    public static void main(String[] args) {
        List<String> command = new ArrayList<>();
        for (String a : args) {
            if (a.equals(THEN)) {
                run(command);
                command.clear();
            } else {
                command.add(a);
            }
        }
        run(command);
        System.exit(0);
    }

    private static void run(List<String> command) {
        int rc = Main.run(command.toArray(String[]::new));
        if (rc != 0) System.exit(rc);
    }

    /** Starts a JVM in {@code workDir} running {@code args}; its output goes to {@code log}. */
    public static Process start(Path workDir, Path log, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-opens") || a.startsWith("-Djdk.") || a.startsWith("-Dorg.")) cmd.add(a);
        }
        cmd.addAll(List.of("-Xmx1g", "-Dspark.master=local[2]", "-Dspark.driver.host=127.0.0.1",
                "-Dspark.driver.bindAddress=127.0.0.1", "-cp", System.getProperty("java.class.path"),
                CommandsInOneJvm.class.getName()));
        cmd.addAll(Arrays.asList(args));
        return new ProcessBuilder(cmd).directory(workDir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
    }
}
