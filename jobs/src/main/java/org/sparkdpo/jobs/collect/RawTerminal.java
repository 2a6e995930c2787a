package org.sparkdpo.jobs.collect;

import java.io.IOException;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;

/**
 * Single-keystroke input on a Unix terminal: {@code stty -icanon -echo} on {@code /dev/tty} while collecting, restored
 * on {@link #close()} and by a shutdown hook (Ctrl-C still interrupts: signals stay on). Where stty is missing the
 * terminal stays line-buffered and a key needs Enter.
 */
public final class RawTerminal implements AutoCloseable {
    private final String saved;
    private final Thread hook;

    private RawTerminal(String saved) {
        this.saved = saved;
        this.hook = new Thread(this::restore, "restore-terminal");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Switches the terminal to single keystrokes; null when that is not possible. */
    public static RawTerminal enter() {
        String saved = stty("-g");
        if (saved == null || stty("-icanon -echo min 1") == null) return null;
        return new RawTerminal(saved.trim());
    }

    /** The terminal's width in columns, when stty can tell. */
    public static OptionalInt columns() {
        String size = stty("size");
        if (size == null) return OptionalInt.empty();
        String[] parts = size.trim().split("\\s+");
        try {
            return parts.length == 2 ? OptionalInt.of(Integer.parseInt(parts[1])) : OptionalInt.empty();
        } catch (NumberFormatException e) {
            return OptionalInt.empty();
        }
    }

    private static String stty(String args) {
        try {
            Process p = new ProcessBuilder("sh", "-c", "stty " + args + " < /dev/tty").redirectErrorStream(false).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(5, TimeUnit.SECONDS) || p.exitValue() != 0) return null;
            return out;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private void restore() {
        stty(saved);
    }

    @Override
    public void close() {
        restore();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException ignored) {
            // shutting down: the hook restores
        }
    }
}
