package org.sparkdpo.model.io;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Malformed files built by hand: each must fail with a SafeTensorsFormatException naming the file and the problem. */
class SafeTensorsValidationTest {
    @TempDir
    Path dir;

    /** Opens {@code file} expecting failure; checks the message names the file and contains every fragment. */
    private static SafeTensorsFormatException rejects(Path file, String... fragments) {
        SafeTensorsFormatException e = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> assertThrows(SafeTensorsFormatException.class, () -> SafeTensorsFile.open(file).close()));
        String msg = e.getMessage();
        assertTrue(msg.startsWith(file.toString() + ": "), "message should start with the file: " + msg);
        for (String f : fragments) {
            assertTrue(msg.toLowerCase(Locale.ROOT).contains(f.toLowerCase(Locale.ROOT)),
                    "message should mention '" + f + "': " + msg);
        }
        return e;
    }

    private static String entry(String name, String dtype, String shape, long begin, long end) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" + begin + "," + end + "]}";
    }

    @Test
    void fileShorterThanTheLengthPrefix() throws IOException {
        Path p = dir.resolve("short.safetensors");
        Files.write(p, new byte[] {1, 2, 3, 4, 5});
        rejects(p, "5 bytes", "shorter than the 8-byte");
        Path empty = dir.resolve("empty.safetensors");
        Files.write(empty, new byte[0]);
        rejects(empty, "0 bytes");
    }

    @Test
    void everyTruncationOfAValidFileIsRejected() throws IOException {
        byte[] good = Files.readAllBytes(IoTestSupport.dtypeCases());
        for (int len = 0; len < good.length; len++) {
            Path p = dir.resolve("trunc.safetensors");
            Files.write(p, Arrays.copyOf(good, len));
            rejects(p);
        }
        Path p = dir.resolve("cut-header.safetensors");
        Files.write(p, Arrays.copyOf(good, 500));
        rejects(p, "header length 888", "runs past the end of the file", "truncated");
        Path q = dir.resolve("cut-data.safetensors");
        Files.write(q, Arrays.copyOf(good, good.length - 1));
        rejects(q, "u8_vec", "out of range", "143 bytes", "truncated");
    }

    @Test
    void hugeHeaderLengthFailsWithoutAllocating() throws IOException {
        byte[] header = "{}".getBytes(StandardCharsets.UTF_8);
        rejects(IoTestSupport.file(dir, "h40.safetensors", 1L << 40, header, 0), "header length 1099511627776", "limit");
        rejects(IoTestSupport.file(dir, "hmax.safetensors", -1L, header, 0), "18446744073709551615", "limit");
        rejects(IoTestSupport.file(dir, "h100m.safetensors", 100_000_001L, header, 0), "100000001", "limit");
        // within the limit but past the end of a small file
        rejects(IoTestSupport.file(dir, "hpast.safetensors", 50_000_000L, header, 0), "runs past the end");
    }

    @Test
    void headerNotJson() throws IOException {
        rejects(IoTestSupport.file(dir, "notjson.safetensors", "{this is not json}", 0), "not valid JSON");
        rejects(IoTestSupport.file(dir, "trailing.safetensors", "{} {}", 0), "not valid JSON");
        rejects(IoTestSupport.file(dir, "unclosed.safetensors", "{\"a\":{\"dtype\":\"F32\"", 0), "not valid JSON");
        rejects(IoTestSupport.file(dir, "dup.safetensors",
                "{" + entry("w", "F32", "[1]", 0, 4) + "," + entry("w", "F32", "[1]", 4, 8) + "}", 8), "duplicate", "'w'");
        rejects(IoTestSupport.file(dir, "nul.safetensors", "{}\0\0\0\0\0\0", 0), "not valid JSON");
    }

    @Test
    void headerNotUtf8() throws IOException {
        byte[] h = ("{\"w\u00e9\":" + "{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}").getBytes(StandardCharsets.UTF_8);
        byte[] bad = h.clone();
        int at = new String(h, StandardCharsets.ISO_8859_1).indexOf('\u00c3'); // first byte of é
        bad[at] = (byte) 0xff;
        rejects(IoTestSupport.file(dir, "latin.safetensors", bad.length, bad, 4), "not valid UTF-8");
        // the same header in proper UTF-8 is fine
        try (SafeTensorsFile f = SafeTensorsFile.open(IoTestSupport.file(dir, "utf8.safetensors", h.length, h, 4))) {
            assertTrue(f.contains("w\u00e9"));
        }
    }

    @Test
    void headerMustBeAnObject() throws IOException {
        rejects(IoTestSupport.file(dir, "array.safetensors", "[1,2,3]", 0), "starting with '{'", "'['");
        rejects(IoTestSupport.file(dir, "string.safetensors", "\"x\"", 0), "starting with '{'");
        rejects(IoTestSupport.file(dir, "space.safetensors", " {}", 0), "starting with '{'");
    }

    @Test
    void unknownDtypeListsTheKnownOnes() throws IOException {
        rejects(IoTestSupport.file(dir, "f8.safetensors", "{" + entry("w", "F8_E4M3", "[2]", 0, 2) + "}", 2),
                "tensor 'w'", "unknown", "'F8_E4M3'", "F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL");
        rejects(IoTestSupport.file(dir, "lower.safetensors", "{" + entry("w", "f32", "[1]", 0, 4) + "}", 4), "'f32'");
    }

    @Test
    void offsetsOutOfRange() throws IOException {
        rejects(IoTestSupport.file(dir, "range.safetensors", "{" + entry("w", "F32", "[2]", 0, 8) + "}", 4),
                "tensor 'w'", "out of range", "4 bytes");
        rejects(IoTestSupport.file(dir, "range2.safetensors",
                "{" + entry("a", "F32", "[1]", 0, 4) + "," + entry("b", "F32", "[1]", 1000, 1004) + "}", 8), "'b'", "out of range");
    }

    @Test
    void overlappingOffsets() throws IOException {
        rejects(IoTestSupport.file(dir, "overlap.safetensors",
                "{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("b", "F32", "[2]", 4, 12) + "}", 12), "'a'", "'b'", "overlap");
        rejects(IoTestSupport.file(dir, "same.safetensors",
                "{" + entry("a", "F32", "[1]", 0, 4) + "," + entry("b", "F32", "[1]", 0, 4) + "}", 4), "overlap");
        // an empty tensor placed inside another one also overlaps it
        rejects(IoTestSupport.file(dir, "emptyinside.safetensors",
                "{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("e", "F32", "[0]", 4, 4) + "}", 8), "'e'", "overlap");
    }

    @Test
    void holesInTheDataBuffer() throws IOException {
        rejects(IoTestSupport.file(dir, "hole.safetensors",
                "{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("b", "F32", "[2]", 12, 20) + "}", 20), "hole", "4 unused bytes", "'b'");
        rejects(IoTestSupport.file(dir, "lead.safetensors", "{" + entry("a", "F32", "[2]", 4, 12) + "}", 12), "hole", "'a'");
        rejects(IoTestSupport.file(dir, "tail.safetensors", "{" + entry("a", "F32", "[2]", 0, 8) + "}", 12), "hole", "4 unused bytes", "end");
        rejects(IoTestSupport.file(dir, "nothing.safetensors", "{}", 3), "hole", "3 unused bytes");
    }

    @Test
    void wrongByteCountForTheShape() throws IOException {
        rejects(IoTestSupport.file(dir, "count.safetensors", "{" + entry("w", "F32", "[3]", 0, 8) + "}", 8),
                "tensor 'w'", "wrong byte count", "8 bytes", "needs 12");
        rejects(IoTestSupport.file(dir, "scalar.safetensors", "{" + entry("s", "F64", "[]", 0, 4) + "}", 4),
                "'s'", "wrong byte count", "needs 8");
    }

    @Test
    void metadataMustMapStringsToStrings() throws IOException {
        rejects(IoTestSupport.file(dir, "meta.safetensors", "{\"__metadata__\":{\"format\":\"pt\",\"step\":3}}", 0),
                "__metadata__", "'step'", "expected a string");
        rejects(IoTestSupport.file(dir, "meta2.safetensors", "{\"__metadata__\":[\"pt\"]}", 0), "__metadata__", "an array");
        rejects(IoTestSupport.file(dir, "meta3.safetensors", "{\"__metadata__\":{\"a\":null}}", 0), "'a'", "null");
    }

    @Test
    void entryFieldsHaveExactlyTheRightTypes() throws IOException {
        rejects(IoTestSupport.file(dir, "neg.safetensors", "{" + entry("w", "F32", "[-1,2]", 0, 0) + "}", 0), "'w'", "negative dimension");
        rejects(IoTestSupport.file(dir, "ovf.safetensors", "{" + entry("w", "F32", "[4611686018427387904,4]", 0, 0) + "}", 0),
                "'w'", "overflow");
        rejects(IoTestSupport.file(dir, "big.safetensors", "{" + entry("w", "F32", "[18446744073709551616]", 0, 0) + "}", 0),
                "'w'", "too large");
        rejects(IoTestSupport.file(dir, "missing.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4), "'w'", "missing field 'data_offsets'");
        rejects(IoTestSupport.file(dir, "extra.safetensors",
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"stride\":[1]}}", 4), "'w'", "unexpected field 'stride'");
        rejects(IoTestSupport.file(dir, "fshape.safetensors", "{" + entry("w", "F32", "[1.0]", 0, 4) + "}", 4), "'w'", "shape", "integer");
        rejects(IoTestSupport.file(dir, "sshape.safetensors", "{" + entry("w", "F32", "\"[1]\"", 0, 4) + "}", 4), "'w'", "shape", "array");
        rejects(IoTestSupport.file(dir, "off3.safetensors",
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", 4), "'w'", "data_offsets", "expected 2");
        rejects(IoTestSupport.file(dir, "backwards.safetensors", "{" + entry("w", "F32", "[1]", 4, 0) + "}", 4), "'w'", "begin > end");
        rejects(IoTestSupport.file(dir, "dtnum.safetensors",
                "{\"w\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "'w'", "dtype", "expected a string");
        rejects(IoTestSupport.file(dir, "entrystr.safetensors", "{\"w\":\"F32\"}", 0), "'w'", "expected an object");
    }

    @Test
    void validEdgeCasesAreAccepted() throws IOException {
        // no tensors at all, an empty tensor at the very end, trailing space padding
        try (SafeTensorsFile f = SafeTensorsFile.open(IoTestSupport.file(dir, "none.safetensors", "{}      ", 0))) {
            assertTrue(f.tensors().isEmpty() && f.metadata().isEmpty());
        }
        try (SafeTensorsFile f = SafeTensorsFile.open(IoTestSupport.file(dir, "endempty.safetensors",
                "{" + entry("a", "F32", "[1]", 0, 4) + "," + entry("e", "I64", "[0,5]", 4, 4) + "}", 4))) {
            assertTrue(f.read("e").isEmpty());
            assertTrue(f.read("a").getDouble(0) == 0.0);
        }
    }
}
