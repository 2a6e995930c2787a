package org.sparkdpo.model.io;

import java.util.Arrays;
import java.util.stream.Collectors;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The safetensors element types this project reads and writes, each with its ND4J counterpart. Exists to keep the
 * format's dtype strings ({@code "F32"}, {@code "BF16"}, ...) and their byte sizes in one place.
 */
public enum DType {
    F64(8, DataType.DOUBLE, true),
    F32(4, DataType.FLOAT, true),
    F16(2, DataType.FLOAT16, true),
    BF16(2, DataType.BFLOAT16, true),
    I64(8, DataType.INT64, false),
    I32(4, DataType.INT32, false),
    I16(2, DataType.INT16, false),
    I8(1, DataType.INT8, false),
    U8(1, DataType.UINT8, false),
    BOOL(1, DataType.BOOL, false);

    private final int byteSize;
    private final DataType nd4j;
    private final boolean floatingPoint;

    DType(int byteSize, DataType nd4j, boolean floatingPoint) {
        this.byteSize = byteSize;
        this.nd4j = nd4j;
        this.floatingPoint = floatingPoint;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** The ND4J type that holds this dtype without conversion. */
    public DataType nd4jType() {
        return nd4j;
    }

    /** True for F64, F32, F16 and BF16. */
    public boolean isFloatingPoint() {
        return floatingPoint;
    }

    /** True for the integer types I64..U8 (not BOOL). */
    public boolean isInteger() {
        return !floatingPoint && this != BOOL;
    }

    /** The safetensors dtype string, e.g. {@code "BF16"}. */
    public String safetensorsName() {
        return name();
    }

    /** A comma-separated list of the dtype strings this reader knows, for error messages. */
    public static String knownNames() {
        return Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", "));
    }

    /** The dtype for a safetensors dtype string, or null if unknown. */
    static DType lookup(String name) {
        for (DType d : values()) {
            if (d.name().equals(name)) return d;
        }
        return null;
    }

    /**
     * Parses a header dtype string.
     *
     * @throws SafeTensorsFormatException naming {@code fileForErrors} and listing the known dtypes when unknown
     */
    public static DType parse(String name, String fileForErrors) throws SafeTensorsFormatException {
        DType d = lookup(name);
        if (d == null) {
            throw new SafeTensorsFormatException(fileForErrors,
                    "unknown or unsupported dtype '" + name + "' (known: " + knownNames() + ")");
        }
        return d;
    }

    /**
     * The dtype stored for an ND4J type.
     *
     * @throws IllegalArgumentException for ND4J types safetensors-compatible storage does not cover here (UTF8, UINT16..)
     */
    public static DType of(DataType type) {
        for (DType d : values()) {
            if (d.nd4j == type) return d;
        }
        throw new IllegalArgumentException("ND4J data type " + type + " has no safetensors dtype here (supported: "
                + Arrays.stream(values()).map(d -> d.nd4j.toString()).collect(Collectors.joining(", ")) + ")");
    }
}
