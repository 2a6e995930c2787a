package org.sparkdpo.model.io;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.nd4j.linalg.api.concurrency.AffinityManager;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Writes safetensors files that transformers, PEFT and vLLM load. Exists so adapters and checkpoints leave the JVM in
 * the reference format, and atomically: a crash or error never leaves a partial file under the final name.
 *
 * <p>Layout: compact JSON header with {@code __metadata__} first (omitted when empty), padded with spaces so that
 * {@code 8 + N} is a multiple of 8; tensors contiguous in the given (iteration) order.
 */
public final class SafeTensorsWriter {
    private static final int BLOCK_ELEMENTS = 1 << 20;
    private static final SecureRandom RANDOM = new SecureRandom();

    private SafeTensorsWriter() {}

    /**
     * One tensor as raw little-endian bytes, for exact byte round trips of any dtype. The array is not copied.
     */
    public record RawTensor(String name, DType dtype, long[] shape, byte[] littleEndianData) {
        public RawTensor {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(dtype, "dtype");
            Objects.requireNonNull(littleEndianData, "littleEndianData");
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        @Override
        public String toString() {
            return "RawTensor[" + name + " " + dtype + Arrays.toString(shape) + ", " + littleEndianData.length + " bytes]";
        }
    }

    /** Writes ND4J arrays, each stored in its own data type. */
    public static void write(Path file, Map<String, INDArray> tensors, Map<String, String> metadata) throws IOException {
        write(file, tensors, metadata, null);
    }

    /**
     * Writes ND4J arrays; floating-point arrays are stored as {@code storeAs} (F64, F32, F16 or BF16, rounded to
     * nearest-even like torch; F64 data goes to F16/BF16 through F32, as torch does), other arrays keep their type.
     * {@code storeAs} null keeps every array's type.
     */
    public static void write(Path file, Map<String, INDArray> tensors, Map<String, String> metadata, DType storeAs)
            throws IOException {
        if (storeAs != null && !storeAs.isFloatingPoint()) {
            throw new IllegalArgumentException("storeAs must be F64, F32, F16 or BF16, not " + storeAs);
        }
        List<Entry> entries = new ArrayList<>();
        long offset = 0;
        for (Map.Entry<String, INDArray> e : tensors.entrySet()) {
            INDArray a = Objects.requireNonNull(e.getValue(), () -> "null array for tensor '" + e.getKey() + "'");
            DType src = DType.of(a.dataType());
            DType dst = storeAs != null && src.isFloatingPoint() ? storeAs : src;
            long[] shape = a.shape();
            long bytes = Math.multiplyExact(a.isEmpty() ? 0 : a.length(), (long) dst.byteSize());
            entries.add(new Entry(e.getKey(), dst, shape, offset, offset + bytes, src, a, null));
            offset += bytes;
        }
        writeEntries(file, entries, metadata);
    }

    /** Writes raw little-endian tensors; each byte array must hold exactly prod(shape) * itemsize bytes. */
    public static void writeRaw(Path file, List<RawTensor> tensors, Map<String, String> metadata) throws IOException {
        List<Entry> entries = new ArrayList<>();
        long offset = 0;
        for (RawTensor t : tensors) {
            long numel = 1;
            for (long d : t.shape()) {
                if (d < 0) throw new IllegalArgumentException("tensor '" + t.name() + "': negative dimension in " + Arrays.toString(t.shape()));
                numel = Math.multiplyExact(numel, d);
            }
            long bytes = Math.multiplyExact(numel, (long) t.dtype().byteSize());
            if (bytes != t.littleEndianData().length) {
                throw new IllegalArgumentException("tensor '" + t.name() + "': shape " + Arrays.toString(t.shape()) + " of "
                        + t.dtype() + " needs " + bytes + " bytes, got " + t.littleEndianData().length);
            }
            entries.add(new Entry(t.name(), t.dtype(), t.shape(), offset, offset + bytes, t.dtype(), null, t.littleEndianData()));
            offset += bytes;
        }
        writeEntries(file, entries, metadata);
    }

    /** A tensor to write: its header fields and either an ND4J source array or raw bytes. */
    private record Entry(String name, DType dtype, long[] shape, long begin, long end, DType srcType, INDArray array,
                         byte[] raw) {}

    /** The header bytes, space-padded so that 8 + length is a multiple of 8. */
    static byte[] header(List<Entry> entries, Map<String, String> metadata) throws IOException {
        ObjectNode root = HeaderParser.JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode m = root.putObject("__metadata__");
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                if (e.getKey() == null || e.getValue() == null) {
                    throw new IllegalArgumentException("metadata keys and values must be non-null strings: " + e);
                }
                m.put(e.getKey(), e.getValue());
            }
        }
        Set<String> seen = new HashSet<>();
        for (Entry t : entries) {
            if (t.name().equals("__metadata__")) throw new IllegalArgumentException("'__metadata__' cannot name a tensor");
            if (!seen.add(t.name())) throw new IllegalArgumentException("tensor '" + t.name() + "' given twice");
            ObjectNode o = root.putObject(t.name());
            o.put("dtype", t.dtype().safetensorsName());
            ArrayNode s = o.putArray("shape");
            for (long d : t.shape()) s.add(d);
            o.putArray("data_offsets").add(t.begin()).add(t.end());
        }
        byte[] json = HeaderParser.JSON.writeValueAsBytes(root);
        int padded = (int) ((json.length + 8 + 7) / 8 * 8 - 8);
        if (padded > HeaderParser.MAX_HEADER_BYTES) {
            throw new IllegalArgumentException("header would be " + padded + " bytes, over the format limit of "
                    + HeaderParser.MAX_HEADER_BYTES);
        }
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }

    private static void writeEntries(Path file, List<Entry> entries, Map<String, String> metadata) throws IOException {
        byte[] header = header(entries, metadata);
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        Path tmp = dir.resolve(target.getFileName() + ".tmp-" + HexFormat.of().toHexDigits(RANDOM.nextLong()));
        boolean done = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
                writeFully(ch, len);
                writeFully(ch, ByteBuffer.wrap(header));
                ByteBuffer scratch = null;
                for (Entry e : entries) {
                    if (e.raw() != null) {
                        writeFully(ch, ByteBuffer.wrap(e.raw()));
                    } else if (e.end() > e.begin()) {
                        if (scratch == null) scratch = ByteBuffer.allocateDirect(BLOCK_ELEMENTS * 8).order(ByteOrder.LITTLE_ENDIAN);
                        writeArray(ch, e, scratch, target);
                    }
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            done = true;
            syncDirectory(dir);
        } finally {
            if (!done) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the original failure matters more; a stray temp file is named *.tmp-* so it is recognisable
                }
            }
        }
    }

    private static void writeArray(FileChannel ch, Entry e, ByteBuffer scratch, Path target) throws IOException {
        INDArray a = contiguous(e.array());
        Nd4j.getAffinityManager().ensureLocation(a, AffinityManager.Location.HOST);
        long numel = a.length();
        int inW = e.srcType().byteSize(), outW = e.dtype().byteSize();
        String where = target + ": tensor '" + e.name() + "'";
        for (long k = 0; k < numel; k += BLOCK_ELEMENTS) {
            int n = (int) Math.min(BLOCK_ELEMENTS, numel - k);
            ByteBuffer in = NativeWindows.window(a.data(), k * inW, n * inW);
            if (e.srcType() == e.dtype() && e.dtype() != DType.BOOL && ElementCopy.nativeIsLittleEndian()) {
                writeFully(ch, in);
            } else {
                ByteBuffer out = scratch.duplicate().order(ByteOrder.LITTLE_ENDIAN);
                out.clear();
                ElementCopy.copy(e.srcType(), in, e.dtype(), out, n, k, where);
                out.position(0).limit(n * outW);
                writeFully(ch, out);
            }
        }
    }

    /** The array itself when its buffer holds exactly its elements in row-major order from offset 0, else a copy. */
    static INDArray contiguous(INDArray a) {
        boolean plain = a.offset() == 0 && a.data().offset() == 0 && a.data().length() == a.length()
                && hasRowMajorStrides(a.shape(), a.stride());
        return plain ? a : a.dup('c');
    }

    private static boolean hasRowMajorStrides(long[] shape, long[] stride) {
        long expect = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && stride[i] != expect) return false;
            expect *= shape[i];
        }
        return true;
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }

    /** Makes the rename durable; best effort, as not every file system lets a directory be opened for sync. */
    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // durability of the rename is best effort
        }
    }
}
