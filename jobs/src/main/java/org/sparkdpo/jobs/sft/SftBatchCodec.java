package org.sparkdpo.jobs.sft;

import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.sparkdpo.model.logprob.Completion;

/**
 * Packs a batch of SFT examples into a DL4J {@link DataSet}: features [B, 2, L] holding prompt and completion ids
 * (right-padded with -1; ids up to 2^24 are exact in float32), labels [B, 1] unused zeros (DL4J wants labels).
 */
public final class SftBatchCodec {
    private static final int MAX_EXACT_ID = 1 << 24;

    private SftBatchCodec() {}

    public static DataSet encode(List<Completion> examples, DataType dtype) {
        int b = examples.size();
        int l = 1;
        for (Completion c : examples) l = Math.max(l, Math.max(c.promptIds().length, c.completionIds().length));
        double[] f = new double[b * 2 * l];
        java.util.Arrays.fill(f, -1);
        for (int i = 0; i < b; i++) {
            put(f, (2 * i) * l, examples.get(i).promptIds());
            put(f, (2 * i + 1) * l, examples.get(i).completionIds());
        }
        INDArray features = Nd4j.create(f, new long[]{b, 2, l}, DataType.DOUBLE).castTo(dtype);
        return new DataSet(features, Nd4j.zeros(dtype, b, 1));
    }

    private static void put(double[] f, int offset, int[] ids) {
        for (int j = 0; j < ids.length; j++) {
            if (ids[j] < 0 || ids[j] >= MAX_EXACT_ID) throw new IllegalArgumentException("token id " + ids[j] + " out of range");
            f[offset + j] = ids[j];
        }
    }

    public static List<Completion> decode(INDArray features) {
        long b = features.size(0);
        int l = (int) features.size(2);
        double[] f = features.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        List<Completion> out = new ArrayList<>((int) b);
        for (int i = 0; i < b; i++) out.add(new Completion(ids(f, (2 * i) * l, l), ids(f, (2 * i + 1) * l, l)));
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
