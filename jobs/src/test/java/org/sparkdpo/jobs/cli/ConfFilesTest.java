package org.sparkdpo.jobs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Every example in {@code conf/} is a valid {@code --config} file of the command it is named after
 * ({@code train.yaml}, or {@code train-small.yaml}, belongs to {@code train}): no key that the command does not know,
 * no value of the wrong type, out of range or not among the choices. Options the example leaves to the command line
 * (required inputs and outputs) may be missing.
 */
class ConfFilesTest {
    static Path confDir() {
        for (Path d = Path.of(System.getProperty("user.dir")).toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("conf/README.md"))) return d.resolve("conf");
        }
        return fail("no conf/ folder above " + System.getProperty("user.dir"));
    }

    static List<Path> examples() throws IOException {
        try (Stream<Path> files = Files.list(confDir())) {
            return files.filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).matches(".*\\.(ya?ml|json)"))
                    .sorted().toList();
        }
    }

    /** The command a conf file belongs to: the longest command name its file name starts with. */
    static Command commandFor(Path file) {
        String name = file.getFileName().toString();
        Command best = null;
        for (Command c : Commands.all()) {
            boolean matches = name.startsWith(c.name() + ".") || name.startsWith(c.name() + "-");
            if (matches && (best == null || c.name().length() > best.name().length())) best = c;
        }
        return best;
    }

    @Test
    void everyConfFileIsValidForItsCommand() throws IOException {
        List<Path> files = examples();
        assertFalse(files.isEmpty(), "no YAML/JSON files in " + confDir());
        List<String> problems = new ArrayList<>();
        for (Path file : files) {
            Command command = commandFor(file);
            if (command == null) {
                problems.add(file.getFileName() + ": no command is called like this file; name it <command>.yaml or <command>-*.yaml");
                continue;
            }
            CommandLine cl = Cli.commandLine(command, "spark-dpo " + command.name());
            try {
                Cli.parse(cl, new String[] {"--config", file.toString()});
            } catch (UsageException e) {
                for (String line : e.errors()) if (!line.startsWith("missing required ")) problems.add(line);
            }
        }
        assertEquals(List.of(), problems);
    }

    @Test
    void theCheckCatchesAnUnknownKey(@org.junit.jupiter.api.io.TempDir Path tmp) throws IOException {
        Path bad = Files.writeString(tmp.resolve("train.yaml"), "lr: 1e-5\nlearning-rate: 1e-5\n");
        Command command = commandFor(bad);
        assertNotNull(command);
        assertEquals("train", command.name());
        UsageException e = org.junit.jupiter.api.Assertions.assertThrows(UsageException.class,
                () -> Cli.parse(Cli.commandLine(command, "spark-dpo train"), new String[] {"--config", bad.toString()}));
        assertEquals(bad + ": unknown key 'learning-rate'", e.errors().get(0));
        assertEquals("precompute-ref", commandFor(Path.of("precompute-ref.yaml")).name());
    }
}
