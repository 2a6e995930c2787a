package org.sparkdpo.model.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A safetensors file (or checkpoint index) breaks the format. Exists so callers can tell a corrupt file from an I/O
 * failure; the message always starts with the file and then names the tensor or field at fault.
 */
public final class SafeTensorsFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String file;
    private final String problem;

    public SafeTensorsFormatException(String file, String problem) {
        this(file, problem, null);
    }

    public SafeTensorsFormatException(String file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
        this.problem = problem;
    }

    public SafeTensorsFormatException(Path file, String problem) {
        this(String.valueOf(file), problem, null);
    }

    public SafeTensorsFormatException(Path file, String problem, Throwable cause) {
        this(String.valueOf(file), problem, cause);
    }

    /** The file the problem was found in, as given to the reader. */
    public String file() {
        return file;
    }

    /** The problem without the file prefix. */
    public String problem() {
        return problem;
    }
}
