package org.sparkdpo.model.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.concurrency.AffinityManager;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A memory-mapped, fully validated safetensors file. Exists so weights can be read without copying the file onto
 * the Java heap: {@link #raw} slices the mapping, {@link #read} converts straight from the mapping into ND4J's
 * off-heap buffer.
 *
 * <p>Thread-safe for concurrent reads. The file must not be modified or truncated while open (a shrinking mapped
 * file makes the JVM fault on access).
 */
public final class SafeTensorsFile implements AutoCloseable {
    /** Elements converted per step; bounds the size of each off-heap window. */
    private static final int BLOCK_ELEMENTS = 1 << 22;

    private final Path path;
    private final String fileName;
    private final HeaderParser.Header header;
    private volatile MappedRegions regions;

    private SafeTensorsFile(Path path, HeaderParser.Header header, MappedRegions regions) {
        this.path = path;
        this.fileName = path.toString();
        this.header = header;
        this.regions = regions;
    }

    /** Opens, validates the header completely, and maps the data buffer read-only. */
    public static SafeTensorsFile open(Path file) throws IOException {
        return open(file, MappedRegions.DEFAULT_MAX_REGION);
    }

    /** As {@link #open(Path)} with a smaller region limit, so tests can exercise multi-region files cheaply. */
    static SafeTensorsFile open(Path file, long maxRegionBytes) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new java.nio.file.NoSuchFileException(file.toString(), null, "not a regular file");
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            HeaderParser.Header h = HeaderParser.read(ch, file.toString());
            MappedRegions r = MappedRegions.map(ch, h.dataStart(), h.tensors().values(), maxRegionBytes);
            return new SafeTensorsFile(file, h, r); // mappings stay valid after the channel closes
        }
    }

    public Path path() {
        return path;
    }

    /** The {@code __metadata__} map (unmodifiable), empty if absent. */
    public Map<String, String> metadata() {
        return header.metadata();
    }

    /** All tensors in header order (unmodifiable), without {@code __metadata__}. */
    public Map<String, TensorInfo> tensors() {
        return header.tensors();
    }

    public boolean contains(String name) {
        return header.tensors().containsKey(name);
    }

    /**
     * The header entry of a tensor.
     *
     * @throws IllegalArgumentException naming the file and the tensor when absent
     */
    public TensorInfo info(String name) {
        TensorInfo t = header.tensors().get(name);
        if (t == null) {
            throw new IllegalArgumentException(fileName + ": no tensor named '" + name + "' (the file holds "
                    + header.tensors().size() + " tensors" + sample() + ")");
        }
        return t;
    }

    private String sample() {
        if (header.tensors().isEmpty()) return "";
        List<String> names = header.tensors().keySet().stream().limit(5).toList();
        return ", e.g. " + String.join(", ", names) + (header.tensors().size() > 5 ? ", ..." : "");
    }

    private MappedRegions regions() {
        MappedRegions r = regions;
        if (r == null) throw new IllegalStateException(fileName + ": file is closed");
        return r;
    }

    /**
     * The tensor's bytes as a read-only little-endian slice of the mapping (no copy). Valid while this file is open.
     *
     * @throws IllegalStateException if the tensor spans two mapped regions (tensors over 2 GiB); use {@link #read}
     */
    public ByteBuffer raw(String name) {
        TensorInfo t = info(name);
        List<ByteBuffer> pieces = regions().pieces(t.begin(), t.end());
        if (pieces.isEmpty()) return ByteBuffer.allocate(0).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
        if (pieces.size() > 1) {
            throw new IllegalStateException(fileName + ": tensor '" + name + "' is " + t.byteLength()
                    + " bytes and spans " + pieces.size() + " mapped regions; one ByteBuffer cannot hold it, use read()");
        }
        return pieces.get(0);
    }

    /** Reads a tensor keeping the file's dtype (F16 to HALF, BF16 to BFLOAT16, U8 to UBYTE, ...). */
    public INDArray read(String name) {
        return read(name, info(name).dtype().nd4jType());
    }

    /**
     * Reads a tensor converted to {@code computeType}, straight from the mapping into the array's off-heap buffer.
     * Floats convert to any float type (widening is exact; narrowing rounds to nearest-even), integers to any integer
     * type (a value that does not fit fails), BOOL only to BOOL. A 0-d tensor gives a scalar, an empty one an empty
     * array of its shape.
     *
     * @throws IllegalArgumentException for a missing tensor, an unsupported conversion or an out-of-range integer
     */
    public INDArray read(String name, DataType computeType) {
        TensorInfo t = info(name);
        DType to = DType.of(computeType);
        String where = fileName + ": tensor '" + name + "'";
        if (!ElementCopy.canConvert(t.dtype(), to)) {
            throw new IllegalArgumentException(where + ": cannot read " + t.dtype() + " as " + computeType
                    + " (only float to float, integer to integer and BOOL to BOOL)");
        }
        long[] shape = t.shape();
        long numel = t.numElements();
        if (numel == 0) return Nd4j.create(to.nd4jType(), shape);
        INDArray out = Nd4j.createUninitialized(to.nd4jType(), shape);
        Nd4j.getAffinityManager().ensureLocation(out, AffinityManager.Location.HOST);
        int inW = t.dtype().byteSize(), outW = to.byteSize();
        long done = 0;
        for (ByteBuffer piece : regions().pieces(t.begin(), t.end())) {
            long pieceElems = piece.capacity() / inW;
            for (long k = 0; k < pieceElems; k += BLOCK_ELEMENTS) {
                int n = (int) Math.min(BLOCK_ELEMENTS, pieceElems - k);
                ByteBuffer in = piece.slice((int) (k * inW), n * inW).order(ByteOrder.LITTLE_ENDIAN);
                ByteBuffer dst = NativeWindows.window(out.data(), (done + k) * outW, n * outW);
                ElementCopy.copy(t.dtype(), in, to, dst, n, done + k, where);
            }
            done += pieceElems;
        }
        if (done != numel) throw new IllegalStateException(where + ": copied " + done + " of " + numel + " elements");
        Nd4j.getAffinityManager().tagLocation(out, AffinityManager.Location.HOST);
        return out;
    }

    /** Number of memory-mapped regions (1 for files under 2 GiB with data, 0 without). */
    int regionCount() {
        return regions().regionCount();
    }

    /**
     * Drops the mappings. Buffers from {@link #raw} must not be used afterwards; the memory is unmapped when the
     * garbage collector frees them (Java offers no safe explicit unmap).
     */
    @Override
    public void close() {
        regions = null;
    }

    @Override
    public String toString() {
        return "SafeTensorsFile[" + fileName + ", " + header.tensors().size() + " tensors]";
    }
}
