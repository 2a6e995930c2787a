package org.sparkdpo.model.logprob;

import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.sparkdpo.model.arch.CausalLm;
import org.sparkdpo.model.arch.ModelGraph;
import org.sparkdpo.model.nn.Ops;

/**
 * Completion log-probs as a graph: the model's hidden states, the output head applied only to the rows that
 * predict a completion token (prompt and padding rows never reach the vocabulary projection), log-softmax,
 * the target token's log-prob, and per-sequence sums through a [S, N] segment matrix.
 *
 * <p>Rows are selected with {@code unsorted_segment_sum} (selected row k goes to segment k, every other row to
 * a dump segment) because ND4J M2.1's {@code gather} cannot be differentiated more than once per graph; the
 * segment sum has a native backward pass. The number of scored rows N is padded up to its {@link LengthBuckets}
 * bucket, at least {@link #MIN_ROWS} (padding rows are all-zero and carry no weight), so that a few graphs serve
 * every batch.
 *
 * <p>This whole-batch graph materialises [N x vocabulary] logits; it is the one-graph training path of
 * {@link org.sparkdpo.model.dpo.DpoObjective}. Scoring and checkpointed training use
 * {@link org.sparkdpo.model.exec.BlockwiseLm}, which runs the same {@link #headRows} on chunks of rows.
 */
public final class LogProbGraph {
    public static final String IDS = "ids";
    public static final String POSITIONS = "positions";
    public static final String ROW_SEGMENTS = "row_segments";
    public static final String TARGETS = "score_targets";
    public static final String SEGMENTS = "segments";
    public static final String TOKEN_LOGPS = "token_logps";
    public static final String SEQ_LOGPS = "seq_logps";
    public static final String SEQ_LOGIT_SUMS = "seq_logit_sums";
    /** The arg-max token of every scored row [N] (for token accuracy; not differentiated). */
    public static final String ROW_ARGMAX = "row_argmax";
    /** Scored rows are padded to at least this many. */
    public static final int MIN_ROWS = 64;

    /** The output variables of a built graph. */
    public record Outputs(SDVariable tokenLogps, SDVariable seqLogps, SDVariable seqLogitSums) {}

    private LogProbGraph() {}

    /**
     * Per-row outputs of the head: the target token's log-prob [N], the row's logit sum [N] and its arg-max token
     * [N] (for token accuracy; computed only when asked for).
     */
    public record HeadRows(SDVariable tokenLogps, SDVariable logitSums, SDVariable argmax) {}

    /**
     * The output head on N final-normed rows [N, E] with their target ids [N]: logits [N, V], log-sum-exp, the
     * target's log-prob. Every output row depends on its input row only, which lets callers run the head on
     * chunks of rows.
     */
    public static HeadRows headRows(ModelGraph g, SDVariable normed, SDVariable targets, int rows) {
        SameDiff sd = g.sd();
        SDVariable head = g.base().model().lmHead(g);                                             // [V, E]
        SDVariable logits = org.sparkdpo.model.nn.MatMul.of(sd, normed, head, true);        // [N, V]
        // written out: ND4J's fused sparse softmax cross-entropy ignores the incoming gradient in its backward pass
        SDVariable lse = Ops.logSumExpRows(sd, logits).reshape(rows);
        SDVariable targetLogits = normed.mul(g.rowsOf(head, targets)).sum(1);                     // [N]
        return new HeadRows(targetLogits.sub(lse), logits.sum(1), sd.argmax(logits, false, 1));
    }

    /** Scored rows padded to their bucket: the smallest of 64, 96, 128, 192, 256, 384, ... that holds n. */
    public static int paddedRows(int n) {
        return LengthBuckets.of(Math.max(n, MIN_ROWS), 0);
    }

    /** Adds the forward pass for S sequences of padded length T with {@code rows} (padded) scored rows. */
    public static Outputs build(ModelGraph g, int s, int t, int rows) {
        SameDiff sd = g.sd();
        DataType dt = g.dtype();
        CausalLm model = g.base().model();
        long st = (long) s * t;
        SDVariable ids = sd.placeHolder(IDS, DataType.INT64, st);
        SDVariable positions = sd.placeHolder(POSITIONS, DataType.INT64, st);
        SDVariable rowSegments = sd.placeHolder(ROW_SEGMENTS, DataType.INT64, st);
        SDVariable targets = sd.placeHolder(TARGETS, DataType.INT64, rows);
        SDVariable segments = sd.placeHolder(SEGMENTS, dt, s, rows);

        SDVariable stream = model.residualStream(g, ids, positions, s, t);                       // [S*T, E]
        SDVariable scored = sd.unsortedSegmentSum(stream, rowSegments, rows + 1)
                .get(SDIndex.interval(0, rows));                                                   // [N, E]
        HeadRows h = headRows(g, model.finalNorm(g, scored), targets, rows);
        SDVariable tokenLogps = sd.identity(TOKEN_LOGPS, h.tokenLogps());
        SDVariable seqLogps = sd.mmul(segments, tokenLogps.reshape(rows, 1)).reshape(s).rename(SEQ_LOGPS);
        SDVariable logitSums = sd.mmul(segments, h.logitSums().reshape(rows, 1)).reshape(s).rename(SEQ_LOGIT_SUMS);
        sd.identity(ROW_ARGMAX, h.argmax());
        return new Outputs(tokenLogps, seqLogps, logitSums);
    }
}
