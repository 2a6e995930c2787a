package org.sparkdpo.jobs.collect;

import java.io.BufferedInputStream;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Keys typed by a person or fed by a script: every character that is not white space is one key, so "1\n2\nq\n",
 * "12q" and a raw terminal's single keystrokes read the same. {@link #read()} blocks until a key arrives and returns
 * null at the end of the input (treated like {@code q}). Bytes are read one at a time, never ahead: when a script
 * pipes the keys of several {@code collect} runs into one standard input, each run takes only the keys it uses.
 */
public final class KeyReader {
    private final InputStream in;

    public KeyReader(InputStream in) {
        this.in = in;
    }

    /**
     * Standard input without read-ahead. The JVM's own {@code System.in} buffers (it would swallow the next run's
     * keys), so it is replaced by the unbuffered descriptor; a stream a test installed with {@code System.setIn} is
     * used as it is.
     */
    public static KeyReader stdin() {
        InputStream s = System.in;
        boolean jvmDefault = s.getClass() == BufferedInputStream.class;
        return new KeyReader(jvmDefault ? new FileInputStream(FileDescriptor.in) : s);
    }

    public String read() throws IOException {
        for (int b; (b = in.read()) >= 0; ) {
            if (b == 3 || b == 4) return null; // Ctrl-C / Ctrl-D in a raw terminal
            if (b < 0x80) {
                if (!Character.isWhitespace(b)) return Character.toString(b);
                continue;
            }
            int extra = b >= 0xF0 ? 3 : b >= 0xE0 ? 2 : b >= 0xC0 ? 1 : 0;
            byte[] cp = new byte[1 + extra];
            cp[0] = (byte) b;
            for (int i = 1; i <= extra; i++) {
                int c = in.read();
                if (c < 0) return null;
                cp[i] = (byte) c;
            }
            return new String(cp, StandardCharsets.UTF_8);
        }
        return null;
    }
}
