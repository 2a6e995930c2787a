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
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Reads every tensor of the dtype conformance fixture and checks it against the values its JSON gives. */
class SafeTensorsFileTest {
    private static JsonNode cases;

    @BeforeAll
    static void loadCases() throws IOException {
        cases = new ObjectMapper().readTree(IoTestSupport.dtypeCasesJson().toFile());
    }

    private static Map<String, JsonNode> expectedTensors() {
        Map<String, JsonNode> m = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = cases.get("tensors").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            m.put(e.getKey(), e.getValue());
        }
        return m;
    }

    private static long[] longs(JsonNode arr) {
        long[] out = new long[arr.size()];
        for (int i = 0; i < out.length; i++) out[i] = arr.get(i).longValue();
        return out;
    }

    @Test
    void headerMetadataAndEntriesMatchTheJson() throws IOException {
        try (SafeTensorsFile f = SafeTensorsFile.open(IoTestSupport.dtypeCases())) {
            assertEquals(Map.of("format", "pt", "purpose", "dtype conformance"), f.metadata());
            assertEquals(expectedTensors().keySet(), f.tensors().keySet());
            for (Map.Entry<String, JsonNode> e : expectedTensors().entrySet()) {
                TensorInfo t = f.info(e.getKey());
                JsonNode x = e.getValue();
                assertEquals(x.get("dtype").textValue(), t.dtype().name(), e.getKey());
                assertArrayEquals(longs(x.get("shape")), t.shape(), e.getKey());
                assertArrayEquals(longs(x.get("data_offsets")), new long[] {t.begin(), t.end()}, e.getKey());
                assertEquals(x.get("values").size(), t.numElements(), e.getKey());
                assertArrayEquals(IoTestSupport.hex(x.get("raw_hex").textValue()), IoTestSupport.bytes(f.raw(e.getKey())),
                        e.getKey());
                assertTrue(f.raw(e.getKey()).isReadOnly());
                assertEquals(ByteOrder.LITTLE_ENDIAN, f.raw(e.getKey()).order());
            }
            assertFalse(f.contains("__metadata__"));
        }
    }

    @Test
    void tensorsComeInHeaderOrder() throws IOException {
        // The fixture's header lists tensors by offset; the JSON side file lists them differently.
        List<String> byOffset = new ArrayList<>(expectedTensors().keySet());
        byOffset.sort((a, b) -> {
            long[] oa = longs(expectedTensors().get(a).get("data_offsets")), ob = longs(expectedTensors().get(b).get("data_offsets"));
            return oa[0] != ob[0] ? Long.compare(oa[0], ob[0]) : Long.compare(oa[1], ob[1]);
        });
        try (SafeTensorsFile f = SafeTensorsFile.open(IoTestSupport.dtypeCases())) {
            assertEquals(byOffset, new ArrayList<>(f.tensors().keySet()));
        }
    }

    @Test
    void readKeepsTheFileDtypeBitForBit() throws IOException {
        try (SafeTensorsFile f = SafeTensorsFile.open(IoTestSupport.dtypeCases())) {
            for (Map.Entry<String, JsonNode> e : expectedTensors().entrySet()) {
                String name = e.getKey();
                INDArray a = f.read(name);
                TensorInfo t = f.info(name);
                assertEquals(t.dtype().nd4jType(), a.dataType(), name);
                assertArrayEquals(t.shape(), a.shape(), name);
                assertEquals(t.numElements() == 0, a.isEmpty(), name);
                // ND4J's off-heap memory holds exactly the file's bytes (x86 is little-endian).
                assertArrayEquals(IoTestSupport.hex(e.getValue().get("raw_hex").textValue()), IoTestSupport.nd4jBytes(a), name);
                checkValues(name, e.getValue().get("values"), a, t.dtype());
            }
        }
    }

    private static void checkValues(String name, JsonNode values, INDArray a, DType dtype) {
        for (int i = 0; i < values.size(); i++) {
            JsonNode v = values.get(i);
            String at = name + "[" + i + "]";
            if (dtype.isFloatingPoint()) {
                assertEquals(Double.doubleToRawLongBits(v.doubleValue()), Double.doubleToRawLongBits(a.getDouble(i)), at);
            } else if (dtype == DType.BOOL) {
                assertEquals(v.booleanValue(), a.getDouble(i) != 0, at);
            } else {
                assertEquals(v.longValue(), a.getLong(i), at);
            }
        }
    }

    @Test
    void floatTensorsWidenExactlyToFloatAndDouble() throws IOException {
        try (SafeTensorsFile f = SafeTensorsFile.open(IoTestSupport.dtypeCases())) {
            for (String name : List.of("f32_2x3", "f16_vec", "bf16_vec", "scalar_f32", "empty_f32")) {
                JsonNode values = expectedTensors().get(name).get("values");
                INDArray d = f.read(name, DataType.DOUBLE);
                INDArray s = f.read(name, DataType.FLOAT);
                assertEquals(DataType.DOUBLE, d.dataType());
                assertEquals(DataType.FLOAT, s.dataType());
                assertArrayEquals(f.info(name).shape(), d.shape(), name);
                assertArrayEquals(f.info(name).shape(), s.shape(), name);
                for (int i = 0; i < values.size(); i++) {
                    double x = values.get(i).doubleValue();
                    assertEquals(Double.doubleToRawLongBits(x), Double.doubleToRawLongBits(d.getDouble(i)), name + "[" + i + "]");
                    assertEquals(Float.floatToRawIntBits((float) x), Float.floatToRawIntBits(s.getFloat(i)), name + "[" + i + "]");
                }
            }
        }
    }

    @Test
    void widenedValuesSitInNd4jMemoryAsTheExpectedBits() throws IOException {
        try (SafeTensorsFile f = SafeTensorsFile.open(IoTestSupport.dtypeCases())) {
            INDArray d = f.read("bf16_vec", DataType.DOUBLE);
            ByteBuffer nio = d.data().asNio().order(ByteOrder.nativeOrder());
            JsonNode values = expectedTensors().get("bf16_vec").get("values");
            for (int i = 0; i < values.size(); i++) {
                assertEquals(Double.doubleToRawLongBits(values.get(i).doubleValue()),
                        Double.doubleToRawLongBits(nio.getDouble(8 * i)));
            }
            assertEquals(0x8000000000000000L, Double.doubleToRawLongBits(nio.getDouble(8 * 4)), "-0.0 keeps its sign");
        }
    }

    @Test
    void f64NarrowsToFloatWithJavaRounding() throws IOException {
        try (SafeTensorsFile f = SafeTensorsFile.open(IoTestSupport.dtypeCases())) {
            INDArray s = f.read("f64_vec", DataType.FLOAT);
            JsonNode values = expectedTensors().get("f64_vec").get("values");
            for (int i = 0; i < values.size(); i++) {
                assertEquals(Float.floatToRawIntBits((float) values.get(i).doubleValue()), Float.floatToRawIntBits(s.getFloat(i)));
            }
        }
    }

    @Test
    void integersConvertWithRangeChecks() throws IOException {
        try (SafeTensorsFile f = SafeTensorsFile.open(IoTestSupport.dtypeCases())) {
            INDArray l = f.read("i32_2x2", DataType.INT64);
            assertEquals(DataType.INT64, l.dataType());
            assertArrayEquals(new long[] {2, 2}, l.shape());
            assertEquals(List.of(1L, -2L, 2147483647L, -2147483648L),
                    List.of(l.getLong(0), l.getLong(1), l.getLong(2), l.getLong(3)));
            INDArray u = f.read("u8_vec", DataType.INT32);
            assertEquals(List.of(0, 1, 127, 255), List.of(u.getInt(0), u.getInt(1), u.getInt(2), u.getInt(3)));
            INDArray s = f.read("i8_vec", DataType.INT16);
            assertEquals(-128, s.getInt(0));

            IllegalArgumentException tooBig = assertThrows(IllegalArgumentException.class, () -> f.read("i64_vec", DataType.INT32));
            assertTrue(tooBig.getMessage().contains("i64_vec") && tooBig.getMessage().contains("element 2")
                    && tooBig.getMessage().contains(IoTestSupport.dtypeCases().toString()), tooBig.getMessage());
            IllegalArgumentException negative = assertThrows(IllegalArgumentException.class, () -> f.read("i8_vec", DataType.UINT8));
            assertTrue(negative.getMessage().contains("-128"), negative.getMessage());
        }
    }

    @Test
    void crossKindConversionsAreRefused() throws IOException {
        try (SafeTensorsFile f = SafeTensorsFile.open(IoTestSupport.dtypeCases())) {
            for (String[] c : new String[][] {{"f32_2x3", "INT"}, {"i32_2x2", "FLOAT"}, {"bool_vec", "FLOAT"}, {"u8_vec", "BOOL"}}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> f.read(c[0], DataType.valueOf(c[1])), c[0] + " as " + c[1]);
                assertTrue(e.getMessage().contains(c[0]) && e.getMessage().contains("cannot read"), e.getMessage());
            }
        }
    }

    @Test
    void scalarAndEmptyTensorsKeepTheirShape() throws IOException {
        try (SafeTensorsFile f = SafeTensorsFile.open(IoTestSupport.dtypeCases())) {
            INDArray s = f.read("scalar_f32", DataType.DOUBLE);
            assertEquals(0, s.rank());
            assertTrue(s.isScalar());
            assertEquals(42.5, s.getDouble(0));
            INDArray e1 = f.read("empty_f32");
            assertTrue(e1.isEmpty());
            assertArrayEquals(new long[] {0}, e1.shape());
            assertEquals(DataType.FLOAT, e1.dataType());
            INDArray e2 = f.read("empty_2x0_f64", DataType.FLOAT);
            assertTrue(e2.isEmpty());
            assertArrayEquals(new long[] {2, 0}, e2.shape());
            assertEquals(DataType.FLOAT, e2.dataType());
            assertEquals(0, f.raw("empty_2x0_f64").remaining());
        }
    }

    @Test
    void boolReadsAsBool() throws IOException {
        try (SafeTensorsFile f = SafeTensorsFile.open(IoTestSupport.dtypeCases())) {
            INDArray b = f.read("bool_vec", DataType.BOOL);
            assertEquals(DataType.BOOL, b.dataType());
            assertEquals(List.of(true, false, true), List.of(b.getDouble(0) != 0, b.getDouble(1) != 0, b.getDouble(2) != 0));
        }
    }

    @Test
    void missingTensorNamesFileAndTensor() throws IOException {
        try (SafeTensorsFile f = SafeTensorsFile.open(IoTestSupport.dtypeCases())) {
            for (Runnable r : List.<Runnable>of(() -> f.info("nope.weight"), () -> f.read("nope.weight"),
                    () -> f.raw("nope.weight"), () -> f.read("nope.weight", DataType.FLOAT))) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
                assertTrue(e.getMessage().contains("'nope.weight'"), e.getMessage());
                assertTrue(e.getMessage().contains(IoTestSupport.dtypeCases().toString()), e.getMessage());
            }
        }
    }

    @Test
    void closedFileRefusesData() throws IOException {
        SafeTensorsFile f = SafeTensorsFile.open(IoTestSupport.dtypeCases());
        f.close();
        assertEquals(13, f.tensors().size(), "the header stays readable");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> f.read("f32_2x3"));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> f.raw("f32_2x3"));
    }

    @Test
    void smallRegionsGiveIdenticalResults() throws IOException {
        // 16-byte regions force the multi-region code (used for files over 2 GiB) on every tensor wider than 16 bytes.
        try (SafeTensorsFile whole = SafeTensorsFile.open(IoTestSupport.dtypeCases());
             SafeTensorsFile split = SafeTensorsFile.open(IoTestSupport.dtypeCases(), 16)) {
            assertEquals(1, whole.regionCount());
            assertTrue(split.regionCount() > 5, "regions: " + split.regionCount());
            for (String name : whole.tensors().keySet()) {
                assertArrayEquals(IoTestSupport.nd4jBytes(whole.read(name)), IoTestSupport.nd4jBytes(split.read(name)), name);
                if (whole.info(name).dtype().isFloatingPoint()) {
                    assertArrayEquals(IoTestSupport.nd4jBytes(whole.read(name, DataType.DOUBLE)),
                            IoTestSupport.nd4jBytes(split.read(name, DataType.DOUBLE)), name);
                }
            }
            // f64_vec is 32 bytes: two regions, so no single slice can hold it.
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> split.raw("f64_vec"));
            assertTrue(e.getMessage().contains("f64_vec") && e.getMessage().contains("regions"), e.getMessage());
            assertArrayEquals(IoTestSupport.bytes(whole.raw("f32_2x3")), IoTestSupport.bytes(whole.raw("f32_2x3")));
        }
        try (SafeTensorsFile whole = SafeTensorsFile.open(IoTestSupport.tinyGpt2Model());
             SafeTensorsFile split = SafeTensorsFile.open(IoTestSupport.tinyGpt2Model(), 1000)) {
            assertTrue(split.regionCount() > 6000);
            for (String name : List.of("transformer.wte.weight", "transformer.h.0.mlp.c_fc.weight", "transformer.ln_f.bias")) {
                assertArrayEquals(IoTestSupport.nd4jBytes(whole.read(name, DataType.DOUBLE)),
                        IoTestSupport.nd4jBytes(split.read(name, DataType.DOUBLE)), name);
            }
        }
    }

    @Test
    void openRejectsAFolderOrMissingFile(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        assertThrows(java.nio.file.NoSuchFileException.class, () -> SafeTensorsFile.open(dir));
        assertThrows(java.nio.file.NoSuchFileException.class, () -> SafeTensorsFile.open(dir.resolve("absent.safetensors")));
        assertFalse(Files.exists(dir.resolve("absent.safetensors")));
    }
}
