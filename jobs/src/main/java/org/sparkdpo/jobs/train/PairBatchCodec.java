package org.sparkdpo.jobs.train;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.sparkdpo.model.dpo.PreferencePair;

import java.util.ArrayList;
import java.util.List;

/**
 * Packs a batch of preference pairs into the one features array and one labels array a DL4J {@link DataSet}
 * carries: features [B, 3, L] holding prompt, chosen and rejected ids (right-padded with -1), labels [B, 2]
 * holding the reference chosen and rejected log-probs. Token ids up to 2^24 are exact in float32.
 */
public final class PairBatchCodec {
    private static final int MAX_EXACT_ID = 1 << 24;

    private PairBatchCodec() {}

    public static DataSet encode(List<PreferencePair> pairs, DataType dtype) {
        int b = pairs.size();
        int l = 1;
        for (PreferencePair p : pairs) {
            l = Math.max(l, Math.max(p.promptIds().length, Math.max(p.chosenIds().length, p.rejectedIds().length)));
        }
        double[] f = new double[b * 3 * l];
        java.util.Arrays.fill(f, -1);
        double[] labels = new double[b * 2];
        for (int i = 0; i < b; i++) {
            PreferencePair p = pairs.get(i);
            put(f, (i * 3) * l, p.promptIds(), p.id());
            put(f, (i * 3 + 1) * l, p.chosenIds(), p.id());
            put(f, (i * 3 + 2) * l, p.rejectedIds(), p.id());
            labels[2 * i] = p.refChosen();
            labels[2 * i + 1] = p.refRejected();
        }
        INDArray features = Nd4j.create(f, new long[]{b, 3, l}, DataType.DOUBLE).castTo(dtype);
        return new DataSet(features, Nd4j.create(labels, new long[]{b, 2}, DataType.DOUBLE).castTo(dtype));
    }

    private static void put(double[] f, int offset, int[] ids, String pairId) {
        for (int j = 0; j < ids.length; j++) {
            if (ids[j] < 0 || ids[j] >= MAX_EXACT_ID) {
                throw new IllegalArgumentException("pair '" + pairId + "' has token id " + ids[j] + " out of range");
            }
            f[offset + j] = ids[j];
        }
    }

    /** The pairs of a batch, with ids "batch-row-i" (names are not carried through DL4J). */
    public static List<PreferencePair> decode(INDArray features, INDArray labels) {
        long b = features.size(0);
        int l = (int) features.size(2);
        double[] f = features.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        double[] lab = labels.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        List<PreferencePair> out = new ArrayList<>((int) b);
        for (int i = 0; i < b; i++) {
            out.add(new PreferencePair("batch-row-" + i, ids(f, (i * 3) * l, l), ids(f, (i * 3 + 1) * l, l),
                    ids(f, (i * 3 + 2) * l, l), lab[2 * i], lab[2 * i + 1]));
        }
        return out;
    }

    private static int[] ids(double[] f, int offset, int l) {
        int n = 0;
        while (n < l && f[offset + n] >= 0) n++;
        int[] out = new int[n];
        for (int j = 0; j < n; j++) out[j] = (int) f[offset + j];
        return out;
    }
}
