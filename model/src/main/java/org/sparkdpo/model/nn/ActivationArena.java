package org.sparkdpo.model.nn;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;

/**
 * Reusable memory for the activations a training step keeps from its forward sweep to its backward sweep (see
 * {@link BackwardGraph}).
 *
 * <p>Those arrays outlive the execution that makes them, so they cannot live in {@link WorkspaceSessions}'
 * workspace, and allocating them afresh costs a page fault per 4 KiB every step: for GPT-2 124M on 4 pairs of
 * 256 tokens, 3.5 GB per step, which took longer than the forward ops themselves on this project's virtual
 * machines. The arena hands out views of detached blocks instead: {@link #reset} at the start of a step,
 * {@link #allocate} for each kept array, cut from blocks that later steps fill again in the same order. A step
 * that needs more adds blocks; so from the second step of a shape on every kept array is served from memory
 * already mapped, and the memory held is the largest step's kept set plus the unused tail of each block (at most
 * one array per block).
 *
 * <p>Arrays of another data type than the arena's (shape vectors, masks) are allocated normally. Views of the
 * arena are marked not closeable. Not thread-safe: one arena per thread.
 */
public final class ActivationArena {
    private static final long ALIGN_ELEMENTS = 16;
    private static final long SLAB_BYTES = 256L << 20;
    private static final long MIN_SLAB_BYTES = 4L << 20;

    private final DataType dtype;
    /** The blocks views are cut from, in the order a step fills them. */
    private final List<INDArray> slabs = new ArrayList<>();
    private int slab;
    private long used;

    /** @param dtype the data type of the arrays the arena serves (the model's) */
    public ActivationArena(DataType dtype) {
        this.dtype = dtype;
    }

    /** Starts a step: every earlier view becomes invalid, and the blocks are handed out again from the first. */
    public void reset() {
        slab = 0;
        used = 0;
    }

    /**
     * An uninitialised C-order array: a view of the current block, or of a new block when it does not fit (as
     * large as the blocks so far, between {@value #MIN_SLAB_BYTES} and {@value #SLAB_BYTES} bytes, or the array's
     * size when larger: small models hold little, large ones few blocks).
     */
    public INDArray allocate(DataType type, long... shape) {
        long n = 1;
        for (long d : shape) n *= d;
        if (type != dtype || shape.length == 0 || n == 0) return Nd4j.createUninitializedDetached(type, shape);
        long padded = (n + ALIGN_ELEMENTS - 1) / ALIGN_ELEMENTS * ALIGN_ELEMENTS;
        while (slab < slabs.size() && used + padded > slabs.get(slab).length()) {
            slab++;
            used = 0;
        }
        if (slab == slabs.size()) {
            long held = capacityBytes() / dtype.width();
            long size = Math.max(padded, Math.min(SLAB_BYTES / dtype.width(), Math.max(held, MIN_SLAB_BYTES / dtype.width())));
            slabs.add(Nd4j.createUninitializedDetached(dtype, size));
        }
        INDArray view = Nd4j.create(slabs.get(slab).data(), shape, Nd4j.getStrides(shape, 'c'), used, 'c', type);
        view.setCloseable(false);
        used += padded;
        return view;
    }

    /** Bytes the blocks hold. */
    public long capacityBytes() {
        long n = 0;
        for (INDArray s : slabs) n += s.length();
        return n * dtype.width();
    }
}
