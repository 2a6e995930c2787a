package org.sparkdpo.jobs.cli.options;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OptionParserTest {
    enum Mode { FAST, VERY_SLOW }

    static final List<OptionSpec> SPECS = List.of(
            OptionSpec.ofPath("input", "Input data.").asPositional().asRequired(),
            OptionSpec.ofInt("max-length", "Maximum tokens.").withDefault(512).withValidator(Validator.positive()),
            OptionSpec.ofLong("seed", "Random seed.").withDefault(42L),
            OptionSpec.ofDouble("lr", "Learning rate.").withDefault(1e-4).withValidator(Validator.probability()),
            OptionSpec.ofBool("overwrite", "Replace existing output."),
            OptionSpec.ofBool("shuffle", "Shuffle rows.").withDefault(true),
            OptionSpec.ofString("name", "Run name."),
            OptionSpec.ofList("columns", "Columns to keep.").withDefault(List.of("a", "b")),
            OptionSpec.ofEnum("mode", "Speed.", Mode.class).withDefault(Mode.FAST));

    @TempDir
    Path tmp;

    private static ParsedOptions parse(String... args) {
        return OptionParser.parse(SPECS, args);
    }

    private static List<String> errors(String... args) {
        return assertThrows(OptionsException.class, () -> parse(args)).errors();
    }

    private Path write(String fileName, String content) throws IOException {
        Path p = tmp.resolve(fileName);
        Files.writeString(p, content);
        return p;
    }

    @Test
    void defaultsApplyWhenNothingIsGiven() {
        ParsedOptions o = parse("data/in");
        assertEquals("data/in", o.getPath("input"));
        assertEquals(512, o.getInt("max-length"));
        assertEquals(42L, o.getLong("seed"));
        assertEquals(1e-4, o.getDouble("lr"));
        assertFalse(o.getBool("overwrite"));
        assertTrue(o.getBool("shuffle"));
        assertFalse(o.has("name"));
        assertEquals(List.of("a", "b"), o.getList("columns"));
        assertEquals(Mode.FAST, o.getEnum("mode", Mode.class));
        assertEquals(ParsedOptions.DEFAULT, o.origin("max-length"));
        assertThrows(IllegalStateException.class, () -> o.getString("name"));
        assertThrows(IllegalArgumentException.class, () -> o.getInt("nope"));
        assertThrows(IllegalArgumentException.class, () -> o.getString("max-length"));
    }

    @Test
    void commandLineFormsAndPositional() {
        ParsedOptions o = parse("--max-length", "128", "--lr=0.5", "in.parquet", "--overwrite", "--no-shuffle",
                "--name", "run 1", "--columns", "x, y,,z", "--mode", "Very-Slow", "--seed=-7");
        assertEquals("in.parquet", o.getPath("input"));
        assertEquals(128, o.getInt("max-length"));
        assertEquals(0.5, o.getDouble("lr"));
        assertTrue(o.getBool("overwrite"));
        assertFalse(o.getBool("shuffle"));
        assertEquals("run 1", o.getString("name"));
        assertEquals(List.of("x", "y", "z"), o.getList("columns"));
        assertEquals("very-slow", o.getEnum("mode"));
        assertEquals(Mode.VERY_SLOW, o.getEnum("mode", Mode.class));
        assertEquals(-7L, o.getLong("seed"));
        assertEquals(ParsedOptions.COMMAND_LINE, o.origin("lr"));
    }

    @Test
    void boolFlagsTakeExplicitValuesAndLastOneWins() {
        assertFalse(parse("in", "--overwrite=false").getBool("overwrite"));
        assertTrue(parse("in", "--no-overwrite", "--overwrite").getBool("overwrite"));
        assertEquals(3, parse("in", "--max-length", "2", "--max-length", "3").getInt("max-length"));
    }

    @Test
    void positionalCanBeNamedAndDoubleDashEndsOptions() {
        assertEquals("x", parse("--input", "x").getPath("input"));
        assertEquals("--weird", parse("--", "--weird").getPath("input"));
    }

    @Test
    void yamlFileIsOverriddenByCommandLine() throws IOException {
        Path yaml = write("run.yaml", """
                max-length: 256
                lr: 0.01
                overwrite: true
                columns: [p, q]
                name: from-file
                input: file-input
                """);
        ParsedOptions o = parse("--config", yaml.toString(), "--lr", "0.02");
        assertEquals(256, o.getInt("max-length"));
        assertEquals(0.02, o.getDouble("lr"));
        assertTrue(o.getBool("overwrite"));
        assertEquals(List.of("p", "q"), o.getList("columns"));
        assertEquals("file-input", o.getPath("input"));
        assertEquals(yaml.toString(), o.origin("max-length"));
        assertEquals(ParsedOptions.COMMAND_LINE, o.origin("lr"));
        assertEquals(List.of(yaml.toString()), o.configFiles());
        assertEquals("cli-input", parse("--config=" + yaml, "cli-input").getPath("input"));
    }

    @Test
    void jsonFileWithCommaSeparatedListAndLaterFilesWin() throws IOException {
        Path json = write("run.json", "{\"max-length\": 64, \"columns\": \"u,v\", \"mode\": \"very-slow\", \"name\": null}");
        Path yml = write("more.yml", "max-length: 32\n");
        ParsedOptions o = parse("in", "--config", json.toString(), "--config", yml.toString());
        assertEquals(32, o.getInt("max-length"));
        assertEquals(List.of("u", "v"), o.getList("columns"));
        assertEquals(Mode.VERY_SLOW, o.getEnum("mode", Mode.class));
        assertFalse(o.has("name"), "null in a file means unset");
    }

    @Test
    void asMapRoundTripsThroughAConfigFile() throws IOException {
        ParsedOptions o = parse("in", "--max-length", "7", "--columns", "c");
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
        assertEquals(expected, o.asMap());
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(o.asMap().keySet()));

        Path yaml = write("summary.yaml", new com.fasterxml.jackson.databind.ObjectMapper(
                new com.fasterxml.jackson.dataformat.yaml.YAMLFactory()).writeValueAsString(o.asMap()));
        assertEquals(o.asMap(), parse("--config", yaml.toString()).asMap());
    }

    @Test
    void unknownCommandLineOptionSuggestsTheNearestName() {
        assertEquals(List.of("unknown option --max-lenght (did you mean --max-length?)"),
                errors("in", "--max-lenght", "5"));
        assertEquals(List.of("unknown option --zzz"), errors("in", "--zzz"));
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
    }

    @Test
    void outOfRangeNamesTheSource() throws IOException {
        assertEquals(List.of("--lr: must be in [0, 1), got 1.5"), errors("in", "--lr", "1.5"));
        assertEquals(List.of("--max-length: must be > 0, got 0"), errors("in", "--max-length", "0"));
        Path yaml = write("r.yaml", "lr: 1\n");
        assertEquals(List.of(yaml + ": key 'lr': must be in [0, 1), got 1.0"), errors("in", "--config", yaml.toString()));
        // a bad file value overridden on the command line is no longer checked
        assertEquals(0.5, parse("in", "--config", yaml.toString(), "--lr", "0.5").getDouble("lr"));
    }

    @Test
    void missingRequiredAndStrayArguments() {
        assertEquals(List.of("missing required argument INPUT (or --input)"), errors());
        List<OptionSpec> specs = List.of(OptionSpec.ofString("model", "Model.").asRequired());
        assertEquals(List.of("missing required option --model"),
                assertThrows(OptionsException.class, () -> OptionParser.parse(specs, new String[0])).errors());
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
        Path empty = write("empty.yaml", "");
        assertEquals(512, parse("in", "--config", empty.toString()).getInt("max-length"));
    }

    @Test
    void allErrorsAreReportedTogether() throws IOException {
        Path yaml = write("all.yaml", "seeed: 1\n");
        OptionsException e = assertThrows(OptionsException.class,
                () -> parse("--config", yaml.toString(), "--lr", "abc", "--max-length", "-3", "--colums", "a"));
        assertEquals(List.of(
                "--lr: expected a number, got 'abc'",
                "unknown option --colums (did you mean --columns?)",
                yaml + ": unknown key 'seeed' (did you mean 'seed'?)",
                "missing required argument INPUT (or --input)",
                "--max-length: must be > 0, got -3"), e.errors());
        assertEquals(String.join("\n", e.errors()), e.getMessage());
    }

    @Test
    void helpShortCircuitsValidation() {
        ParsedOptions o = parse("--lr", "abc", "--help");
        assertTrue(o.helpRequested());
    }

    @Test
    void helpListsEveryOptionWithTypeAndDefault() {
        String help = HelpFormatter.format("spark-dpo demo", "Does a demo.", SPECS, null);
        assertTrue(help.startsWith("Usage: spark-dpo demo INPUT [options]\n\nDoes a demo.\n"), help);
        for (String expected : List.of(
                "  INPUT                   Input data. (path; required; or --input)",
                "  --max-length INT        Maximum tokens. (int; default: 512; must be > 0)",
                "  --seed LONG             Random seed. (long; default: 42)",
                "  --lr NUM                Learning rate. (number; default: 1.0E-4; must be in [0, 1))",
                "  --overwrite             Replace existing output. (flag; default: false)",
                "  --shuffle               Shuffle rows. (flag; default: true)",
                "  --name TEXT             Run name. (text; default: none)",
                "  --columns A,B,...       Columns to keep. (list; default: a,b)",
                "  --mode fast|very-slow   Speed. (choice; default: fast)",
                "  --config FILE",
                "  --help",
                "Example:\n  spark-dpo demo input\n")) {
            assertTrue(help.contains(expected), "missing «" + expected + "» in\n" + help);
        }
        for (OptionSpec s : SPECS) assertTrue(help.contains(s.positional() ? s.positionalLabel() : "--" + s.name()));
    }

    @Test
    void inconsistentSpecsAreProgrammingErrors() {
        assertThrows(IllegalArgumentException.class, () -> OptionSpec.ofInt("Max_Length", ""));
        assertThrows(IllegalArgumentException.class, () -> OptionSpec.ofInt("n", "").withDefault("x"));
        assertThrows(IllegalArgumentException.class, () -> OptionSpec.ofInt("n", "").withDefault(1).asRequired());
        assertThrows(IllegalArgumentException.class, () -> OptionSpec.ofString("config", ""));
        assertThrows(IllegalArgumentException.class, () -> OptionParser.parse(
                Arrays.asList(OptionSpec.ofInt("n", ""), OptionSpec.ofInt("n", "")), new String[0]));
    }

    @Test
    void suggestionsUseEditDistance() {
        assertEquals(1, Suggestions.distance("max_length", "max-length"));
        assertEquals(1, Suggestions.distance("lenght", "length") - 0);
        assertTrue(Suggestions.closest("train", List.of("show", "eval")).isEmpty());
        assertEquals("show", Suggestions.closest("shwo", List.of("show", "score")).orElseThrow());
    }
}
