package org.sparkdpo.model.logprob;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Completions right-padded into one [S, T] batch, with the index arrays the log-prob graph needs: which
 * hidden-state rows predict a completion token, which token, and which sequence it belongs to. Right padding
 * under causal attention cannot change any real position, so batched values equal one-at-a-time ones.
 */
public final class SequenceBatch {
    private final int s;
    private final int t;
    private final int n;
    private final int[] counts;
    private final long[] ids;
    private final long[] rows;
    private final long[] targets;
    private final int[] seqOfToken;

    private SequenceBatch(int s, int t, int n, int[] counts, long[] ids, long[] rows, long[] targets, int[] seqOfToken) {
        this.s = s;
        this.t = t;
        this.n = n;
        this.counts = counts;
        this.ids = ids;
        this.rows = rows;
        this.targets = targets;
        this.seqOfToken = seqOfToken;
    }

    /** Pads to the longest sequence, or to {@code padTo} when that is longer (fixed shapes reuse graphs). */
    public static SequenceBatch of(List<Completion> seqs, int padTo) {
        int s = seqs.size();
        if (s == 0) throw new IllegalArgumentException("empty batch");
        int t = padTo;
        int n = 0;
        for (Completion c : seqs) {
            t = Math.max(t, c.length());
            n += c.completionIds().length;
        }
        long[] ids = new long[s * t];
        long[] rows = new long[n];
        long[] targets = new long[n];
        int[] seqOf = new int[n];
        int[] counts = new int[s];
        int k = 0;
        for (int i = 0; i < s; i++) {
            Completion c = seqs.get(i);
            int p = c.promptIds().length;
            for (int j = 0; j < p; j++) ids[i * t + j] = c.promptIds()[j];
            for (int j = 0; j < c.completionIds().length; j++) {
                int pos = p + j;
                ids[i * t + pos] = c.completionIds()[j];
                rows[k] = (long) i * t + pos - 1;
                targets[k] = c.completionIds()[j];
                seqOf[k] = i;
                k++;
            }
            counts[i] = c.completionIds().length;
        }
        return new SequenceBatch(s, t, n, counts, ids, rows, targets, seqOf);
    }

    public int numSequences() {
        return s;
    }

    public int paddedLength() {
        return t;
    }

    /** Flat row index (sequence * T + position) of the hidden state that predicts each completion token. */
    public long[] scoredRows() {
        return rows.clone();
    }

    /** The completion token each scored row predicts. */
    public long[] targets() {
        return targets.clone();
    }

    /** The sequence each scored row belongs to. */
    public int[] sequenceOfRow() {
        return seqOfToken.clone();
    }

    /** Completion token count of each sequence. */
    public int[] counts() {
        return counts.clone();
    }

    /** Scored rows after padding ({@link LogProbGraph#paddedRows}). */
    public int paddedRows() {
        return LogProbGraph.paddedRows(n);
    }

    /** The placeholder values of {@link LogProbGraph} for this batch. */
    public Map<String, INDArray> placeholders(DataType dtype) {
        int rowsPadded = paddedRows();
        Map<String, INDArray> m = new HashMap<>();
        long[] positions = new long[s * t];
        for (int i = 0; i < s; i++) for (int j = 0; j < t; j++) positions[i * t + j] = j;
        long[] rowSegments = new long[s * t];
        java.util.Arrays.fill(rowSegments, rowsPadded);            // the dump segment
        for (int k = 0; k < n; k++) rowSegments[(int) rows[k]] = k;
        long[] paddedTargets = java.util.Arrays.copyOf(targets, rowsPadded);
        double[] segment = new double[s * rowsPadded];
        for (int k = 0; k < n; k++) segment[seqOfToken[k] * rowsPadded + k] = 1.0;
        m.put(LogProbGraph.IDS, Nd4j.createFromArray(ids));
        m.put(LogProbGraph.POSITIONS, Nd4j.createFromArray(positions));
        m.put(LogProbGraph.ROW_SEGMENTS, Nd4j.createFromArray(rowSegments));
        m.put(LogProbGraph.TARGETS, Nd4j.createFromArray(paddedTargets));
        m.put(LogProbGraph.SEGMENTS, Nd4j.create(segment, new long[]{s, rowsPadded}, DataType.DOUBLE).castTo(dtype));
        return m;
    }
}
