package org.sparkdpo.model.nn;

import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.InferenceSession;
import org.nd4j.autodiff.samediff.internal.memory.AbstractMemoryMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.LongShapeDescriptor;
import org.nd4j.linalg.factory.Nd4j;

import java.util.function.Supplier;

/**
 * Runs SameDiff executions with their intermediate arrays in one reusable ND4J workspace per thread.
 *
 * <p>ND4J M2.1 turns its array cache off for gradient functions, so every training step would allocate every
 * intermediate array afresh (for a language model's vocabulary projection, hundreds of MB per step); fresh
 * memory costs a page fault per 4 KiB, which on virtual machines dominated the step time. A workspace learns the
 * step's size once and then serves every later step from the same block. Results the caller keeps must be
 * detached before {@link #run} returns (SameDiff allocates requested outputs detached).
 *
 * <p>The price is memory: the block holds everything one execution allocates (not only its live set), per thread;
 * e.g. about 4.6 GB for a one-graph training step of 16 sequences x 128 tokens with a 50k vocabulary. Executions
 * that are small graphs (one transformer block, one head chunk: {@link org.sparkdpo.model.exec.BlockwiseLm})
 * share the same block, which then settles at the largest of them (0.6 GB for that step with gradient
 * checkpointing). Measured in M2.1 and not better: ND4J's {@code ArrayCacheMemoryMgr} with the session's
 * release calls enabled on the gradient function, and a manager that closes each array the session releases;
 * both peaked above this workspace (the arrays backward needs stay live to the end of the execution anyway). The system property
 * {@value #PROPERTY}{@code =false} turns the workspace off (ND4J's own allocation: slower, less memory).
 */
public final class WorkspaceSessions {
    /** System property that turns the workspace off ("false"). */
    public static final String PROPERTY = "sparkdpo.samediff.workspace";
    private static final boolean ENABLED = !"false".equalsIgnoreCase(System.getProperty(PROPERTY, "true"));
    private static final String WORKSPACE = "spark-dpo-samediff";
    private static final WorkspaceConfiguration CONF = WorkspaceConfiguration.builder()
            .initialSize(0)
            .overallocationLimit(0.05)
            .policyAllocation(AllocationPolicy.OVERALLOCATE)
            .policyLearning(LearningPolicy.FIRST_LOOP)
            .policyReset(ResetPolicy.BLOCK_LEFT)
            .policySpill(SpillPolicy.REALLOCATE)
            .build();

    private WorkspaceSessions() {}

    /** Runs {@code body}, which executes {@code graph} (e.g. a gradient function) on this thread, in the workspace. */
    public static <T> T run(SameDiff graph, Supplier<T> body) {
        return run(graph, null, body);
    }

    /**
     * As {@link #run}, with the requested outputs of {@code graph}'s executions allocated in {@code kept} (null:
     * detached arrays of their own): for forward runs whose outputs a later backward run reads.
     */
    public static <T> T run(SameDiff graph, ActivationArena kept, Supplier<T> body) {
        if (!ENABLED) return body.get();
        long tid = Thread.currentThread().getId();
        InferenceSession s = graph.getSessions().computeIfAbsent(tid, k -> SameDiff.getInferenceFactory().create(graph));
        if (!(s.getMmgr() instanceof InWorkspace w) || w.kept != kept) s.setMmgr(new InWorkspace(kept));
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(CONF, WORKSPACE)) {
            return body.get();
        }
    }

    /**
     * Bytes this thread's workspace currently reserves (0 when it has none or workspaces are off): the memory a
     * graph execution of this thread holds between executions, which must not grow from step to step.
     */
    public static long currentThreadBytes() {
        if (!ENABLED || !Nd4j.getWorkspaceManager().checkIfWorkspaceExists(WORKSPACE)) return 0;
        return Nd4j.getWorkspaceManager().getWorkspaceForCurrentThread(CONF, WORKSPACE).getCurrentSize();
    }

    /** Working arrays in the active workspace; requested outputs detached, so they outlive it. */
    static final class InWorkspace extends AbstractMemoryMgr {
        private final ActivationArena kept;

        InWorkspace(ActivationArena kept) {
            this.kept = kept;
        }

        @Override
        public INDArray allocate(boolean detached, DataType dataType, long... shape) {
            if (detached) {
                return kept != null ? kept.allocate(dataType, shape) : Nd4j.createUninitializedDetached(dataType, shape);
            }
            MemoryWorkspace ws = Nd4j.getWorkspaceManager().getWorkspaceForCurrentThread(CONF, WORKSPACE);
            try (MemoryWorkspace borrowed = ws.notifyScopeBorrowed()) {
                return Nd4j.createUninitialized(dataType, shape);
            }
        }

        @Override
        public INDArray allocate(boolean detached, LongShapeDescriptor descriptor) {
            if (descriptor.isEmpty()) {
                INDArray ret = Nd4j.create(descriptor);
                return detached ? ret.detach() : ret;
            }
            return allocate(detached, descriptor.dataType(), descriptor.getShape());
        }

        @Override
        public void release(INDArray array) {
            // the workspace is reset as a whole
        }

        @Override
        public void close() {
        }
    }
}
