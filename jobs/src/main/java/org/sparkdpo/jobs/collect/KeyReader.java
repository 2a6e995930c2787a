package org.sparkdpo.jobs.collect;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;

/**
 * Keys typed by a person or fed by a script: every character that is not white space is one key, so "1\n2\nq\n",
 * "12q" and a raw terminal's single keystrokes read the same. {@link #read()} blocks until a key arrives and returns
 * null at the end of the input (treated like {@code q}).
 */
public final class KeyReader {
    private final Reader in;

    public KeyReader(InputStream in) {
        this.in = new InputStreamReader(in, StandardCharsets.UTF_8);
    }

    public String read() throws IOException {
        for (int c; (c = in.read()) >= 0; ) {
            if (c == 3 || c == 4) return null; // Ctrl-C / Ctrl-D in a raw terminal
            if (!Character.isWhitespace(c)) return Character.toString(c);
        }
        return null;
    }
}
