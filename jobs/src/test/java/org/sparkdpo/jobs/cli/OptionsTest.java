package org.sparkdpo.jobs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The option layer every command shares ({@link Cli}): sources and their precedence, conversions, checks, help. */
class OptionsTest {
    /** One option of each kind, with defaults and rules. */
    @CommandLine.Command(name = "demo", description = "Does a demo.")
    static final class Sample implements Command {
        @Parameters(index = "0", arity = "0..1", paramLabel = "INPUT", description = "Input data.")
        @Check.Required String inputArgument;

        @Option(names = "--input", paramLabel = "PATH", hidden = true, description = "The INPUT argument.")
        String inputOption;

        @Option(names = "--max-length", defaultValue = "512", description = "Maximum tokens.")
        @Check.Positive int maxLength;

        @Option(names = "--seed", defaultValue = "42", description = "Random seed.")
        long seed;

        @Option(names = "--lr", defaultValue = "1e-4", description = "Learning rate.")
        @Check.Range(min = 0, max = 1, maxOpen = true) double lr;

        @Option(names = "--overwrite", negatable = true, arity = "0..1", fallbackValue = "true", description = "Replace existing output.")
        boolean overwrite;

        @Option(names = "--shuffle", negatable = true, arity = "0..1", fallbackValue = "true", defaultValue = "true",
                description = "Shuffle rows.")
        boolean shuffle;

        @Option(names = "--name", description = "Run name.")
        String name;

        @Option(names = "--columns", split = ",", defaultValue = "a,b", description = "Columns to keep.")
        List<String> columns;

        @Option(names = "--mode", defaultValue = "fast", description = "Speed.")
        @Check.OneOf({"fast", "very-slow"}) String mode;

        String input() {
            return inputArgument != null ? inputArgument : inputOption;
        }

        public Integer call() {
            return 0;
        }
    }

    /** A required option, no positional. */
    @CommandLine.Command(name = "needs-model", description = "Needs a model.")
    static final class NeedsModel implements Command {
        @Option(names = "--model", description = "Model.")
        @Check.Required String model;

        public Integer call() {
            return 0;
        }
    }

    @TempDir
    Path tmp;

    private static Sample parse(String... args) {
        return Cli.parse(new Sample(), (Object[]) args);
    }

    private static List<String> errors(String... args) {
        return assertThrows(UsageException.class, () -> parse(args)).errors();
    }

    private Path write(String fileName, String content) throws IOException {
        Path p = tmp.resolve(fileName);
        Files.writeString(p, content);
        return p;
    }

    @Test
    void defaultsApplyWhenNothingIsGiven() {
        Sample o = parse("data/in");
        assertEquals("data/in", o.input());
        assertEquals(512, o.maxLength);
        assertEquals(42L, o.seed);
        assertEquals(1e-4, o.lr);
        assertFalse(o.overwrite);
        assertTrue(o.shuffle);
        assertNull(o.name);
        assertEquals(List.of("a", "b"), o.columns);
        assertEquals("fast", o.mode);
    }

    @Test
    void commandLineFormsAndPositional() {
        Sample o = parse("--max-length", "128", "--lr=0.5", "in.parquet", "--overwrite", "--no-shuffle",
                "--name", "run 1", "--columns", "x, y,,z", "--mode", "Very-Slow", "--seed=-7");
        assertEquals("in.parquet", o.input());
        assertEquals(128, o.maxLength);
        assertEquals(0.5, o.lr);
        assertTrue(o.overwrite);
        assertFalse(o.shuffle);
        assertEquals("run 1", o.name);
        assertEquals(List.of("x", "y", "z"), o.columns);
        assertEquals("very-slow", o.mode);
        assertEquals(-7L, o.seed);
    }

    @Test
    void boolFlagsTakeExplicitValuesAndLastOneWins() {
        assertFalse(parse("in", "--overwrite=false").overwrite);
        assertTrue(parse("in", "--overwrite=yes").overwrite);
        assertTrue(parse("in", "--no-overwrite", "--overwrite").overwrite);
        assertFalse(parse("in", "--overwrite", "--no-overwrite").overwrite);
        assertEquals(3, parse("in", "--max-length", "2", "--max-length", "3").maxLength);
        assertEquals(List.of("c", "d"), parse("in", "--columns", "a,b", "--columns=c,d").columns);
    }

    @Test
    void positionalCanBeNamedAndDoubleDashEndsOptions() {
        assertEquals("x", parse("--input", "x").input());
        assertEquals("--weird", parse("--", "--weird").input());
    }

    @Test
    void yamlFileIsOverriddenByCommandLine() throws IOException {
        Path yaml = write("run.yaml", """
                max-length: 256
                lr: 0.01
                overwrite: true
                shuffle: false
                columns: [p, q]
                name: from-file
                input: file-input
                """);
        Sample o = parse("--config", yaml.toString(), "--lr", "0.02", "--shuffle");
        assertEquals(256, o.maxLength);
        assertEquals(0.02, o.lr);
        assertTrue(o.overwrite);
        assertTrue(o.shuffle, "--shuffle on the command line wins over shuffle: false in the file");
        assertEquals(List.of("p", "q"), o.columns);
        assertEquals("file-input", o.input());
        assertEquals("cli-input", parse("--config=" + yaml, "cli-input").input());
        assertFalse(parse("--config", yaml.toString(), "--no-overwrite").overwrite);
        assertEquals(List.of("c"), parse("--config", yaml.toString(), "--columns", "c").columns);
    }

    @Test
    void jsonFileWithCommaSeparatedListAndLaterFilesWin() throws IOException {
        Path json = write("run.json", "{\"max-length\": 64, \"columns\": \"u,v\", \"mode\": \"very-slow\", \"name\": null}");
        Path yml = write("more.yml", "max-length: 32\n");
        Sample o = parse("in", "--config", json.toString(), "--config", yml.toString());
        assertEquals(32, o.maxLength);
        assertEquals(List.of("u", "v"), o.columns);
        assertEquals("very-slow", o.mode);
        assertNull(o.name, "null in a file means unset");
    }

    @Test
    void effectiveOptionsRoundTripThroughAConfigFile() throws IOException {
        CommandLine cl = Cli.commandLine(new Sample(), "spark-dpo demo");
        assertFalse(Cli.parse(cl, new String[] {"in", "--max-length", "7", "--columns", "c"}));
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("input", "in");
        expected.put("max-length", 7);
        expected.put("seed", 42L);
        expected.put("lr", 1e-4);
        expected.put("overwrite", false);
        expected.put("shuffle", true);
        expected.put("name", null);
        expected.put("columns", List.of("c"));
        expected.put("mode", "fast");
        expected.put("verbose", false);
        Map<String, Object> effective = Cli.effectiveOptions(cl);
        assertEquals(expected, effective);
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(effective.keySet()));

        Path yaml = write("summary.yaml", new ObjectMapper(new YAMLFactory()).writeValueAsString(effective));
        CommandLine again = Cli.commandLine(new Sample(), "spark-dpo demo");
        assertFalse(Cli.parse(again, new String[] {"--config", yaml.toString()}));
        assertEquals(effective, Cli.effectiveOptions(again));
    }

    @Test
    void unknownCommandLineOptionSuggestsTheNearestName() {
        assertEquals(List.of("unknown option --max-lenght (did you mean --max-length?)"), errors("in", "--max-lenght", "5"));
        assertEquals(List.of("unknown option --zzz"), errors("in", "--zzz"));
        assertEquals(List.of("unknown option -lr (did you mean --lr?); options start with --"), errors("in", "-lr", "0.1"));
    }

    @Test
    void unknownFileKeyNamesTheFileAndSuggests() throws IOException {
        Path yaml = write("train.yaml", "max_length: 5\nlr: 0.1\n");
        assertEquals(List.of(yaml + ": unknown key 'max_length' (did you mean 'max-length'?)"),
                errors("in", "--config", yaml.toString()));
    }

    @Test
    void badValuesSayWhatWasExpected() throws IOException {
        assertEquals(List.of("--lr: expected a number, got 'abc'"), errors("in", "--lr", "abc"));
        assertEquals(List.of("--max-length: expected an integer, got '1.5'"), errors("in", "--max-length=1.5"));
        assertEquals(List.of("--max-length: expected an integer between -2147483648 and 2147483647, got '3000000000'"),
                errors("in", "--max-length", "3000000000"));
        assertEquals(List.of("--overwrite: expected true or false, got 'maybe'"), errors("in", "--overwrite=maybe"));
        assertEquals(List.of("--mode: expected one of fast, very-slow, got 'fats' (did you mean 'fast'?)"),
                errors("in", "--mode", "fats"));
        assertEquals(List.of("--no-lr: only flags can be negated; --lr takes a value"), errors("in", "--no-lr"));
        assertEquals(List.of("--lr: missing value (number)"), errors("in", "--lr"));
        Path yaml = write("bad.yaml", "max-length: lots\nlr: [1, 2]\nname: {a: 1}\n");
        assertEquals(List.of(
                        yaml + ": key 'max-length': expected an integer, got 'lots'",
                        yaml + ": key 'lr': expected a single value (number), got a list",
                        yaml + ": key 'name': nested objects are not supported; give a plain value or a list"),
                errors("in", "--config", yaml.toString()));
        Path mode = write("mode.yaml", "mode: fats\n");
        assertEquals(List.of(mode + ": key 'mode': expected one of fast, very-slow, got 'fats' (did you mean 'fast'?)"),
                errors("in", "--config", mode.toString()));
    }

    @Test
    void outOfRangeNamesTheSource() throws IOException {
        assertEquals(List.of("--lr: must be in [0, 1), got 1.5"), errors("in", "--lr", "1.5"));
        assertEquals(List.of("--max-length: must be > 0, got 0"), errors("in", "--max-length", "0"));
        Path yaml = write("r.yaml", "lr: 1\n");
        assertEquals(List.of(yaml + ": key 'lr': must be in [0, 1), got 1.0"), errors("in", "--config", yaml.toString()));
        // a bad file value overridden on the command line is no longer checked
        assertEquals(0.5, parse("in", "--config", yaml.toString(), "--lr", "0.5").lr);
    }

    @Test
    void missingRequiredAndStrayArguments() {
        assertEquals(List.of("missing required argument INPUT (or --input)"), errors());
        assertEquals(List.of("missing required option --model"),
                assertThrows(UsageException.class, () -> Cli.parse(new NeedsModel())).errors());
        assertEquals(List.of("unexpected argument 'x' (this command takes no arguments)"),
                assertThrows(UsageException.class, () -> Cli.parse(new NeedsModel(), "--model", "m", "x")).errors());
        assertEquals(List.of("unexpected argument 'extra'"), errors("in", "extra"));
        assertEquals(List.of("INPUT given twice: as argument 'b' and as --input"), errors("--input", "a", "b"));
    }

    @Test
    void configFileProblems() throws IOException {
        assertEquals(List.of("--config " + tmp.resolve("nope.yaml") + ": no such file"),
                errors("in", "--config", tmp.resolve("nope.yaml").toString()));
        assertEquals(List.of("--config x.toml: unknown format; use a .yaml, .yml or .json file"),
                errors("in", "--config", "x.toml"));
        Path list = write("list.yaml", "- a\n- b\n");
        assertEquals(List.of(list + ": expected option names as top-level keys, got a list"),
                errors("in", "--config", list.toString()));
        Path broken = write("broken.json", "{\"lr\": }");
        List<String> e = errors("in", "--config", broken.toString());
        assertEquals(1, e.size());
        assertTrue(e.get(0).startsWith(broken + ": invalid JSON at line 1, column "), e.get(0));
        Path dup = write("dup.yaml", "lr: 0.1\nlr: 0.2\n");
        assertTrue(errors("in", "--config", dup.toString()).get(0).startsWith(dup + ": invalid YAML"));
        Path nested = write("nested.yaml", "config: other.yaml\n");
        assertEquals(List.of(nested + ": key 'config': a config file cannot name other config files"),
                errors("in", "--config", nested.toString()));
        Path empty = write("empty.yaml", "");
        assertEquals(512, parse("in", "--config", empty.toString()).maxLength);
    }

    @Test
    void allErrorsAreReportedTogether() throws IOException {
        Path yaml = write("all.yaml", "seeed: 1\n");
        UsageException e = assertThrows(UsageException.class,
                () -> parse("--config", yaml.toString(), "--lr", "abc", "--max-length", "-3", "--colums", "a"));
        assertEquals(List.of(
                "unknown option --colums (did you mean --columns?)",
                "--lr: expected a number, got 'abc'",
                yaml + ": unknown key 'seeed' (did you mean 'seed'?)",
                "missing required argument INPUT (or --input)",
                "--max-length: must be > 0, got -3"), e.errors());
        assertEquals(String.join("\n", e.errors()), e.getMessage());
    }

    @Test
    void helpShortCircuitsValidation() {
        CommandLine cl = Cli.commandLine(new Sample(), "spark-dpo demo");
        assertTrue(Cli.parse(cl, new String[] {"--lr", "abc", "--help"}));
        assertTrue(Cli.parse(cl, new String[] {"--zzz", "-h"}));
        assertTrue(Cli.parse(cl, new String[] {"--mode", "x", "--help"}));
    }

    @Test
    void helpListsEveryOptionWithTypeAndDefault() {
        CommandLine cl = Cli.commandLine(new Sample(), "spark-dpo demo");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        cl.usage(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String help = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(help.startsWith("Usage: spark-dpo demo INPUT [options]\n\nDoes a demo.\n"), help);
        for (String expected : List.of(
                "  INPUT                   Input data. (path; required; or --input)",
                "  --max-length INT        Maximum tokens. (int; default: 512; must be > 0)",
                "  --seed LONG             Random seed. (long; default: 42)",
                "  --lr NUM                Learning rate. (number; default: 1e-4; must be in [0, 1))",
                "  --overwrite             Replace existing output. (flag; default: false)",
                "  --shuffle               Shuffle rows. (flag; default: true)",
                "  --name TEXT             Run name. (text; default: none)",
                "  --columns A,B,...       Columns to keep. (list; default: a,b)",
                "  --mode fast|very-slow   Speed. (choice; default: fast)",
                "  --verbose               ",
                "  --config FILE",
                "  --help",
                "Example:\n  spark-dpo demo input\n")) {
            assertTrue(help.contains(expected), "missing «" + expected + "» in\n" + help);
        }
        for (ArgSpec a : cl.getCommandSpec().args()) {
            if (a instanceof OptionSpec o && o.hidden()) continue;
            assertTrue(help.contains(a instanceof OptionSpec o ? o.longestName() : a.paramLabel()), a.toString());
        }
    }

    @Test
    void aCommandObjectIsParsedOnce() {
        Sample used = parse("in", "--name", "x");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> parse(used));
        assertTrue(e.getMessage().contains("create a new one for each run"), e.getMessage());
    }

    private static Sample parse(Sample command, String... args) {
        return Cli.parse(command, (Object[]) args);
    }

    @Test
    void declaringAReservedOptionIsAProgrammingError() {
        @CommandLine.Command(name = "bad")
        class Bad implements Command {
            @Option(names = "--config") String config;

            public Integer call() {
                return 0;
            }
        }
        assertThrows(CommandLine.DuplicateOptionAnnotationsException.class, () -> Cli.commandLine(new Bad(), "x"));
    }

    @Test
    void suggestionsUseEditDistance() {
        assertEquals(1, Suggestions.distance("max_length", "max-length"));
        assertEquals(1, Suggestions.distance("lenght", "length"));
        assertTrue(Suggestions.closest("train", List.of("show", "eval")).isEmpty());
        assertEquals("show", Suggestions.closest("shwo", List.of("show", "score")).orElseThrow());
    }
}
