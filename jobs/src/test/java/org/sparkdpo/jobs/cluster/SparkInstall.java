package org.sparkdpo.jobs.cluster;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A stand-in for a Spark 3.5.5 installation, made from the jars this build resolved: {@code SPARK_HOME} with a
 * {@code RELEASE} file and {@code jars/} (symbolic links), which is all {@code local-cluster[N,cores,MB]} needs to
 * start real executor JVMs. {@code jars/} holds Spark, Hadoop and their libraries, never the project nor DL4J/ND4J,
 * DJL, jinjava or picocli: those must come from the job jar. As in Spark's distribution (Guava 14), an old Guava
 * (16, without {@code ImmutableMap.toImmutableMap}) sits first on the executors' class path, so jinjava only works
 * through the job jar's relocated copy. Jobs are submitted as {@code bin/spark-submit} does: a JVM running
 * {@code org.apache.spark.deploy.SparkSubmit} with {@code SPARK_HOME/jars/*} as class path.
 */
final class SparkInstall {
    /** Maven groups (as repository path segments) that a Spark installation does not have. */
    private static final List<String> NOT_SPARK = List.of("/org/sparkdpo/", "/org/nd4j/", "/org/deeplearning4j/",
            "/org/datavec/", "/org/bytedeco/", "/ai/djl/", "/com/hubspot/", "/info/picocli/", "/com/google/guava/guava/",
            "/org/junit/", "/org/opentest4j/", "/org/apiguardian/", "/org/apache/maven/", "/net/ericaro/",
            "/com/github/oshi/", "/ch/obermuhlner/");
    static final List<String> OPENS = List.of("--add-opens=java.base/java.lang=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED", "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
            "--add-opens=java.base/java.io=ALL-UNNAMED", "--add-opens=java.base/java.net=ALL-UNNAMED",
            "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/java.util=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
            "--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.cs=ALL-UNNAMED", "--add-opens=java.base/sun.security.action=ALL-UNNAMED",
            "--add-opens=java.base/sun.util.calendar=ALL-UNNAMED", "-Djdk.reflect.useDirectMethodHandle=false");

    final Path home;

    private SparkInstall(Path home) {
        this.home = home;
    }

    /** The test JVM's class path (surefire/failsafe pass it in a property; the JVM's own is a manifest-only jar). */
    static List<String> testClassPath() {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        return List.of(cp.split(File.pathSeparator));
    }

    static SparkInstall create(Path home) throws IOException {
        Path jars = home.resolve("jars");
        if (Files.exists(jars)) {
            try (Stream<Path> s = Files.list(jars)) {
                for (Path p : s.toList()) Files.delete(p);
            }
        }
        Files.createDirectories(jars);
        Files.writeString(home.resolve("RELEASE"), "Spark 3.5.5 (test stand-in made of this build's Maven jars)\n");
        String guava = null;
        for (String entry : testClassPath()) {
            if (!entry.endsWith(".jar")) continue;
            String unix = entry.replace(File.separatorChar, '/');
            if (unix.contains("/com/google/guava/guava/")) guava = unix;
            if (NOT_SPARK.stream().anyMatch(unix::contains) || unix.contains("/target/")) continue;
            Path link = jars.resolve(Path.of(entry).getFileName());
            if (!Files.exists(link)) Files.createSymbolicLink(link, Path.of(entry));
        }
        if (guava != null) {   // Spark ships Guava 14; 16 is the oldest in this build's repository, equally without toImmutableMap
            Path old = Path.of(guava.substring(0, guava.indexOf("/com/google/guava/guava/")) + "/com/google/guava/guava/16.0.1/guava-16.0.1.jar");
            if (Files.exists(old)) Files.createSymbolicLink(jars.resolve("guava-16.0.1.jar"), old);
        }
        writeScripts(home);
        return new SparkInstall(home);
    }

    /**
     * {@code bin/spark-submit} and {@code bin/spark-class} as in Spark 3.5's distribution (the launcher library in
     * jars/ builds the driver's java command: memory, extraJavaOptions, Java 17 module options).
     */
    private static void writeScripts(Path home) throws IOException {
        Path bin = home.resolve("bin");
        Files.createDirectories(bin);
        Path submit = bin.resolve("spark-submit");
        Files.writeString(submit, "#!/usr/bin/env bash\nexec \"$(dirname \"$0\")\"/spark-class org.apache.spark.deploy.SparkSubmit \"$@\"\n");
        Path sparkClass = bin.resolve("spark-class");
        Files.writeString(sparkClass, String.join("\n",
                "#!/usr/bin/env bash",
                "# Spark 3.5's bin/spark-class, reduced to what a RELEASE installation needs",
                "export SPARK_HOME=\"${SPARK_HOME:-$(cd \"$(dirname \"$0\")\"/..; pwd)}\"",
                "RUNNER=\"${JAVA_HOME:+$JAVA_HOME/bin/}java\"",
                "build_command() {",
                "  \"$RUNNER\" -Xmx128m $SPARK_LAUNCHER_OPTS -cp \"$SPARK_HOME/jars/*\" org.apache.spark.launcher.Main \"$@\"",
                "  printf \"%d\\0\" $?",
                "}",
                "set +o posix",
                "CMD=()",
                "DELIM=$'\\n'",
                "CMD_START_FLAG=false",
                "while IFS= read -d \"$DELIM\" -r _ARG; do",
                "  ARG=${_ARG//$'\\r'}",
                "  if [ \"$CMD_START_FLAG\" == true ]; then CMD+=(\"$ARG\")",
                "  elif [ \"$ARG\" == $'\\0' ]; then DELIM=''; CMD_START_FLAG=true",
                "  elif [ \"$ARG\" != \"\" ]; then echo \"$ARG\"; fi",
                "done < <(build_command \"$@\")",
                "COUNT=${#CMD[@]}",
                "LAST=$((COUNT - 1))",
                "LAUNCHER_EXIT_CODE=${CMD[$LAST]}",
                "if ! [[ $LAUNCHER_EXIT_CODE =~ ^[0-9]+$ ]]; then echo \"${CMD[@]}\" | head -n-1 1>&2; exit 1; fi",
                "if [ $LAUNCHER_EXIT_CODE != 0 ]; then exit $LAUNCHER_EXIT_CODE; fi",
                "CMD=(\"${CMD[@]:0:$LAST}\")",
                "exec \"${CMD[@]}\"",
                ""));
        for (Path p : List.of(submit, sparkClass)) {
            Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    /** The environment bin/spark-submit would give SparkSubmit. */
    Map<String, String> env() {
        return Map.of("SPARK_HOME", home.toString(), "SPARK_SCALA_VERSION", "2.12", "SPARK_LOCAL_IP", "127.0.0.1");
    }

    /** Folders of the applications that ran on local-cluster workers ({@code SPARK_HOME/work/app-*}). */
    List<Path> appDirs() throws IOException {
        Path work = home.resolve("work");
        if (!Files.isDirectory(work)) return List.of();
        try (Stream<Path> s = Files.list(work)) {
            return s.filter(p -> p.getFileName().toString().startsWith("app-")).sorted().toList();
        }
    }

    /** A started child process whose stdout and stderr go to files. */
    record Child(Process process, Path stdout, Path stderr) {
        String err() throws IOException {
            return Files.readString(stderr, StandardCharsets.UTF_8);
        }

        String out() throws IOException {
            return Files.readString(stdout, StandardCharsets.UTF_8);
        }

        int await(Duration timeout) throws Exception {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                throw new AssertionError("timed out after " + timeout + "; stderr tail:\n" + tail(err(), 3000));
            }
            return process.exitValue();
        }
    }

    static Child start(List<String> command, Map<String, String> env, Path logs, String name) throws IOException {
        Files.createDirectories(logs);
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().putAll(env);
        pb.redirectOutput(logs.resolve(name + ".out").toFile());
        pb.redirectError(logs.resolve(name + ".err").toFile());
        return new Child(pb.start(), logs.resolve(name + ".out"), logs.resolve(name + ".err"));
    }

    static String tail(String s, int n) {
        return s.length() <= n ? s : s.substring(s.length() - n);
    }
}
