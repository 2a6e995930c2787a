package org.sparkdpo.jobs.cli;

import java.util.List;
import java.util.Optional;

/** The registry of commands: the single list {@link Main} dispatches over. Add new commands to {@link #all()}. */
public final class Commands {
    private Commands() {}

    /** Every command, in the order {@code --help} lists them. */
    public static List<Command> all() {
        return List.of(
                new PrepareCommand(),
                new PrecomputeRefCommand(),
                new TrainCommand(),
                new SftCommand(),
                new EvalCommand(),
                new GenerateCommand(),
                new CompareCommand(),
                new CollectCommand(),
                new ExportCommand(),
                new PipelineCommand(),
                new ShowCommand());
    }

    /** The command called {@code name} (or aliased so) among {@code commands}. */
    public static Optional<Command> find(List<Command> commands, String name) {
        return commands.stream().filter(c -> c.name().equals(name) || c.aliases().contains(name)).findFirst();
    }
}
