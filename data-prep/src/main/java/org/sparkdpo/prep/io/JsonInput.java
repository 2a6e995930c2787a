package org.sparkdpo.prep.io;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.CharConversionException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.LongWritable;
import org.apache.hadoop.io.Text;
import org.apache.hadoop.io.compress.CompressionCodec;
import org.apache.hadoop.io.compress.CompressionCodecFactory;
import org.apache.hadoop.mapreduce.lib.input.FileSplit;
import org.apache.hadoop.mapreduce.lib.input.TextInputFormat;
import org.apache.spark.api.java.JavaNewHadoopRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.input.PortableDataStream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.sparkdpo.common.spark.HadoopConf;
import org.sparkdpo.prep.pair.RejectReason;
import scala.Tuple2;

/**
 * Reads JSON inputs into one row per record with its source (file, line, element index) and its JSON text, keeping
 * bad records as rows rather than dropping them: JSON Lines are read through Hadoop's line reader (splittable, with
 * exact line numbers from a first pass that counts lines per split), each line checked for UTF-8; JSON array files
 * are parsed as a stream by one task each, and a syntax error there stops the job naming file, line and column
 * (after a broken element the rest of the array cannot be trusted; see {@link #FATAL}). Blank lines are skipped, not counted as
 * records. Parsing of the JSON text itself happens later, so a bad line becomes an {@code unparsable_line} reject.
 */
public final class JsonInput {
    /** Schema of the rows produced: the bookkeeping columns of {@link SourceColumns}. */
    public static final StructType SCHEMA = new StructType()
            .add(SourceColumns.FILE, DataTypes.StringType, false)
            .add(SourceColumns.LINE, DataTypes.LongType, true)
            .add(SourceColumns.ROW, DataTypes.LongType, true)
            .add(SourceColumns.BAD, DataTypes.StringType, true)
            .add(SourceColumns.BAD_DETAIL, DataTypes.StringType, true)
            .add(SourceColumns.JSON, DataTypes.StringType, true);

    /** {@link SourceColumns#BAD} value of a row that stands for an unreadable file: the job stops with its detail. */
    public static final String FATAL = "fatal";

    private JsonInput() {}

    /** All records of the JSON Lines and JSON array files. */
    public static Dataset<Row> read(SparkSession spark, InputFiles files, HadoopConf conf) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        List<JavaRDD<Row>> parts = new ArrayList<>();
        if (!files.jsonLines().isEmpty()) parts.add(lines(jsc, files.jsonLines(), conf));
        if (!files.jsonArrays().isEmpty()) parts.add(arrays(jsc, files.jsonArrays(), conf));
        JavaRDD<Row> all = parts.isEmpty() ? jsc.emptyRDD() : parts.get(0);
        for (int i = 1; i < parts.size(); i++) all = all.union(parts.get(i));
        return spark.createDataFrame(all, SCHEMA);
    }

    /** Number of lines in one split of a file. */
    private record SplitLines(String file, long start, long lines) implements Serializable {}

    @SuppressWarnings("unchecked")
    private static JavaRDD<Row> lines(JavaSparkContext jsc, List<String> paths, HadoopConf conf) {
        JavaNewHadoopRDD<LongWritable, Text> rdd = (JavaNewHadoopRDD<LongWritable, Text>) jsc.newAPIHadoopFile(
                String.join(",", paths), TextInputFormat.class, LongWritable.class, Text.class, conf.get());
        // Pass 1: lines per split, to turn positions within a split into line numbers within the file.
        List<SplitLines> counts = rdd.mapPartitionsWithInputSplit((split, it) -> {
            FileSplit fs = (FileSplit) split;
            long n = 0;
            while (it.hasNext()) {
                it.next();
                n++;
            }
            return List.of(new SplitLines(fs.getPath().toString(), fs.getStart(), n)).iterator();
        }, true).collect();
        Map<String, Long> firstLine = new HashMap<>();
        Map<String, List<SplitLines>> byFile = new HashMap<>();
        for (SplitLines s : counts) byFile.computeIfAbsent(s.file(), k -> new ArrayList<>()).add(s);
        for (List<SplitLines> splits : byFile.values()) {
            splits.sort((a, b) -> Long.compare(a.start(), b.start()));
            long line = 1;
            for (SplitLines s : splits) {
                firstLine.put(s.file() + "@" + s.start(), line);
                line += s.lines();
            }
        }
        // Pass 2: the records, on the same RDD (hence the same splits).
        return rdd.mapPartitionsWithInputSplit((split, it) -> {
            FileSplit fs = (FileSplit) split;
            String file = fs.getPath().toString();
            long first = firstLine.get(file + "@" + fs.getStart());
            return new LineRows(file, first, it);
        }, true);
    }

    /** An iterator whose {@code hasNext()} fills {@link #pending}; {@code next()} hands it out. */
    private abstract static class Lookahead implements Iterator<Row> {
        protected Row pending;

        @Override
        public Row next() {
            if (!hasNext()) throw new NoSuchElementException();
            Row r = pending;
            pending = null;
            return r;
        }
    }

    /** Lazily turns the lines of one split into rows, skipping blank lines. */
    private static final class LineRows extends Lookahead {
        private final String file;
        private final Iterator<Tuple2<LongWritable, Text>> lines;
        private long line;

        LineRows(String file, long firstLine, Iterator<Tuple2<LongWritable, Text>> lines) {
            this.file = file;
            this.line = firstLine - 1;
            this.lines = lines;
        }

        @Override
        public boolean hasNext() {
            while (pending == null && lines.hasNext()) {
                Text t = lines.next()._2();
                line++;
                int from = 0;
                int len = t.getLength();
                byte[] b = t.getBytes();
                if (line == 1 && len >= 3 && (b[0] & 0xff) == 0xEF && (b[1] & 0xff) == 0xBB && (b[2] & 0xff) == 0xBF) from = 3;
                if (!blank(b, from, len)) pending = row(file, line, b, from, len);
            }
            return pending != null;
        }

    }

    private static boolean blank(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] != ' ' && b[i] != '\t' && b[i] != '\r') return false;
        }
        return true;
    }

    static Row row(String file, long line, byte[] b, int from, int to) {
        try {
            String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b, from, to - from)).toString();
            return RowFactory.create(file, line, null, null, null, text);
        } catch (CharacterCodingException e) {
            String lossy = new String(b, from, to - from, StandardCharsets.UTF_8);
            return RowFactory.create(file, line, null, RejectReason.INVALID_UTF8.code(),
                    "byte " + (firstInvalid(b, from, to) + 1) + " of the line is not valid UTF-8", lossy);
        }
    }

    /** Offset (from {@code from}) of the first byte where strict UTF-8 decoding fails. */
    private static int firstInvalid(byte[] b, int from, int to) {
        var dec = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(b, from, to - from);
        var out = java.nio.CharBuffer.allocate(to - from + 1);
        var res = dec.decode(in, out, true);
        return res.isError() ? in.position() - from : 0;
    }

    private static JavaRDD<Row> arrays(JavaSparkContext jsc, List<String> paths, HadoopConf conf) {
        return jsc.binaryFiles(String.join(",", paths)).flatMap(f -> new ArrayRows(f._1(), f._2(), conf));
    }

    /**
     * Streams the elements of one JSON array file as rows. A syntax error ends the file with one {@link #FATAL} row
     * carrying the message, which the driver raises: no task fails, so no executor stack trace reaches the user.
     */
    private static final class ArrayRows extends Lookahead {
        private static final ObjectMapper MAPPER = new ObjectMapper();
        private final String file;
        private JsonParser parser;
        private InputStream in;
        private long index;
        private boolean done;

        ArrayRows(String file, PortableDataStream data, HadoopConf conf) {
            this.file = new Path(file).toString();
            try {
                CompressionCodec codec = new CompressionCodecFactory(conf.get()).getCodec(new Path(file));
                InputStream raw = data.open();
                this.in = codec == null ? raw : codec.createInputStream(raw);
                this.parser = MAPPER.getFactory().createParser(in);
                if (parser.nextToken() != JsonToken.START_ARRAY) fail("expected a JSON array", null);
            } catch (IOException e) {
                fail(null, e);
            }
        }

        @Override
        public boolean hasNext() {
            if (pending != null) return true;
            if (done) return false;
            try {
                JsonToken t = parser.nextToken();
                if (t == JsonToken.END_ARRAY) {
                    if (parser.nextToken() != null) fail("unexpected content after the array", null);
                    else close();
                    return pending != null;
                }
                if (t == null) {
                    fail("the array is never closed", null);
                    return true;
                }
                long line = parser.currentTokenLocation().getLineNr();
                JsonNode node = MAPPER.readTree(parser);
                long i = index++;
                if (node.isObject()) {
                    pending = RowFactory.create(file, line, i, null, null, node.toString());
                } else {
                    pending = RowFactory.create(file, line, i, RejectReason.WRONG_TYPE.code(),
                            "element is " + node.getNodeType().name().toLowerCase() + ", expected a JSON object", node.toString());
                }
            } catch (IOException e) {
                fail(null, e);
            }
            return pending != null;
        }

        /** Ends the file with a {@link #FATAL} row describing the problem. */
        private void fail(String what, IOException cause) {
            JsonLocation loc = cause instanceof JsonProcessingException jp && jp.getLocation() != null ? jp.getLocation()
                    : parser != null ? parser.currentLocation() : null;
            String msg = what != null ? what
                    : cause instanceof JsonProcessingException jp ? firstLine(jp.getOriginalMessage())
                    : cause instanceof CharConversionException ? "not valid UTF-8: " + cause.getMessage()
                    : String.valueOf(cause.getMessage());
            String where = loc == null ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
            pending = RowFactory.create(file, loc == null ? null : (long) loc.getLineNr(), null, FATAL, file + ": invalid JSON array"
                    + where + ": " + msg + " (a JSON array file must be valid as a whole; JSON Lines input keeps going past"
                    + " broken lines)", null);
            close();
        }

        private void close() {
            done = true;
            try {
                if (parser != null) parser.close();
                if (in != null) in.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
