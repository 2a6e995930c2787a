package org.sparkdpo.jobs.precompute;

import org.sparkdpo.data.PairColumns;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.schema.MessageType;
import org.sparkdpo.model.logprob.Completion;
import org.sparkdpo.model.logprob.CompletionScorer;
import org.sparkdpo.model.logprob.CompletionScores;

/**
 * Streams one shard through the reference model: reads rows in order, batches consecutive pairs with the
 * {@link BatchPlanner}, scores each batch, and writes every input row unchanged plus the four reference columns, in
 * input order. Memory is bounded by one batch. Bad rows (too long for the model, ids outside the vocabulary,
 * non-finite log-probs) fail the shard with the row's id.
 */
final class ShardProcessor {
    /** Called after each batch is written: cancellation checks and test fault injection. */
    interface AfterBatch {
        void run(int batchesDone) throws Exception;
    }

    private record Pending(Group row, String id, Completion chosen, Completion rejected) {
        int length() {
            return Math.max(chosen.length(), rejected.length());
        }
    }

    private final CompletionScorer scorer;
    private final BatchPlanner planner;
    private final int maxPositions;
    private final int vocabSize;
    private final String file;

    ShardProcessor(CompletionScorer scorer, BatchPlanner planner, String file) {
        this.scorer = scorer;
        this.planner = planner;
        this.maxPositions = scorer.base().model().config().maxPositions();
        this.vocabSize = scorer.base().model().config().vocabSize();
        this.file = file;
    }

    ShardStats run(ParquetReader<Group> in, ParquetWriter<Group> out, MessageType outSchema, AfterBatch afterBatch)
            throws Exception {
        long started = System.nanoTime();
        SimpleGroupFactory groups = new SimpleGroupFactory(outSchema);
        int firstAdded = outSchema.getFieldCount() - PairColumns.REFERENCE.size();
        Counters c = new Counters();
        List<Pending> batch = new ArrayList<>();
        int longest = 0;
        for (Group row; (row = in.read()) != null; ) {
            Pending p = pending(row);
            if (!planner.fits(batch.size(), longest, p.length())) {
                flush(batch, longest, out, groups, firstAdded, c);
                afterBatch.run(c.batches);
                batch.clear();
                longest = 0;
            }
            batch.add(p);
            longest = Math.max(longest, p.length());
        }
        if (!batch.isEmpty()) {
            flush(batch, longest, out, groups, firstAdded, c);
            afterBatch.run(c.batches);
        }
        return new ShardStats(file, c.rows, c.tokens, c.padded, c.completion, c.batches, (System.nanoTime() - started) / 1e9);
    }

    private static final class Counters {
        long rows;
        long tokens;
        long padded;
        long completion;
        int batches;
    }

    private Pending pending(Group row) {
        String id = ParquetRows.text(row, PairColumns.ID);
        int[] prompt = ids(row, PairColumns.PROMPT_IDS, id);
        int[] chosen = ids(row, PairColumns.CHOSEN_IDS, id);
        int[] rejected = ids(row, PairColumns.REJECTED_IDS, id);
        if (prompt.length == 0 || chosen.length == 0 || rejected.length == 0) {
            throw new RowException(file, id, "empty prompt_ids, chosen_ids or rejected_ids");
        }
        int longer = prompt.length + Math.max(chosen.length, rejected.length);
        if (longer > maxPositions) {
            throw new RowException(file, id, "prompt + completion is " + longer + " tokens, longer than the model's "
                    + maxPositions + " positions (prepare should have truncated it: re-run prepare with --max-length <= "
                    + maxPositions + ")");
        }
        return new Pending(row, id, new Completion(prompt, chosen), new Completion(prompt, rejected));
    }

    private int[] ids(Group row, String column, String id) {
        int[] v;
        try {
            v = ParquetRows.intArray(row, column);
        } catch (IllegalArgumentException e) {
            throw new RowException(file, id, e.getMessage());
        }
        if (v == null) throw new RowException(file, id, column + " is null");
        for (int t : v) {
            if (t < 0 || t >= vocabSize) {
                throw new RowException(file, id, column + " holds token id " + t + ", outside the model's vocabulary [0, "
                        + vocabSize + ")");
            }
        }
        return v;
    }

    private void flush(List<Pending> batch, int longest, ParquetWriter<Group> out, SimpleGroupFactory groups,
                       int firstAdded, Counters c) throws IOException {
        List<Completion> seqs = new ArrayList<>(2 * batch.size());
        for (Pending p : batch) {
            seqs.add(p.chosen());
            seqs.add(p.rejected());
        }
        int t = planner.paddedLength(longest);
        CompletionScores scores = scorer.score(seqs, t);
        for (int i = 0; i < batch.size(); i++) {
            Pending p = batch.get(i);
            double chosen = scores.sums()[2 * i];
            double rejected = scores.sums()[2 * i + 1];
            if (!Double.isFinite(chosen) || !Double.isFinite(rejected)) {
                throw new RowException(file, p.id(), "non-finite reference log-prob (chosen " + chosen + ", rejected "
                        + rejected + ")");
            }
            Group g = groups.newGroup();
            ParquetRows.copy(p.row(), g);
            g.add(firstAdded, chosen);
            g.add(firstAdded + 1, rejected);
            g.add(firstAdded + 2, scores.counts()[2 * i]);
            g.add(firstAdded + 3, scores.counts()[2 * i + 1]);
            out.write(g);
            c.tokens += p.chosen().length() + p.rejected().length();
            c.completion += scores.counts()[2 * i] + scores.counts()[2 * i + 1];
        }
        c.rows += batch.size();
        c.padded += (long) seqs.size() * t;
        c.batches++;
    }

    /** A row that cannot be scored; the message names the shard and the row id. */
    static final class RowException extends IllegalArgumentException {
        RowException(String file, String id, String message) {
            super(file + ": row id '" + id + "': " + message);
        }
    }
}
