package org.sparkdpo.prep.io;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.hadoop.io.compress.CompressionCodec;
import org.apache.hadoop.io.compress.CompressionCodecFactory;
import org.sparkdpo.prep.PrepareException;

/**
 * The files behind the {@code --input} paths, checked and classified on the driver before any Spark job runs, so a
 * missing path, a folder without data, a file that is not Parquet/JSON or a truncated Parquet file is reported by
 * name at once. Folders are listed recursively, skipping names starting with '.' or '_' (Spark's convention). All
 * files must be Parquet, or all JSON (JSON Lines and JSON array files may mix).
 *
 * @param parquet    Parquet files
 * @param jsonLines  JSON Lines files (one object per line; may be compressed)
 * @param jsonArrays files holding one JSON array of objects (first non-blank character '[')
 */
public record InputFiles(List<String> parquet, List<String> jsonLines, List<String> jsonArrays) {
    /** The largest JSON array file accepted: it is parsed by a single task, not split. */
    public static final long MAX_JSON_ARRAY_BYTES = 1L << 30;

    public boolean isParquet() {
        return !parquet.isEmpty();
    }

    public int fileCount() {
        return parquet.size() + jsonLines.size() + jsonArrays.size();
    }

    /** "parquet", "jsonl", "json-array" or "jsonl+json-array". */
    public String kind() {
        if (isParquet()) return "parquet";
        if (jsonArrays.isEmpty()) return "jsonl";
        return jsonLines.isEmpty() ? "json-array" : "jsonl+json-array";
    }

    /** Finds and classifies the files of {@code inputs} (files, folders or globs on any Hadoop file system). */
    public static InputFiles discover(List<String> inputs, Configuration conf) throws IOException {
        if (inputs.isEmpty()) throw new PrepareException("no --input given");
        List<String> parquet = new ArrayList<>();
        List<String> lines = new ArrayList<>();
        List<String> arrays = new ArrayList<>();
        CompressionCodecFactory codecs = new CompressionCodecFactory(conf);
        for (String input : inputs) {
            Path p = new Path(input);
            FileSystem fs = p.getFileSystem(conf);
            FileStatus[] matches = fs.globStatus(p);
            if (matches == null || matches.length == 0) throw new PrepareException("input path does not exist: " + input);
            List<FileStatus> files = new ArrayList<>();
            for (FileStatus m : matches) {
                if (m.isDirectory()) {
                    RemoteIterator<LocatedFileStatus> it = fs.listFiles(m.getPath(), true);
                    while (it.hasNext()) {
                        LocatedFileStatus f = it.next();
                        if (!hidden(m.getPath(), f.getPath())) files.add(f);
                    }
                } else {
                    files.add(m);
                }
            }
            if (files.isEmpty()) throw new PrepareException("input folder has no data files: " + input);
            files.sort((a, b) -> a.getPath().toString().compareTo(b.getPath().toString()));
            for (FileStatus f : files) {
                switch (classify(fs, f, codecs)) {
                    case PARQUET -> parquet.add(f.getPath().toString());
                    case JSON_LINES -> lines.add(f.getPath().toString());
                    case JSON_ARRAY -> {
                        if (f.getLen() > MAX_JSON_ARRAY_BYTES) {
                            throw new PrepareException(f.getPath() + " is a JSON array of " + (f.getLen() >> 20) + " MiB; arrays"
                                    + " are parsed by one task and limited to " + (MAX_JSON_ARRAY_BYTES >> 20) + " MiB. Convert it"
                                    + " to JSON Lines, e.g. jq -c '.[]' in.json > in.jsonl");
                        }
                        arrays.add(f.getPath().toString());
                    }
                    case EMPTY -> { } // an empty JSON file holds no records
                }
            }
        }
        if (!parquet.isEmpty() && (!lines.isEmpty() || !arrays.isEmpty())) {
            throw new PrepareException("inputs mix Parquet (" + parquet.get(0) + ") and JSON ("
                    + (lines.isEmpty() ? arrays : lines).get(0) + "); prepare them separately or convert one");
        }
        return new InputFiles(List.copyOf(parquet), List.copyOf(lines), List.copyOf(arrays));
    }

    private enum Kind { PARQUET, JSON_LINES, JSON_ARRAY, EMPTY }

    private static boolean hidden(Path root, Path file) {
        String rel = file.toUri().getPath().substring(root.toUri().getPath().length());
        for (String part : rel.split("/")) {
            if (part.startsWith(".") || part.startsWith("_")) return true;
        }
        return false;
    }

    private static Kind classify(FileSystem fs, FileStatus f, CompressionCodecFactory codecs) throws IOException {
        String name = f.getPath().getName().toLowerCase(Locale.ROOT);
        CompressionCodec codec = codecs.getCodec(f.getPath());
        boolean parquetName = name.endsWith(".parquet") || name.endsWith(".parq");
        if (parquetName || (codec == null && startsWithParquetMagic(fs, f))) {
            checkParquet(fs, f);
            return Kind.PARQUET;
        }
        int first = firstNonBlank(fs, f, codec);
        if (first == '[') return Kind.JSON_ARRAY;
        if (first == '{') return Kind.JSON_LINES;
        if (first < 0) return Kind.EMPTY;
        String base = codec == null ? name : name.substring(0, name.length() - codec.getDefaultExtension().length());
        if (base.endsWith(".jsonl") || base.endsWith(".ndjson") || base.endsWith(".json")) return Kind.JSON_LINES;
        throw new PrepareException("cannot tell the format of " + f.getPath() + ": expected Parquet (.parquet), JSON Lines"
                + " (.jsonl) or a JSON array file (.json)");
    }

    private static boolean startsWithParquetMagic(FileSystem fs, FileStatus f) throws IOException {
        if (f.getLen() < 4) return false;
        byte[] head = new byte[4];
        try (FSDataInputStream in = fs.open(f.getPath())) {
            in.readFully(0, head);
        }
        return head[0] == 'P' && head[1] == 'A' && head[2] == 'R' && head[3] == '1';
    }

    /** Header and footer magic and a sane footer length; deeper damage is reported by the reader, naming the file. */
    private static void checkParquet(FileSystem fs, FileStatus f) throws IOException {
        long len = f.getLen();
        String bad = null;
        if (len < 12) {
            bad = "only " + len + " bytes";
        } else {
            byte[] head = new byte[4];
            byte[] tail = new byte[8];
            try (FSDataInputStream in = fs.open(f.getPath())) {
                in.readFully(0, head);
                in.readFully(len - 8, tail);
            }
            long footer = (tail[0] & 0xffL) | (tail[1] & 0xffL) << 8 | (tail[2] & 0xffL) << 16 | (tail[3] & 0xffL) << 24;
            if (!(head[0] == 'P' && head[1] == 'A' && head[2] == 'R' && head[3] == '1')) bad = "no PAR1 header";
            else if (!(tail[4] == 'P' && tail[5] == 'A' && tail[6] == 'R' && tail[7] == '1')) bad = "no PAR1 footer (truncated?)";
            else if (footer <= 0 || footer > len - 12) bad = "footer length " + footer + " does not fit the file";
        }
        if (bad != null) throw new PrepareException("corrupt Parquet file " + f.getPath() + ": " + bad);
    }

    /** The first byte that is not whitespace or a UTF-8 byte order mark, or -1 for an empty file. */
    private static int firstNonBlank(FileSystem fs, FileStatus f, CompressionCodec codec) throws IOException {
        try (InputStream raw = fs.open(f.getPath());
             InputStream in = codec == null ? raw : codec.createInputStream(raw)) {
            byte[] buf = new byte[4096];
            int n;
            boolean start = true;
            while ((n = in.read(buf)) > 0) {
                int i = 0;
                if (start && n >= 3 && (buf[0] & 0xff) == 0xEF && (buf[1] & 0xff) == 0xBB && (buf[2] & 0xff) == 0xBF) i = 3;
                start = false;
                for (; i < n; i++) {
                    int b = buf[i] & 0xff;
                    if (b != ' ' && b != '\t' && b != '\n' && b != '\r') return b;
                }
            }
            return -1;
        } catch (FileNotFoundException e) {
            throw new PrepareException("input file disappeared: " + f.getPath());
        }
    }
}
