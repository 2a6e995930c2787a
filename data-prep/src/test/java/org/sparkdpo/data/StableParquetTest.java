package org.sparkdpo.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.parquet.format.ColumnChunk;
import org.apache.parquet.format.Encoding;
import org.apache.parquet.format.FileMetaData;
import org.apache.parquet.format.Util;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdpo.common.spark.SparkSessions;

/**
 * A footer whose encodings lists come in another order (what another JVM's HashSet gives) is rewritten to the same
 * bytes as the sorted one, and the data reads back unchanged.
 */
class StableParquetTest {
    static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = SparkSessions.forTests();
    }

    @Test
    void footersWithShuffledEncodingListsBecomeByteIdentical(@TempDir Path dir) throws Exception {
        spark.range(200).selectExpr("id", "cast(id % 7 as string) as s", "array(cast(id as int), 1) as ids").coalesce(1)
                .write().parquet(dir.resolve("spark").toString());
        Path written;
        try (var s = Files.list(dir.resolve("spark"))) {
            written = s.filter(p -> p.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
        }
        byte[] original = Files.readAllBytes(written);
        byte[] sorted = withEncodings(original, false);
        byte[] reversed = withEncodings(original, true);
        assertFalse(Arrays.equals(sorted, reversed), "the test needs chunks with several encodings");
        assertEquals(sorted.length, reversed.length);

        FileSystem fs = FileSystem.getLocal(new Configuration());
        Path a = Files.write(dir.resolve("a.parquet"), reversed);
        Path b = Files.write(dir.resolve("b.parquet"), sorted);
        StableParquet.stabilize(fs, new org.apache.hadoop.fs.Path(a.toUri()));
        StableParquet.stabilize(fs, new org.apache.hadoop.fs.Path(b.toUri()));   // already stable: untouched
        assertArrayEquals(sorted, Files.readAllBytes(a));
        assertArrayEquals(sorted, Files.readAllBytes(b));

        StableParquet.Written w = StableParquet.copy(fs, new org.apache.hadoop.fs.Path(written.toUri()), fs,
                new org.apache.hadoop.fs.Path(dir.resolve("c.parquet").toUri()));
        assertArrayEquals(sorted, Files.readAllBytes(dir.resolve("c.parquet")));
        assertEquals(sorted.length, w.bytes());
        assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(sorted)), w.sha256());

        List<Row> before = spark.read().parquet(written.toString()).orderBy("id").collectAsList();
        assertEquals(before, spark.read().parquet(a.toString()).orderBy("id").collectAsList());
        assertNotEquals(0, before.size());
    }

    /** The file with every column chunk's encodings list sorted (or sorted descending). */
    static byte[] withEncodings(byte[] file, boolean descending) throws Exception {
        int n = file.length;
        int footerLength = ByteBuffer.wrap(file, n - 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        int start = n - 8 - footerLength;
        FileMetaData meta = Util.readFileMetaData(new ByteArrayInputStream(file, start, footerLength));
        for (var group : meta.getRow_groups()) {
            for (ColumnChunk c : group.getColumns()) {
                List<Encoding> e = new ArrayList<>(c.getMeta_data().getEncodings());
                e.sort((x, y) -> Integer.compare(x.getValue(), y.getValue()));
                if (descending) Collections.reverse(e);
                c.getMeta_data().setEncodings(e);
            }
        }
        ByteArrayOutputStream footer = new ByteArrayOutputStream();
        Util.writeFileMetaData(meta, footer);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(file, 0, start);
        out.write(footer.toByteArray());
        out.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(footer.size()).array());
        out.write("PAR1".getBytes());
        return out.toByteArray();
    }
}
