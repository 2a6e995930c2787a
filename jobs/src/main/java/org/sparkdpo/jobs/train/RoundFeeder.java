package org.sparkdpo.jobs.train;

import org.sparkdpo.data.PairShards;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.rdd.PartitionPruningRDD;
import org.apache.spark.storage.StorageLevel;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.sparkdpo.model.dpo.PreferencePair;
import scala.Tuple2;
import scala.reflect.ClassTag$;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;

/**
 * Feeds one averaging round at a time to DL4J (any objective's rows: pairs, SFT examples): the epoch's batches are encoded once into an RDD with one
 * partition per (round, worker), holding that worker's batches in local-step order; a round is those W
 * partitions, pruned out without touching the rest. DL4J then trains partition w on worker w (no repartition).
 */
public final class RoundFeeder implements AutoCloseable {
    private final JavaRDD<DataSet> epochBatches;
    private final RoundLayout layout;

    private RoundFeeder(JavaRDD<DataSet> epochBatches, RoundLayout layout) {
        this.epochBatches = epochBatches;
        this.layout = layout;
    }

    /** Encodes the rows of one batch (in batch order) as the DataSet a worker step trains on. */
    @FunctionalInterface
    public interface BatchEncoder<T> extends java.io.Serializable {
        DataSet encode(List<T> rows);
    }

    /** Preference pairs, encoded by {@link PairBatchCodec}. */
    public static RoundFeeder of(JavaSparkContext sc, PairShards data, BatchPlan plan, RoundLayout layout, DataType dtype) {
        return of(sc, data.pairs(), data.size(), plan, layout, (BatchEncoder<PreferencePair>) rows -> PairBatchCodec.encode(rows, dtype));
    }

    /** Any training rows indexed 0..n-1, batched by {@code plan} and encoded by {@code encoder}. */
    public static <T> RoundFeeder of(JavaSparkContext sc, JavaPairRDD<Long, T> rows, int n, BatchPlan plan,
                                     RoundLayout layout, BatchEncoder<T> encoder) {
        Broadcast<int[]> batchOf = sc.broadcast(plan.batchOfRow(n));
        Broadcast<int[]> posOf = sc.broadcast(plan.positionOfRow(n));
        int partitions = layout.rounds() * layout.workers();
        JavaPairRDD<Integer, Tuple2<Integer, T>> keyed = rows.mapToPair(t -> {
            int row = Math.toIntExact(t._1());
            int batch = batchOf.value()[row];
            return new Tuple2<>(batch, new Tuple2<>(posOf.value()[row], t._2()));
        });
        JavaRDD<DataSet> batches = keyed.partitionBy(new BatchPartitioner(layout, partitions))
                .mapPartitions(it -> encode(it, encoder), true)
                .persist(StorageLevel.MEMORY_AND_DISK_SER());
        batchOf.unpersist(false);
        posOf.unpersist(false);
        return new RoundFeeder(batches, layout);
    }

    /** Groups a partition's rows into batches (ordered by batch number, rows by position) and encodes them. */
    private static <T> Iterator<DataSet> encode(Iterator<Tuple2<Integer, Tuple2<Integer, T>>> it, BatchEncoder<T> encoder) {
        List<Tuple2<Integer, Tuple2<Integer, T>>> rows = new ArrayList<>();
        it.forEachRemaining(rows::add);
        rows.sort(Comparator.<Tuple2<Integer, Tuple2<Integer, T>>>comparingInt(Tuple2::_1)
                .thenComparingInt(t -> t._2()._1()));
        List<DataSet> out = new ArrayList<>();
        int i = 0;
        while (i < rows.size()) {
            int batch = rows.get(i)._1();
            List<T> part = new ArrayList<>();
            while (i < rows.size() && rows.get(i)._1() == batch) part.add(rows.get(i++)._2()._2());
            out.add(encoder.encode(part));
        }
        return out.iterator();
    }

    /** The W partitions of round r (empty partitions for workers without a batch in a short last round). */
    public JavaRDD<DataSet> round(int r) {
        int first = r * layout.workers();
        int last = first + layout.workers();
        PartitionPruningRDD<DataSet> pruned = PartitionPruningRDD.create(epochBatches.rdd(),
                new PartitionFilter(first, last));
        return new JavaRDD<>(pruned, ClassTag$.MODULE$.apply(DataSet.class));
    }

    @Override
    public void close() {
        epochBatches.unpersist(false);
    }

    /** Keeps partitions [first, last). */
    private static final class PartitionFilter extends scala.runtime.AbstractFunction1<Object, Object> implements java.io.Serializable {
        private final int first;
        private final int last;

        PartitionFilter(int first, int last) {
            this.first = first;
            this.last = last;
        }

        @Override
        public Object apply(Object p) {
            int i = (Integer) p;
            return i >= first && i < last;
        }
    }

    /** Batch number to its (round, worker) partition. */
    private static final class BatchPartitioner extends Partitioner {
        private final RoundLayout layout;
        private final int partitions;

        BatchPartitioner(RoundLayout layout, int partitions) {
            this.layout = layout;
            this.partitions = partitions;
        }

        @Override
        public int numPartitions() {
            return partitions;
        }

        @Override
        public int getPartition(Object key) {
            return layout.partitionOf((Integer) key);
        }
    }
}
