package org.sparkdpo.jobs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.sparkdpo.model.dpo.DpoLossType;
import org.sparkdpo.prep.pair.ColumnMap;
import org.sparkdpo.prep.pair.InputFormat;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** The registered commands' option declarations follow the conventions users rely on. */
class CommandsTest {
    static CommandSpec spec(Command c) {
        return Cli.commandLine(c, "spark-dpo " + c.name()).getCommandSpec();
    }

    static OptionSpec option(Command c, String name) {
        return spec(c).findOption(name);
    }

    @Test
    void declarationsFollowTheConventions() {
        List<String> problems = new ArrayList<>();
        for (Command c : Commands.all()) {
            if (!c.name().matches("[a-z]+(-[a-z]+)*")) problems.add(c.name() + ": command name not kebab-case");
            for (OptionSpec o : spec(c).options()) {
                String where = c.name() + " " + o.longestName();
                if (!o.usageHelp() && (o.names().length != 1 || !o.longestName().matches("--[a-z][a-z0-9]*(-[a-z0-9]+)*"))) {
                    problems.add(where + ": one kebab-case --name per option");
                }
                if (Help.isFlag(o) && !(o.negatable() && o.arity().min() == 0 && o.arity().max() == 1) && !o.usageHelp()) {
                    problems.add(where + ": flags are negatable (--no-x) and take =true/=false (arity 0..1)");
                }
                if (Check.required(o) && o.defaultValue() != null) problems.add(where + ": required with a default");
                List<String> choices = Check.choices(o);
                if (!choices.isEmpty() && o.defaultValue() != null && !choices.contains(o.defaultValue())) {
                    problems.add(where + ": default " + o.defaultValue() + " is not a choice");
                }
                if (o.description().length == 0) problems.add(where + ": no help text");
            }
        }
        assertEquals(List.of(), problems);
    }

    @Test
    void everyCommandsHelpMentionsEveryOption() {
        for (Command c : Commands.all()) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int code = Main.run(Commands.all(), new String[] {c.name(), "--help"}, new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(new ByteArrayOutputStream(), true));
            assertEquals(ExitCodes.OK, code);
            String help = out.toString(StandardCharsets.UTF_8);
            assertTrue(help.startsWith("Usage: spark-dpo " + c.name()), help);
            for (ArgSpec a : spec(c).args()) {
                if (a instanceof OptionSpec o && o.hidden()) continue;
                String name = a instanceof OptionSpec o ? o.longestName() : a.paramLabel();
                assertTrue(help.contains("  " + name + " ") || help.contains("  " + name + "\n"), c.name() + ": " + name + " in\n" + help);
            }
            assertTrue(help.contains("--config FILE") && help.contains("--verbose") && help.contains("--help"), help);
        }
    }

    @Test
    void demoIsAnAliasOfPipeline() {
        assertEquals("pipeline", Commands.find(Commands.all(), "demo").orElseThrow().name());
        ByteArrayOutputStream demo = new ByteArrayOutputStream();
        ByteArrayOutputStream pipeline = new ByteArrayOutputStream();
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true);
        assertEquals(ExitCodes.OK, Main.run(Commands.all(), new String[] {"demo", "--help"},
                new PrintStream(demo, true, StandardCharsets.UTF_8), quiet));
        assertEquals(ExitCodes.OK, Main.run(Commands.all(), new String[] {"pipeline", "--help"},
                new PrintStream(pipeline, true, StandardCharsets.UTF_8), quiet));
        assertEquals(pipeline.toString(StandardCharsets.UTF_8), demo.toString(StandardCharsets.UTF_8), "same command, same options");
        ByteArrayOutputStream list = new ByteArrayOutputStream();
        assertEquals(ExitCodes.OK, Main.run(Commands.all(), new String[] {"--help"}, new PrintStream(list, true, StandardCharsets.UTF_8), quiet));
        assertTrue(list.toString(StandardCharsets.UTF_8).contains("(alias: demo)"), list.toString(StandardCharsets.UTF_8));
    }

    @Test
    void choicesAndHelpTextMatchTheDomainTypes() {
        List<String> formats = new ArrayList<>(List.of("auto"));
        for (InputFormat f : InputFormat.values()) formats.add(f.code());
        assertEquals(formats, Check.choices(option(new PrepareCommand(), "--format")));
        String columnMap = String.join(" ", option(new PrepareCommand(), "--column-map").description());
        for (String role : ColumnMap.ROLES) assertTrue(columnMap.contains(" " + role), role + " missing in: " + columnMap);
        for (Command c : List.of(new TrainCommand(), new EvalCommand())) {
            String loss = String.join(" ", option(c, "--loss").description());
            for (DpoLossType t : DpoLossType.values()) assertTrue(loss.contains(t.trlName()), t + " missing in: " + loss);
        }
    }

    @Test
    void theCommandsDefaultsAreTrls() {
        TrainCommand t = Cli.parse(new TrainCommand(), "--data", "d", "--model", "m", "--out", "o");
        assertEquals(5e-5, t.lr);
        assertEquals(8, t.batchSize);
        assertEquals(List.of("all-linear"), t.loraTargets);
        assertTrue(t.groupByLength);
        assertEquals(List.of("sigmoid"), t.dpo.loss);
        assertEquals(0.1, t.dpo.beta);
        PrepareCommand p = Cli.parse(new PrepareCommand(), "--input", "i", "--tokenizer", "t", "--out", "o");
        assertEquals(1024, p.settings().maxLength());
        assertEquals("\n\nAssistant:", p.settings().implicitMarker());
    }

    @Test
    void gradientCheckpointingReachesTheTrainingSettings() {
        assertFalse(Cli.parse(new TrainCommand(), "--data", "d", "--model", "m", "--out", "o").settings(1)
                .batching().gradientCheckpointing(), "off by default, as in HF/TRL");
        assertTrue(Cli.parse(new TrainCommand(), "--data", "d", "--model", "m", "--out", "o", "--gradient-checkpointing")
                .settings(1).batching().gradientCheckpointing());
    }

    @Test
    void verboseShowsTheEffectiveOptions() {
        CommandLine cl = Cli.commandLine(new PrecomputeRefCommand(), "spark-dpo precompute-ref");
        Cli.parse(cl, new String[] {"--data", "d", "--model", "m", "--out", "o", "--dtype", "FLOAT64", "--verbose"});
        assertEquals("{data=d, model=m, out=o, adapter=null, dtype=float64, batch-tokens=8192, max-batch=64, overwrite=false,"
                + " verbose=true}", Cli.effectiveOptions(cl).toString());
    }
}
