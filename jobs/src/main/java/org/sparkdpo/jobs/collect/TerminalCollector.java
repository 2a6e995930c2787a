package org.sparkdpo.jobs.collect;

import java.io.IOException;
import java.io.PrintStream;
import java.util.Optional;

/**
 * The terminal front end: shows one pair at a time ({@link Screen}) and reads one key ({@link KeyReader}): 1/2 prefer
 * the first/second answer shown, t tie, b both bad, s skip, u undo the last choice, q quit, ? help. A decision is
 * journaled by the queue before the next pair appears. The end of the input counts as q.
 */
public final class TerminalCollector {
    /** What one run did. */
    public record Result(int decided, int undone, boolean quit, Progress progress) {}

    private final CollectJob.Session session;
    private final String annotator;
    private final KeyReader keys;
    private final PrintStream out;
    private final int width;

    public TerminalCollector(CollectJob.Session session, String annotator, KeyReader keys, PrintStream out, int width) {
        this.session = session;
        this.annotator = annotator;
        this.keys = keys;
        this.out = out;
        this.width = width;
    }

    public Result run() throws IOException {
        AnnotationQueue q = session.queue();
        int decided = 0, undone = 0;
        for (String w : q.warnings()) out.println("warning: " + w);
        while (true) {
            Optional<Shown> next = session.next(annotator);
            if (next.isEmpty()) {
                out.println("nothing left to label for " + annotator + " (" + q.progress(annotator).line() + ")");
                return new Result(decided, undone, false, q.progress(annotator));
            }
            Shown s = next.get();
            out.print(Screen.render(s, width));
            out.flush();
            String key = readKey();
            if (key == null || key.equals("q")) {
                out.println();
                out.println("stopped at " + q.progress(annotator).line() + "; rerun the same command to continue");
                return new Result(decided, undone, true, q.progress(annotator));
            }
            switch (key) {
                case "?" -> out.print("\n" + Screen.help());
                case "u" -> {
                    Optional<Decision> d = q.undo(annotator);
                    if (d.isPresent()) undone++;
                    out.println(d.map(x -> "\nundone: pair " + Screen.clean(x.pairId()) + " (" + x.choice().wire() + ")")
                            .orElse("\nnothing to undo"));
                }
                default -> decided += decide(s, key) ? 1 : 0;
            }
        }
    }

    private String readKey() throws IOException {
        String key = keys.read();
        if (key != null) out.println(key);
        return key;
    }

    private boolean decide(Shown s, String key) {
        try {
            Decision d = session.queue().decide(annotator, s.pair().pairId(), key);
            out.println("saved: " + d.choice().wire());
            return true;
        } catch (QueueException e) {
            out.println(e.kind() == QueueException.Kind.BAD_KEY ? "unknown key '" + Screen.clean(key) + "'; " + Screen.KEYS
                    : e.getMessage());
            return false;
        }
    }
}
