package org.sparkdpo.data;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.format.ColumnChunk;
import org.apache.parquet.format.Encoding;
import org.apache.parquet.format.FileMetaData;
import org.apache.parquet.format.RowGroup;
import org.apache.parquet.format.Util;

/**
 * Parquet files whose bytes depend only on their contents. parquet-mr (1.13) collects each column chunk's encodings
 * in a {@code HashSet<Encoding>} and writes the footer's {@code encodings} list in that set's iteration order, which
 * follows the enum constants' identity hash codes and so changes from JVM to JVM: equal rows written by two JVMs
 * differ in a few footer bytes. {@link #copy} and {@link #stabilize} rewrite the footer with every such list sorted by
 * encoding number; the data pages, offsets and everything else stay as written (the footer is the file's tail, so no
 * offset moves).
 */
public final class StableParquet {
    private static final byte[] MAGIC = "PAR1".getBytes(StandardCharsets.US_ASCII);

    private StableParquet() {}

    /** A written file: its size and SHA-256 (hex). */
    public record Written(long bytes, String sha256) implements java.io.Serializable {}

    /** Copies the Parquet file {@code src} to {@code dst} (created, not overwritten) with a stable footer. */
    public static Written copy(FileSystem srcFs, Path src, FileSystem dstFs, Path dst) throws IOException {
        long len = srcFs.getFileStatus(src).getLen();
        try (FSDataInputStream in = srcFs.open(src)) {
            Tail tail = Tail.read(in, len, src);
            MessageDigest md = sha256();
            try (OutputStream out = new DigestOutputStream(dstFs.create(dst, false), md)) {
                in.seek(0);
                copyBytes(in, out, tail.footerStart);
                tail.writeStable(out);
            }
            return new Written(tail.footerStart + tail.stableFooter.length + 8, HexFormat.of().formatHex(md.digest()));
        }
    }

    /**
     * Makes {@code file} stable in place: when its footer is not, it is copied with a stable footer to a hidden
     * sibling that then replaces it (not atomic: use on files nobody reads yet, e.g. a task's temporary output).
     */
    public static void stabilize(FileSystem fs, Path file) throws IOException {
        try (FSDataInputStream in = fs.open(file)) {
            if (Tail.read(in, fs.getFileStatus(file).getLen(), file).isStable()) return;
        }
        Path tmp = new Path(file.getParent(), "." + file.getName() + ".stable-" + UUID.randomUUID());
        try {
            copy(fs, file, fs, tmp);
            if (!fs.delete(file, false) || !fs.rename(tmp, file)) throw new IOException("cannot replace " + file + " by " + tmp);
        } finally {
            if (fs.exists(tmp)) fs.delete(tmp, false);
        }
    }

    /** The footer bytes with every column chunk's encodings list sorted (same bytes when already sorted). */
    static byte[] stableFooter(byte[] footer) throws IOException {
        FileMetaData meta = Util.readFileMetaData(new ByteArrayInputStream(footer));
        boolean changed = false;
        for (RowGroup group : meta.getRow_groups()) {
            for (ColumnChunk chunk : group.getColumns()) {
                if (!chunk.isSetMeta_data() || chunk.getMeta_data().getEncodings() == null) continue;
                List<Encoding> encodings = chunk.getMeta_data().getEncodings();
                Encoding[] sorted = encodings.toArray(Encoding[]::new);
                Arrays.sort(sorted, Comparator.comparingInt(Encoding::getValue));
                if (!Arrays.asList(sorted).equals(encodings)) {
                    chunk.getMeta_data().setEncodings(new java.util.ArrayList<>(Arrays.asList(sorted)));
                    changed = true;
                }
            }
        }
        if (!changed) return footer;
        ByteArrayOutputStream out = new ByteArrayOutputStream(footer.length);
        Util.writeFileMetaData(meta, out);
        return out.toByteArray();
    }

    /** The end of a Parquet file: [footer][footer length, 4 bytes little-endian]["PAR1"]. */
    private record Tail(long footerStart, byte[] footer, byte[] stableFooter) {
        static Tail read(FSDataInputStream in, long len, Path file) throws IOException {
            if (len < 12) throw new IOException(file + " is not a Parquet file (" + len + " bytes)");
            byte[] end = new byte[8];
            in.readFully(len - 8, end);
            if (!Arrays.equals(Arrays.copyOfRange(end, 4, 8), MAGIC)) {
                throw new IOException(file + " is not a Parquet file (no PAR1 at its end)");
            }
            int footerLength = (end[0] & 0xff) | (end[1] & 0xff) << 8 | (end[2] & 0xff) << 16 | (end[3] & 0xff) << 24;
            long footerStart = len - 8 - footerLength;
            if (footerLength < 0 || footerStart < 4) throw new IOException(file + ": bad Parquet footer length " + footerLength);
            byte[] footer = new byte[footerLength];
            in.readFully(footerStart, footer);
            return new Tail(footerStart, footer, StableParquet.stableFooter(footer));
        }

        boolean isStable() {
            return stableFooter == footer;
        }

        void writeStable(OutputStream out) throws IOException {
            out.write(stableFooter);
            int n = stableFooter.length;
            out.write(new byte[] {(byte) n, (byte) (n >>> 8), (byte) (n >>> 16), (byte) (n >>> 24)});
            out.write(MAGIC);
        }
    }

    private static void copyBytes(InputStream in, OutputStream out, long n) throws IOException {
        byte[] buf = new byte[1 << 16];
        long left = n;
        while (left > 0) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (r < 0) throw new IOException("unexpected end of file after " + (n - left) + " of " + n + " bytes");
            out.write(buf, 0, r);
            left -= r;
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
