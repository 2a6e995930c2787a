package org.sparkdpo.jobs.cli.options;

/** The value types an option can take; decides parsing, the help text's metavariable and the typed getter. */
public enum OptionType {
    STRING("TEXT", "text"),
    INT("INT", "int"),
    LONG("LONG", "long"),
    DOUBLE("NUM", "number"),
    BOOL("", "flag"),
    /** A Hadoop path kept as a string: local, {@code file://}, {@code hdfs://}, {@code s3a://}. */
    PATH("PATH", "path"),
    /** One of the spec's {@link OptionSpec#choices()}. */
    ENUM("", "choice"),
    /** Strings, given comma-separated on the command line or as a YAML/JSON list in a file. */
    LIST("A,B,...", "list");

    private final String metavar;
    private final String label;

    OptionType(String metavar, String label) {
        this.metavar = metavar;
        this.label = label;
    }

    /** Placeholder shown after {@code --name} in help; empty for flags. */
    String metavar() {
        return metavar;
    }

    /** Short type name shown in help. */
    String label() {
        return label;
    }
}
