package org.sparkdpo.jobs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.FileNotFoundException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdpo.common.spark.SparkSessions;

class ShowCommandTest {
    @TempDir
    static Path tmp;
    static SparkSession spark;
    static String data;

    static final String ROW1 = "{\"id\":1,\"name\":\"a \\\"quoted\\\" é\",\"tokens\":[1,2,3],\"score\":0.5,\"blob\":\"AAH/\"}";
    static final String ROW2 = "{\"id\":2,\"name\":null,\"tokens\":[],\"score\":-1.25,\"blob\":null}";
    static final String ROW3 = "{\"id\":3,\"name\":\"c\",\"tokens\":null,\"score\":null,\"blob\":\"\"}";

    @BeforeAll
    static void writeParquet() {
        spark = SparkSessions.forTests();
        StructType schema = new StructType()
                .add("id", DataTypes.IntegerType, false)
                .add("name", DataTypes.StringType)
                .add("tokens", DataTypes.createArrayType(DataTypes.IntegerType))
                .add("score", DataTypes.DoubleType)
                .add("blob", DataTypes.BinaryType);
        List<Row> rows = List.of(
                RowFactory.create(1, "a \"quoted\" é", Arrays.asList(1, 2, 3).toArray(), 0.5, new byte[] {0, 1, -1}),
                RowFactory.create(2, null, new Integer[0], -1.25, null),
                RowFactory.create(3, "c", null, null, new byte[0]));
        data = tmp.resolve("rows.parquet").toString();
        spark.createDataFrame(rows, schema).coalesce(1).write().parquet(data);
    }

    private static String show(String path, int limit, List<String> columns) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ShowCommand.show(spark, path, limit, columns, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void printsEveryRowAsOneJsonLine() throws Exception {
        assertEquals(ROW1 + "\n" + ROW2 + "\n" + ROW3 + "\n", show(data, 0, List.of()));
    }

    @Test
    void limitAndColumns() throws Exception {
        assertEquals(ROW1 + "\n" + ROW2 + "\n", show(data, 2, List.of()));
        assertEquals("{\"score\":0.5,\"id\":1}\n", show(data, 1, List.of("score", "id")));
    }

    @Test
    void readsASingleFileAndNestedTypes() throws Exception {
        String nested = tmp.resolve("nested").toString();
        spark.sql("select named_struct('k', 1L, 'v', array(array(1.5f))) as s, map('x', 2) as m, "
                + "cast(12.50 as decimal(6,2)) as d, date'2024-02-03' as day, "
                + "timestamp'2024-02-03 04:05:06' as ts, cast(null as boolean) as flag, true as yes")
                .coalesce(1).write().parquet(nested);
        String expected = "{\"s\":{\"k\":1,\"v\":[[1.5]]},\"m\":{\"x\":2},\"d\":12.50,\"day\":\"2024-02-03\","
                + "\"ts\":\"2024-02-03T04:05:06Z\",\"flag\":null,\"yes\":true}\n";
        assertEquals(expected, show(nested, 0, List.of()));
        String part = java.nio.file.Files.list(Path.of(nested)).map(Path::toString)
                .filter(p -> p.endsWith(".parquet")).findFirst().orElseThrow();
        assertEquals(expected, show("file://" + part, 5, List.of()));
    }

    @Test
    void missingPathIsNamed() {
        String missing = tmp.resolve("no-such-output").toString();
        FileNotFoundException e = assertThrows(FileNotFoundException.class, () -> show(missing, 0, List.of()));
        assertEquals("no such file or folder: " + missing, e.getMessage());
    }

    @Test
    void unknownColumnListsTheKnownOnes() {
        UsageException e = assertThrows(UsageException.class, () -> show(data, 0, List.of("id", "nme")));
        assertEquals("--columns: no column nme in " + data + " (columns: id, name, tokens, score, blob)", e.getMessage());
    }

    @Test
    void throughMainStdoutHoldsOnlyJsonLines() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        assertEquals(ExitCodes.OK, Main.run(List.of(new ShowCommand(o)), new String[] {"show", data, "--limit", "1"}, o, e));
        assertEquals(ROW1 + "\n", out.toString(StandardCharsets.UTF_8));

        String missing = tmp.resolve("gone").toString();
        err.reset();
        assertEquals(ExitCodes.FAILURE, Main.run(List.of(new ShowCommand(o)), new String[] {"show", missing}, o, e));
        assertEquals("error: no such file or folder: " + missing + "\n", err.toString(StandardCharsets.UTF_8));

        err.reset();
        assertEquals(ExitCodes.USAGE, Main.run(List.of(new ShowCommand(o)), new String[] {"show", data, "--limit", "-1"}, o, e));
        assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("error: --limit: must be >= 0, got -1\n"));
    }
}
