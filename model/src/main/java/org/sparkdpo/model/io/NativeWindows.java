package org.sparkdpo.model.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.bytedeco.javacpp.BytePointer;
import org.nd4j.linalg.api.buffer.DataBuffer;

/**
 * ByteBuffer windows onto an ND4J buffer's off-heap memory. {@code DataBuffer.asNio()} covers at most 2 GiB and
 * ignores the buffer offset, so we build our own windows from the address pointer with long offsets.
 */
final class NativeWindows {
    private NativeWindows() {}

    /** A native-order view of {@code length} bytes starting {@code byteOffset} bytes into the buffer (no copy). */
    static ByteBuffer window(DataBuffer buffer, long byteOffset, int length) {
        if (length <= 0) throw new IllegalArgumentException("empty window");
        long total = buffer.length() * buffer.getElementSize();
        if (byteOffset < 0 || byteOffset + length > total) {
            throw new IndexOutOfBoundsException("window [" + byteOffset + "," + (byteOffset + length)
                    + ") outside a buffer of " + total + " bytes");
        }
        BytePointer base = new BytePointer(buffer.addressPointer());
        BytePointer p = base.getPointer(BytePointer.class, byteOffset);
        p.capacity(length);
        p.limit(length);
        ByteBuffer bb = p.asByteBuffer();
        return bb.order(ByteOrder.nativeOrder());
    }
}
