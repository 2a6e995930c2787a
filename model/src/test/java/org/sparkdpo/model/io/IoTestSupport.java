package org.sparkdpo.model.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sparkdpo.model.TestFixtures;

/** Shared helpers for the safetensors tests: fixture paths and hand-built files. */
final class IoTestSupport {
    private IoTestSupport() {}

    static Path dtypeCases() {
        return TestFixtures.oracleGpt2().resolve("safetensors_dtype_cases.safetensors");
    }

    static Path dtypeCasesJson() {
        return TestFixtures.oracleGpt2().resolve("safetensors_dtype_cases.json");
    }

    static Path tinyGpt2Model() {
        return TestFixtures.tinyGpt2().resolve("model.safetensors");
    }

    static byte[] hex(String s) {
        return HexFormat.of().parseHex(s);
    }

    static byte[] bytes(ByteBuffer b) {
        ByteBuffer d = b.duplicate();
        d.position(0);
        byte[] out = new byte[d.remaining()];
        d.get(out);
        return out;
    }

    /** The bytes of a freshly created (offset 0, contiguous) ND4J array's buffer. */
    static byte[] nd4jBytes(INDArray a) {
        if (a.isEmpty()) return new byte[0];
        return bytes(a.data().asNio());
    }

    /** Writes u64 LE {@code headerLength}, then {@code header}, then {@code dataBytes} zero bytes. */
    static Path file(Path dir, String name, long headerLength, byte[] header, int dataBytes) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(headerLength).put(header);
        Path p = dir.resolve(name);
        Files.write(p, b.array());
        return p;
    }

    /** A file whose header is {@code json} (length as given) followed by {@code dataBytes} zero bytes. */
    static Path file(Path dir, String name, String json, int dataBytes) throws IOException {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        return file(dir, name, h.length, h, dataBytes);
    }
}
