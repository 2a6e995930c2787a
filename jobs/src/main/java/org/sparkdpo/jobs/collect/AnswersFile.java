package org.sparkdpo.jobs.collect;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sparkdpo.common.JobFailedException;

/**
 * {@code PREFS.jsonl.answers}: the pairs being labelled, one JSON line each, appended (and forced to disk) as they are
 * produced so a rerun never regenerates an answered prompt. A torn last line is cut off with a warning (that pair is
 * simply produced again); any other bad line is an error naming the line. Not thread-safe: the queue serialises.
 */
final class AnswersFile implements Closeable {
    private final Path file;
    private final FileChannel channel;
    private final Map<String, LabelPair> pairs = new LinkedHashMap<>();
    private final List<String> warnings = new ArrayList<>();

    private AnswersFile(Path file, FileChannel channel) {
        this.file = file;
        this.channel = channel;
    }

    static AnswersFile open(Path file) throws IOException {
        boolean created = !Files.exists(file);
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        if (created) Durable.forceDirectory(file.toAbsolutePath().getParent());
        AnswersFile f = new AnswersFile(file, ch);
        try {
            f.load();
        } catch (RuntimeException | IOException e) {
            ch.close();
            throw e;
        }
        return f;
    }

    private void load() throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        String text = new String(bytes, StandardCharsets.UTF_8);
        String[] lines = text.split("\n", -1);
        long offset = 0;
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            boolean terminated = i < lines.length - 1;
            int len = line.getBytes(StandardCharsets.UTF_8).length;
            if (!terminated && line.isEmpty()) break;
            if (line.isBlank() && terminated) {
                offset += len + 1;
                continue;
            }
            LabelPair p;
            try {
                if (!terminated) throw new JobFailedException("unterminated");
                p = PairLines.parse(line, file + ":" + (i + 1));
            } catch (JobFailedException e) {
                if (!restBlank(lines, i + 1)) throw e;
                channel.truncate(offset);
                channel.force(true);
                warnings.add(file + ":" + (i + 1) + ": dropped a torn last line (a write interrupted by a crash)");
                return;
            }
            if (pairs.putIfAbsent(p.pairId(), p) != null) {
                throw new JobFailedException(file + ":" + (i + 1) + ": pair id '" + p.pairId() + "' is used twice");
            }
            offset += len + 1;
        }
    }

    private static boolean restBlank(String[] lines, int from) {
        for (int k = from; k < lines.length; k++) if (!lines[k].isBlank()) return false;
        return true;
    }

    Map<String, LabelPair> pairs() {
        return pairs;
    }

    List<String> warnings() {
        return warnings;
    }

    /** Appends a pair and forces it to disk. */
    void append(LabelPair p) {
        try {
            long size = channel.size();
            ByteBuffer buf = ByteBuffer.wrap((PairLines.line(p) + "\n").getBytes(StandardCharsets.UTF_8));
            channel.position(size);
            while (buf.hasRemaining()) channel.write(buf);
            channel.force(true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to " + file + ": " + e.getMessage(), e);
        }
        pairs.put(p.pairId(), p);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
