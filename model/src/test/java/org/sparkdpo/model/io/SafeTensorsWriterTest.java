package org.sparkdpo.model.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedByInterruptException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.sparkdpo.model.io.SafeTensorsWriter.RawTensor;

/** Writer: bit-exact round trips, rounding, header layout, and atomicity. */
class SafeTensorsWriterTest {
    @TempDir
    Path dir;

    private static final Map<String, String> META = Map.of("format", "pt");

    private static byte[] randomBytes(Random r, DType t, long numel) {
        byte[] b = new byte[(int) (numel * t.byteSize())];
        r.nextBytes(b);
        if (t == DType.BOOL) for (int i = 0; i < b.length; i++) b[i] &= 1;
        return b;
    }

    private static byte[] header(Path file) throws IOException {
        byte[] all = Files.readAllBytes(file);
        long n = ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        return Arrays.copyOfRange(all, 8, 8 + (int) n);
    }

    @Test
    void writeRawRoundTripsEveryDtypeBitExactly() throws IOException {
        Random r = new Random(42);
        List<RawTensor> in = new ArrayList<>();
        for (DType t : DType.values()) {
            in.add(new RawTensor(t.name().toLowerCase() + ".matrix", t, new long[] {3, 5}, randomBytes(r, t, 15)));
            in.add(new RawTensor(t.name().toLowerCase() + ".scalar", t, new long[] {}, randomBytes(r, t, 1)));
            in.add(new RawTensor(t.name().toLowerCase() + ".empty", t, new long[] {4, 0, 2}, new byte[0]));
        }
        Path p = dir.resolve("raw.safetensors");
        SafeTensorsWriter.writeRaw(p, in, Map.of("format", "pt", "note", "unicode \u00e9 \"quoted\""));
        try (SafeTensorsFile f = SafeTensorsFile.open(p)) {
            assertEquals(Map.of("format", "pt", "note", "unicode \u00e9 \"quoted\""), f.metadata());
            assertEquals(in.stream().map(RawTensor::name).toList(), new ArrayList<>(f.tensors().keySet()));
            for (RawTensor t : in) {
                assertEquals(t.dtype(), f.info(t.name()).dtype(), t.name());
                assertArrayEquals(t.shape(), f.info(t.name()).shape(), t.name());
                assertArrayEquals(t.littleEndianData(), IoTestSupport.bytes(f.raw(t.name())), t.name());
                // and through ND4J memory, in the file's own dtype
                INDArray a = f.read(t.name());
                assertArrayEquals(t.shape(), a.shape(), t.name());
                assertArrayEquals(t.littleEndianData(), IoTestSupport.nd4jBytes(a), t.name());
            }
        }
    }

    @Test
    void writeRawReproducesTheOracleFileByteForByte() throws IOException {
        JsonNode cases = new ObjectMapper().readTree(IoTestSupport.dtypeCasesJson().toFile());
        List<Map.Entry<String, JsonNode>> entries = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = cases.get("tensors").fields(); it.hasNext(); ) entries.add(it.next());
        entries.sort((a, b) -> {
            JsonNode oa = a.getValue().get("data_offsets"), ob = b.getValue().get("data_offsets");
            int c = Long.compare(oa.get(0).longValue(), ob.get(0).longValue());
            return c != 0 ? c : Long.compare(oa.get(1).longValue(), ob.get(1).longValue());
        });
        List<RawTensor> raw = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : entries) {
            JsonNode x = e.getValue();
            long[] shape = new long[x.get("shape").size()];
            for (int i = 0; i < shape.length; i++) shape[i] = x.get("shape").get(i).longValue();
            raw.add(new RawTensor(e.getKey(), DType.valueOf(x.get("dtype").textValue()), shape,
                    IoTestSupport.hex(x.get("raw_hex").textValue())));
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("purpose", "dtype conformance");
        Path p = dir.resolve("again.safetensors");
        SafeTensorsWriter.writeRaw(p, raw, meta);
        assertArrayEquals(Files.readAllBytes(IoTestSupport.dtypeCases()), Files.readAllBytes(p));
    }

    @Test
    void writeNd4jArraysThenReadGivesIdenticalValues() throws IOException {
        Random r = new Random(7);
        Map<String, INDArray> in = new LinkedHashMap<>();
        in.put("double", Nd4j.rand(DataType.DOUBLE, 3, 4).subi(0.5).muli(1e300));
        in.put("float", Nd4j.randn(DataType.FLOAT, 2, 3, 4));
        in.put("half", Nd4j.randn(DataType.FLOAT, 7).castTo(DataType.FLOAT16));
        in.put("bf16", Nd4j.randn(DataType.FLOAT, 2, 2).castTo(DataType.BFLOAT16));
        in.put("long", Nd4j.createFromArray(Long.MIN_VALUE, -1L, 0L, Long.MAX_VALUE));
        in.put("int", Nd4j.createFromArray(new int[][] {{Integer.MIN_VALUE, 1}, {2, Integer.MAX_VALUE}}));
        in.put("short", Nd4j.createFromArray(new short[] {Short.MIN_VALUE, 0, Short.MAX_VALUE}));
        in.put("byte", Nd4j.createFromArray(new byte[] {Byte.MIN_VALUE, 0, Byte.MAX_VALUE}));
        in.put("ubyte", Nd4j.createFromArray(new byte[] {0, 1, (byte) 200, (byte) 255}).castTo(DataType.UINT8));
        in.put("bool", Nd4j.createFromArray(true, false, false, true));
        in.put("scalar", Nd4j.scalar(DataType.DOUBLE, -3.25));
        in.put("empty", Nd4j.create(DataType.FLOAT, 3, 0));
        INDArray base = Nd4j.randn(DataType.FLOAT, 4, 6);
        in.put("transposed_view", base.transpose());
        in.put("row_slice_view", base.get(NDArrayIndex.interval(1, 3), NDArrayIndex.all()));
        in.put("column_view", base.get(NDArrayIndex.all(), NDArrayIndex.interval(2, 5)));
        in.put("f_order", Nd4j.randn(DataType.DOUBLE, new long[] {3, 5}).dup('f'));
        Path p = dir.resolve("nd4j.safetensors");
        SafeTensorsWriter.write(p, in, META);
        try (SafeTensorsFile f = SafeTensorsFile.open(p)) {
            assertEquals(META, f.metadata());
            assertEquals(new ArrayList<>(in.keySet()), new ArrayList<>(f.tensors().keySet()));
            for (Map.Entry<String, INDArray> e : in.entrySet()) {
                INDArray want = e.getValue(), got = f.read(e.getKey());
                assertEquals(want.dataType(), got.dataType(), e.getKey());
                assertArrayEquals(want.shape(), got.shape(), e.getKey());
                assertEquals(DType.of(want.dataType()), f.info(e.getKey()).dtype());
                for (long i = 0; i < want.length(); i++) {
                    long[] idx = org.nd4j.linalg.api.shape.Shape.ind2subC(want, i);
                    if (want.dataType().isFPType()) {
                        assertEquals(Double.doubleToRawLongBits(want.getDouble(idx)), Double.doubleToRawLongBits(got.getDouble(idx)),
                                e.getKey() + Arrays.toString(idx));
                    } else {
                        assertEquals(want.getLong(idx), got.getLong(idx), e.getKey() + Arrays.toString(idx));
                    }
                }
            }
            // the transposed view is stored in its logical row-major order, not the buffer order
            assertEquals(base.getDouble(1, 0), f.read("transposed_view").getDouble(0, 1));
        }
    }

    private static String hex4(short s) {
        return String.format("%04x", s & 0xffff);
    }

    private static short[] storedShorts(Path file, String name) throws IOException {
        try (SafeTensorsFile f = SafeTensorsFile.open(file)) {
            ByteBuffer b = f.raw(name);
            short[] out = new short[b.remaining() / 2];
            b.asShortBuffer().get(out);
            return out;
        }
    }

    private static void checkRounding(Path dir, DType storeAs, int[] inputBits, int[] expectedBits) throws IOException {
        float[] f = new float[inputBits.length];
        for (int i = 0; i < f.length; i++) f[i] = Float.intBitsToFloat(inputBits[i]);
        Path p = dir.resolve("round-" + storeAs + ".safetensors");
        SafeTensorsWriter.write(p, Map.of("x", Nd4j.createFromArray(f)), META, storeAs);
        short[] got = storedShorts(p, "x");
        for (int i = 0; i < f.length; i++) {
            assertEquals(hex4((short) expectedBits[i]), hex4(got[i]),
                    storeAs + " of float " + String.format("%08x", inputBits[i]) + " (" + f[i] + ")");
        }
    }

    @Test
    void bf16RoundsToNearestEvenLikeTorch() throws IOException {
        int[] in = {
            0x3F800000, // 1.0
            0x3F808000, // 1 + 2^-8: exactly halfway between 0x3F80 and 0x3F81, tie to even 0x3F80
            0x3F818000, // 1 + 3*2^-8: halfway between 0x3F81 and 0x3F82, tie to even 0x3F82
            0x3F808001, // just above halfway: up
            0x3F807FFF, // just below halfway: down
            0xBF808000, // negative tie: magnitude to even
            0x7F7FFFFF, // Float.MAX_VALUE rounds up to infinity (torch does the same)
            0x7F7F7FFF, // below the tie: largest finite bf16
            0x7F800000, 0xFF800000, // infinities stay
            0x7FC00000, 0xFFC00001, // NaNs become torch's canonical 0x7FC0
            0x00000001, // smallest subnormal: to zero
            0x007F8000, // subnormal tie, 0x007F odd: up to 0x0080
            0x80000000, // -0.0 keeps its sign
        };
        int[] want = {0x3F80, 0x3F80, 0x3F82, 0x3F81, 0x3F80, 0xBF80, 0x7F80, 0x7F7F, 0x7F80, 0xFF80, 0x7FC0, 0x7FC0,
                      0x0000, 0x0080, 0x8000};
        checkRounding(dir, DType.BF16, in, want);
    }

    @Test
    void f16RoundsToNearestEven() throws IOException {
        int[] in = {
            Float.floatToIntBits(1f),
            0x3F801000, // 1 + 2^-11: halfway between 0x3C00 and 0x3C01, to even 0x3C00
            0x3F803000, // 1 + 3*2^-11: halfway between 0x3C01 and 0x3C02, to even 0x3C02
            0x3F801001, // above halfway: 0x3C01
            Float.floatToIntBits(65504f), Float.floatToIntBits(65519f), // max half; still rounds down to it
            Float.floatToIntBits(65520f), Float.floatToIntBits(-65520f), Float.floatToIntBits(1e10f), // tie to even = inf
            Float.floatToIntBits(0x1p-14f), // smallest normal
            Float.floatToIntBits(0x1p-24f), // smallest subnormal
            Float.floatToIntBits(0x1p-25f), // tie between 0 and 2^-24: to even 0
            Float.floatToIntBits(0x3p-25f), // tie between 1 and 2 units of 2^-24: to 2
            Float.floatToIntBits(0x1p-25f + 0x1p-40f), // above the tie: 1 unit
            Float.floatToIntBits(0x1p-14f - 0x1p-25f), // 1023.5 units: tie, 1023 odd, so up to the smallest normal
            Float.floatToIntBits(0.1f), Float.floatToIntBits(1f / 3), // 0x2E66, 0x3555 (the fixture's 0.333251953125)
            0x80000000, 0x7F800000, 0x7FC00000, 0xFFC00000,
        };
        int[] want = {0x3C00, 0x3C00, 0x3C02, 0x3C01, 0x7BFF, 0x7BFF, 0x7C00, 0xFC00, 0x7C00, 0x0400, 0x0001, 0x0000, 0x0002,
                      0x0001, 0x0400, 0x2E66, 0x3555, 0x8000, 0x7C00, 0x7E00, 0xFE00};
        checkRounding(dir, DType.F16, in, want);
    }

    @Test
    void roundingAgreesWithNd4jCastsOnRandomFloats() throws IOException {
        // ND4J's native casts are an independent implementation; NaN payloads are the only known difference.
        Random r = new Random(3);
        float[] f = new float[200_000];
        for (int i = 0; i < f.length; i++) {
            do f[i] = Float.intBitsToFloat(r.nextInt()); while (Float.isNaN(f[i]));
        }
        INDArray x = Nd4j.createFromArray(f);
        for (DType t : List.of(DType.F16, DType.BF16)) {
            Path p = dir.resolve("cmp-" + t + ".safetensors");
            SafeTensorsWriter.write(p, Map.of("x", x), META, t);
            try (SafeTensorsFile file = SafeTensorsFile.open(p)) {
                assertArrayEquals(IoTestSupport.nd4jBytes(x.castTo(t.nd4jType())), IoTestSupport.bytes(file.raw("x")), t.name());
            }
        }
    }

    @Test
    void everyHalfAndBf16BitPatternWidensLikeNd4j() throws IOException {
        byte[] all = new byte[2 * 65536];
        for (int i = 0; i < 65536; i++) {
            all[2 * i] = (byte) i;
            all[2 * i + 1] = (byte) (i >>> 8);
        }
        Path p = dir.resolve("patterns.safetensors");
        SafeTensorsWriter.writeRaw(p, List.of(new RawTensor("h", DType.F16, new long[] {65536}, all),
                new RawTensor("b", DType.BF16, new long[] {65536}, all)), Map.of());
        try (SafeTensorsFile f = SafeTensorsFile.open(p)) {
            for (String name : List.of("h", "b")) {
                INDArray mine = f.read(name, DataType.FLOAT);
                INDArray nd4j = f.read(name).castTo(DataType.FLOAT);
                for (int i = 0; i < 65536; i++) {
                    float a = mine.getFloat(i), b = nd4j.getFloat(i);
                    if (Float.isNaN(a) || Float.isNaN(b)) {
                        assertTrue(Float.isNaN(a) && Float.isNaN(b), name + " pattern " + Integer.toHexString(i));
                    } else {
                        assertEquals(Float.floatToRawIntBits(b), Float.floatToRawIntBits(a), name + " pattern " + Integer.toHexString(i));
                    }
                }
                // and narrowing back gives every non-NaN pattern again
                INDArray d = f.read(name, DataType.DOUBLE);
                Path back = dir.resolve("back-" + name + ".safetensors");
                SafeTensorsWriter.write(back, Map.of("x", d), Map.of(), f.info(name).dtype());
                short[] s = storedShorts(back, "x");
                for (int i = 0; i < 65536; i++) {
                    if (!Float.isNaN(mine.getFloat(i))) assertEquals(hex4((short) i), hex4(s[i]), name);
                }
            }
        }
    }

    @Test
    void storeAsConvertsOnlyFloats() throws IOException {
        Map<String, INDArray> in = new LinkedHashMap<>();
        in.put("w", Nd4j.createFromArray(0.1, 1e-300, 3.0));
        in.put("ids", Nd4j.createFromArray(1L, 2L));
        in.put("mask", Nd4j.createFromArray(true, false));
        Path p = dir.resolve("store.safetensors");
        SafeTensorsWriter.write(p, in, META, DType.F32);
        try (SafeTensorsFile f = SafeTensorsFile.open(p)) {
            assertEquals(DType.F32, f.info("w").dtype());
            assertEquals(DType.I64, f.info("ids").dtype());
            assertEquals(DType.BOOL, f.info("mask").dtype());
            INDArray w = f.read("w");
            assertEquals(0.1f, w.getFloat(0));
            assertEquals(0f, w.getFloat(1));
        }
        // F64 to BF16 goes through F32 like torch: 1 + 2^-8 + 2^-30 first rounds to the F32 tie 1 + 2^-8, then to even.
        Path q = dir.resolve("double-round.safetensors");
        SafeTensorsWriter.write(q, Map.of("x", Nd4j.createFromArray(1 + 0x1p-8 + 0x1p-30)), META, DType.BF16);
        assertEquals("3f80", hex4(storedShorts(q, "x")[0]));
        assertThrows(IllegalArgumentException.class, () -> SafeTensorsWriter.write(q, in, META, DType.I32));
    }

    @Test
    void headerIsCompactMetadataFirstAndPaddedTo8() throws IOException {
        for (int nameLen = 1; nameLen <= 17; nameLen++) {
            Path p = dir.resolve("align" + nameLen + ".safetensors");
            Map<String, INDArray> in = new LinkedHashMap<>();
            in.put("z".repeat(nameLen), Nd4j.createFromArray(1f, 2f, 3f));
            in.put("a", Nd4j.createFromArray((byte) 1));
            SafeTensorsWriter.write(p, in, META);
            byte[] h = header(p);
            assertEquals(0, (8 + h.length) % 8, "8+N for name length " + nameLen);
            String text = new String(h, StandardCharsets.UTF_8);
            String json = "{\"__metadata__\":{\"format\":\"pt\"},\"" + "z".repeat(nameLen)
                    + "\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]},\"a\":{\"dtype\":\"I8\",\"shape\":[1],\"data_offsets\":[12,13]}}";
            assertEquals(json, text.stripTrailing());
            assertTrue(text.substring(json.length()).chars().allMatch(c -> c == ' '), "padding is spaces");
            assertTrue(text.length() - json.length() < 8);
            try (SafeTensorsFile f = SafeTensorsFile.open(p)) {
                assertEquals(3, f.read("z".repeat(nameLen)).length());
                assertEquals(Files.size(p), 8 + h.length + 13);
            }
        }
        Path noMeta = dir.resolve("nometa.safetensors");
        SafeTensorsWriter.write(noMeta, Map.of("x", Nd4j.createFromArray(1.0)), Map.of());
        assertTrue(new String(header(noMeta), StandardCharsets.UTF_8).startsWith("{\"x\":"));
    }

    @Test
    void writerRefusesBadInputBeforeCreatingAnything() throws IOException {
        Path p = dir.resolve("bad.safetensors");
        assertThrows(IllegalArgumentException.class, () -> SafeTensorsWriter.writeRaw(p,
                List.of(new RawTensor("x", DType.F32, new long[] {3}, new byte[8])), META));
        assertThrows(IllegalArgumentException.class, () -> SafeTensorsWriter.writeRaw(p,
                List.of(new RawTensor("x", DType.I8, new long[] {1}, new byte[1]), new RawTensor("x", DType.I8, new long[] {1}, new byte[1])), META));
        assertThrows(IllegalArgumentException.class, () -> SafeTensorsWriter.writeRaw(p,
                List.of(new RawTensor("__metadata__", DType.I8, new long[] {1}, new byte[1])), META));
        assertThrows(IllegalArgumentException.class, () -> SafeTensorsWriter.write(p,
                Map.of("s", Nd4j.create(DataType.UINT16, 2)), META));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(0, s.count(), "nothing written");
        }
    }

    @Test
    void failedMoveLeavesNoFileAndNoTemp() throws IOException {
        // The target is a non-empty folder, so both the atomic and the replacing move fail after the data was written.
        Path target = dir.resolve("model.safetensors");
        Files.createDirectory(target);
        Files.writeString(target.resolve("keep.txt"), "x");
        IOException e = assertThrows(IOException.class,
                () -> SafeTensorsWriter.write(target, Map.of("x", Nd4j.createFromArray(1f)), META));
        assertFalse(e instanceof SafeTensorsFormatException);
        assertTrue(Files.isDirectory(target));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(target), s.toList(), "no temp file left behind");
        }
        // a missing parent folder fails cleanly too
        assertThrows(NoSuchFileException.class, () -> SafeTensorsWriter.write(dir.resolve("nope/x.safetensors"),
                Map.of("x", Nd4j.createFromArray(1f)), META));
    }

    @Test
    void interruptedWriteKeepsTheOldFile() throws IOException {
        Path target = dir.resolve("adapter.safetensors");
        SafeTensorsWriter.write(target, Map.of("old", Nd4j.createFromArray(1f, 2f)), META);
        byte[] before = Files.readAllBytes(target);
        Map<String, INDArray> big = Map.of("new", Nd4j.randn(DataType.FLOAT, 1000, 100));
        Thread.currentThread().interrupt(); // the FileChannel closes itself on its first write
        try {
            assertThrows(ClosedByInterruptException.class, () -> SafeTensorsWriter.write(target, big, META));
        } finally {
            Thread.interrupted();
        }
        assertArrayEquals(before, Files.readAllBytes(target));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(target), s.toList(), "no temp file left behind");
        }
        // and a normal write replaces it
        SafeTensorsWriter.write(target, big, META);
        try (SafeTensorsFile f = SafeTensorsFile.open(target)) {
            assertEquals(List.of("new"), new ArrayList<>(f.tensors().keySet()));
        }
    }
}
