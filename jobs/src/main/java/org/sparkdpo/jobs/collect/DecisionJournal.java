package org.sparkdpo.jobs.collect;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sparkdpo.common.JobFailedException;
import org.sparkdpo.common.JobRefusedException;

/**
 * The append-only journal of decisions and undos: the source of truth of {@code collect}. Every event is one JSON
 * line, written and forced to the device ({@code FileChannel.force(true)}) before {@link #append}/{@link #undoLast}
 * return, so a decision a person has seen acknowledged survives a crash or power cut. On open the journal is
 * replayed; a torn last line (the process died mid-write, so the call never returned) is cut off with a warning,
 * any other bad line is an error naming the file and line. The file is locked while open, so two processes never
 * interleave their appends. Thread-safe.
 */
public final class DecisionJournal implements Closeable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;
    private final Clock clock;
    private final Map<Long, Decision> live = new LinkedHashMap<>();
    private final List<String> warnings = new ArrayList<>();
    private long nextSeq = 1;

    private DecisionJournal(Path file, FileChannel channel, FileLock lock, Clock clock) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
        this.clock = clock;
    }

    public static DecisionJournal open(Path journal) {
        return open(journal, Clock.systemUTC());
    }

    /** Opens (creating when absent) and replays the journal; {@code clock} stamps new events. */
    public static DecisionJournal open(Path journal, Clock clock) {
        FileChannel ch = null;
        try {
            Path parent = journal.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            boolean created = !Files.exists(journal);
            ch = FileChannel.open(journal, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            if (created) Durable.forceDirectory(parent);
            FileLock lock = lockOrRefuse(ch, journal);
            DecisionJournal j = new DecisionJournal(journal, ch, lock, clock);
            j.replay();
            return j;
        } catch (IOException e) {
            closeQuietly(ch);
            throw new JobFailedException("cannot open the decision journal " + journal + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    private static FileLock lockOrRefuse(FileChannel ch, Path journal) throws IOException {
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            throw new JobRefusedException("another collect is writing " + journal + " (its lock is held); stop it or use another --out");
        }
        return lock;
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            if (ch != null) ch.close();
        } catch (IOException ignored) {
            // already failing
        }
    }

    public Path file() {
        return file;
    }

    /** Warnings of the replay (a torn last line that was cut off); empty normally. */
    public synchronized List<String> warnings() {
        return List.copyOf(warnings);
    }

    /** The live decisions (not undone), in journal order. */
    public synchronized List<Decision> live() {
        return List.copyOf(live.values());
    }

    /** Journals a decision; returns after it is on the device. The seq and time are assigned here. */
    public synchronized Decision append(String pairId, String annotator, Choice choice, String key, String shownOrder) {
        Decision d = new Decision(nextSeq, pairId, annotator, choice, key, shownOrder, now());
        ObjectNode o = JSON.createObjectNode();
        o.put("seq", d.seq());
        o.put("event", "decision");
        o.put("pair_id", pairId);
        o.put("annotator", annotator);
        o.put("choice", choice.wire());
        o.put("key", key);
        o.put("shown_order", shownOrder);
        o.put("decided_at", d.decidedAt().toString());
        write(o);
        nextSeq++;
        live.put(d.seq(), d);
        return d;
    }

    /** Undoes this annotator's last live decision (journaled like a decision); null when it has none. */
    public synchronized Decision undoLast(String annotator) {
        Decision last = lastOf(annotator);
        if (last == null) return null;
        ObjectNode o = JSON.createObjectNode();
        o.put("seq", nextSeq);
        o.put("event", "undo");
        o.put("undoes", last.seq());
        o.put("annotator", annotator);
        o.put("decided_at", now().toString());
        write(o);
        nextSeq++;
        live.remove(last.seq());
        return last;
    }

    private Decision lastOf(String annotator) {
        Decision last = null;
        for (Decision d : live.values()) if (d.annotator().equals(annotator)) last = d;
        return last;
    }

    private Instant now() {
        return clock.instant();
    }

    private void write(ObjectNode event) {
        if (!channel.isOpen()) throw new QueueException(QueueException.Kind.CLOSED, "the journal " + file + " is closed");
        long before = -1;
        try {
            before = channel.size();
            ByteBuffer buf = ByteBuffer.wrap((JSON.writeValueAsString(event) + "\n").getBytes(StandardCharsets.UTF_8));
            channel.position(before);
            while (buf.hasRemaining()) channel.write(buf);
            channel.force(true);
        } catch (IOException e) {
            rollback(before);
            throw new UncheckedIOException("cannot write to the decision journal " + file + ": " + e.getMessage(), e);
        }
    }

    /** Cuts a half-written event so the next append starts on a fresh line. */
    private void rollback(long size) {
        try {
            if (size >= 0 && channel.size() > size) channel.truncate(size);
        } catch (IOException ignored) {
            // the replay drops a torn last line anyway
        }
    }

    private void replay() throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        List<int[]> lines = lineSpans(bytes);
        long goodEnd = 0;
        for (int i = 0; i < lines.size(); i++) {
            int[] span = lines.get(i);
            String text = new String(bytes, span[0], span[1] - span[0], StandardCharsets.UTF_8);
            boolean terminated = span[1] < bytes.length;
            boolean lastLine = i == lines.size() - 1 || allBlank(bytes, lines, i + 1);
            if (text.isBlank() && terminated) {
                goodEnd = span[1] + 1;
                continue;
            }
            JsonNode node = terminated ? parse(text) : null;
            if (node == null || !node.isObject()) {
                if (lastLine) {
                    cutTornTail(goodEnd, i + 1, bytes.length);
                    return;
                }
                throw new JobFailedException(file + ":" + (i + 1) + ": not a JSON journal event; the journal is damaged"
                        + " (fix or remove that line by hand)");
            }
            apply(node, i + 1);
            goodEnd = span[1] + 1;
        }
    }

    private void cutTornTail(long goodEnd, int lineNo, long size) throws IOException {
        channel.truncate(goodEnd);
        channel.force(true);
        warnings.add(file + ":" + lineNo + ": dropped a torn last line (" + (size - goodEnd)
                + " bytes, a write interrupted by a crash; that decision was never acknowledged)");
    }

    private static boolean allBlank(byte[] bytes, List<int[]> lines, int from) {
        for (int k = from; k < lines.size(); k++) {
            int[] s = lines.get(k);
            if (!new String(bytes, s[0], s[1] - s[0], StandardCharsets.UTF_8).isBlank()) return false;
        }
        return true;
    }

    /** [start, end) of every line; end is the index of its '\n' or the file length for an unterminated tail. */
    private static List<int[]> lineSpans(byte[] bytes) {
        List<int[]> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == '\n') {
                out.add(new int[] {start, i});
                start = i + 1;
            }
        }
        if (start < bytes.length) out.add(new int[] {start, bytes.length});
        return out;
    }

    private static JsonNode parse(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            return null;
        }
    }

    private void apply(JsonNode e, int lineNo) {
        String where = file + ":" + lineNo;
        long seq = e.path("seq").asLong(-1);
        if (seq < nextSeq) throw new JobFailedException(where + ": seq " + seq + " is not after " + (nextSeq - 1));
        String annotator = text(e, "annotator", where);
        Instant at = instant(text(e, "decided_at", where), where);
        switch (text(e, "event", where)) {
            case "decision" -> {
                Choice choice = Choice.fromWire(text(e, "choice", where))
                        .orElseThrow(() -> new JobFailedException(where + ": unknown choice '" + e.get("choice").asText() + "'"));
                live.put(seq, new Decision(seq, text(e, "pair_id", where), annotator, choice, text(e, "key", where),
                        text(e, "shown_order", where), at));
            }
            case "undo" -> {
                long undoes = e.path("undoes").asLong(-1);
                Decision d = live.get(undoes);
                if (d == null || !d.annotator().equals(annotator)) {
                    throw new JobFailedException(where + ": undo of " + undoes + ", which is no live decision of " + annotator);
                }
                live.remove(undoes);
            }
            default -> throw new JobFailedException(where + ": unknown event '" + e.get("event").asText() + "'");
        }
        nextSeq = seq + 1;
    }

    private static String text(JsonNode e, String field, String where) {
        JsonNode v = e.get(field);
        if (v == null || !v.isTextual()) throw new JobFailedException(where + ": field '" + field + "' is missing or not text");
        return v.asText();
    }

    private static Instant instant(String s, String where) {
        try {
            return Instant.parse(s);
        } catch (java.time.format.DateTimeParseException e) {
            throw new JobFailedException(where + ": decided_at '" + s + "' is not an ISO-8601 instant");
        }
    }

    /** Every live decision of one annotator, in journal order. */
    public synchronized List<Decision> liveOf(String annotator) {
        List<Decision> out = new ArrayList<>();
        for (Decision d : live.values()) if (d.annotator().equals(annotator)) out.add(d);
        return Collections.unmodifiableList(out);
    }

    @Override
    public synchronized void close() throws IOException {
        if (!channel.isOpen()) return;
        try {
            lock.release();
        } finally {
            channel.close();
        }
    }
}
