package org.sparkdpo.model.config;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A Hugging Face JSON file (config.json, tokenizer_config.json, ...) was readable but its content is not usable.
 * An {@link IOException} so callers that already handle unreadable files handle bad ones the same way;
 * the message always names the file and, where there is one, the offending field.
 */
public class InvalidConfigException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final String field;

    public InvalidConfigException(Path file, String field, String problem) {
        super(file + (field == null ? "" : ": field '" + field + "'") + ": " + problem);
        this.file = file;
        this.field = field;
    }

    public InvalidConfigException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
        this.field = null;
    }

    /** The file whose content was rejected. */
    public Path file() {
        return file;
    }

    /** The JSON field that was rejected, or null when the problem is not tied to one field. */
    public String field() {
        return field;
    }
}
